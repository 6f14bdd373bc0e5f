package github

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/accessgraph/accessgraph/graph"
)

// Export file names, relative to the export directory; see the package
// documentation for the endpoint each one is the answer of.
const (
	FileOrg           = "org.json"
	FileMembers       = "members.json"
	FileAdmins        = "admins.json"
	FileOutside       = "outside_collaborators.json"
	FileTeams         = "teams.json"
	FileRepos         = "repos.json"
	FileInstallations = "installations.json"
	FilePATs          = "personal-access-tokens.json"
	DirTeams          = "teams"
	DirRepos          = "repos"
	DirInstallations  = "installations"
	DirPATs           = "personal-access-tokens"
)

// ParseExport reads one export directory (see the package documentation
// for the layout) and returns the batch for opt.Org. Everything is parsed
// and validated before the batch is built; on error no batch is returned.
// Several directories are read as one export.
func ParseExport(opt Options, paths ...string) (*graph.Batch, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errors.New("github export: no directory given")
	}
	s := newSnapshot()
	for _, dir := range paths {
		if err := readExport(s, dir); err != nil {
			return nil, err
		}
	}
	return build(opt, s)
}

// readFile decodes file into v; a missing optional file is no error and
// reports false.
func readFile(file string, required, array bool, v any) (bool, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("github export: %w", err)
	}
	if err := decodeJSON(data, v, array); err != nil {
		return false, fmt.Errorf("%s: %w", file, err)
	}
	return true, nil
}

func readExport(s *snapshot, dir string) error {
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("github export: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("github export %s: not a directory, expected a directory holding %s, %s, %s and the other export files",
			dir, FileMembers, FileAdmins, FileRepos)
	}
	p := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	var org organization
	if ok, err := readFile(p(FileOrg), false, false, &org); err != nil {
		return err
	} else if ok {
		s.org = &org
	}
	for _, l := range []struct {
		file     string
		required bool
		into     *[]simpleUser
	}{{FileMembers, true, &s.members}, {FileAdmins, true, &s.admins}, {FileOutside, false, &s.outside}} {
		var us []simpleUser
		if _, err := readFile(p(l.file), l.required, true, &us); err != nil {
			return err
		}
		if err := checkUsers(p(l.file), us); err != nil {
			return err
		}
		*l.into = append(*l.into, us...)
	}
	var teams []team
	if _, err := readFile(p(FileTeams), false, true, &teams); err != nil {
		return err
	}
	if err := checkTeams(p(FileTeams), teams); err != nil {
		return err
	}
	s.teams = append(s.teams, teams...)
	for _, t := range teams {
		for _, l := range []struct {
			file string
			into map[string][]simpleUser
		}{{"members.json", s.teamMembers}, {"maintainers.json", s.teamMaint}} {
			var us []simpleUser
			f := p(DirTeams, t.Slug, l.file)
			if _, err := readFile(f, false, true, &us); err != nil {
				return err
			}
			if err := checkUsers(f, us); err != nil {
				return err
			}
			l.into[t.Slug] = append(l.into[t.Slug], us...)
			s.where["team-members/"+t.Slug] = p(DirTeams, t.Slug)
		}
		var rs []repository
		f := p(DirTeams, t.Slug, "repos.json")
		if _, err := readFile(f, false, true, &rs); err != nil {
			return err
		}
		if err := checkRepos(f, rs, true); err != nil {
			return err
		}
		s.teamRepos[t.Slug] = append(s.teamRepos[t.Slug], rs...)
	}
	if err := checkDirs(p(DirTeams), teams); err != nil {
		return err
	}
	var repos []repository
	if _, err := readFile(p(FileRepos), true, true, &repos); err != nil {
		return err
	}
	if err := checkRepos(p(FileRepos), repos, false); err != nil {
		return err
	}
	s.repos = append(s.repos, repos...)
	for _, r := range repos {
		var cs []collaborator
		f := p(DirRepos, r.Name, "collaborators.json")
		if _, err := readFile(f, false, true, &cs); err != nil {
			return err
		}
		if err := checkCollaborators(f, cs); err != nil {
			return err
		}
		s.collaborators[r.Name] = append(s.collaborators[r.Name], cs...)
	}
	var inst installationsPage
	if _, err := readFile(p(FileInstallations), false, false, &inst); err != nil {
		return err
	}
	if err := checkInstallations(p(FileInstallations), inst.Installations); err != nil {
		return err
	}
	s.installations = append(s.installations, inst.Installations...)
	for _, in := range inst.Installations {
		f := p(DirInstallations, strconv.FormatInt(in.ID, 10), "repositories.json")
		s.where["installation/"+strconv.FormatInt(in.ID, 10)] = f
		var page installationReposPage
		ok, err := readFile(f, in.RepositorySelection == "selected", false, &page)
		if err != nil {
			return fmt.Errorf("%w (installation %d of %s has repository_selection selected)", err, in.ID, in.AppSlug)
		}
		if !ok {
			continue
		}
		if err := checkRepos(f+": repositories", page.Repositories, false); err != nil {
			return err
		}
		s.instRepos[in.ID] = append(s.instRepos[in.ID], page.Repositories...)
	}
	var pats []pat
	if _, err := readFile(p(FilePATs), false, true, &pats); err != nil {
		return err
	}
	if err := checkPATs(p(FilePATs), pats); err != nil {
		return err
	}
	s.pats = append(s.pats, pats...)
	for _, t := range pats {
		f := p(DirPATs, strconv.FormatInt(t.ID, 10), "repositories.json")
		var rs []repository
		if _, err := readFile(f, t.RepositorySelection == "subset", true, &rs); err != nil {
			return fmt.Errorf("%w (token %d has repository_selection subset)", err, t.ID)
		}
		if err := checkRepos(f, rs, false); err != nil {
			return err
		}
		s.patRepos[t.ID] = append(s.patRepos[t.ID], rs...)
	}
	return nil
}

// checkDirs fails on a teams/<slug>/ folder for a team teams.json lacks: its
// data would be dropped silently.
func checkDirs(dir string, teams []team) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("github export: %w", err)
	}
	known := map[string]bool{}
	for _, t := range teams {
		known[t.Slug] = true
	}
	var extra []string
	for _, e := range entries {
		if e.IsDir() && !known[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		return fmt.Errorf("github export %s: folders %v are not teams of %s", dir, extra, FileTeams)
	}
	return nil
}
