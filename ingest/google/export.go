package google

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/accessgraph/accessgraph/ingest/jsonerr"

	"github.com/accessgraph/accessgraph/graph"
)

// Export file names, relative to the export directory. See the package
// documentation for what each holds.
const (
	FileUsers           = "users.json"
	FileGroups          = "groups.json"
	FileRoles           = "roles.json"
	FileRoleAssignments = "roleassignments.json"
	DirMembers          = "members"
	DirTokens           = "tokens"
)

// ParseExport reads one or more export directories (see the package
// documentation for the layout) and returns the batch for opt.Tenant. Every
// file is parsed and validated before the batch is built; on any error no
// batch is returned.
func ParseExport(opt Options, paths ...string) (*graph.Batch, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errors.New("google export: no directory given")
	}
	s := &snapshot{}
	for _, dir := range paths {
		if err := readExportDir(s, dir); err != nil {
			return nil, err
		}
	}
	return build(opt, s)
}

func readExportDir(s *snapshot, dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("google export: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("google export %s: not a directory, expected a directory holding %s, %s, %s/, %s, %s and %s/",
			dir, FileUsers, FileGroups, DirMembers, FileRoles, FileRoleAssignments, DirTokens)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("google export: %w", err)
	}
	known := map[string]bool{FileUsers: true, FileGroups: true, FileRoles: true, FileRoleAssignments: true,
		DirMembers: true, DirTokens: true}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !known[e.Name()] {
			return fmt.Errorf("google export %s: unexpected file %s (expected %s, %s, %s or %s)",
				dir, e.Name(), FileUsers, FileGroups, FileRoles, FileRoleAssignments)
		}
	}
	path := func(n string) string { return filepath.Join(dir, n) }
	if err := readPages(path(FileUsers), true, kindUsers, func(w string, p *usersPage) error {
		return s.addUsers(w, p)
	}); err != nil {
		return err
	}
	groupsRead := false
	if err := readPages(path(FileGroups), false, kindGroups, func(w string, p *groupsPage) error {
		groupsRead = true
		return s.addGroups(w, p)
	}); err != nil {
		return err
	}
	if err := readPages(path(FileRoles), false, kindRoles, func(w string, p *rolesPage) error {
		return s.addRoles(w, p)
	}); err != nil {
		return err
	}
	if err := readPages(path(FileRoleAssignments), false, kindAssignments, func(w string, p *assignmentsPage) error {
		return s.addAssignments(w, p)
	}); err != nil {
		return err
	}
	memberFiles, err := jsonFiles(path(DirMembers))
	if err != nil {
		return err
	}
	if len(memberFiles) > 0 && !groupsRead {
		return fmt.Errorf("google export %s: %s/ is present but %s is missing", dir, DirMembers, FileGroups)
	}
	for _, f := range memberFiles {
		ml := memberList{groupKey: strings.TrimSuffix(filepath.Base(f), ".json"), where: f}
		if err := readPages(f, true, kindMembers, func(w string, p *membersPage) error {
			ms, err := checkMembers(w, p)
			ml.members = append(ml.members, ms...)
			return err
		}); err != nil {
			return err
		}
		s.members = append(s.members, ml)
	}
	tokenFiles, err := jsonFiles(path(DirTokens))
	if err != nil {
		return err
	}
	for _, f := range tokenFiles {
		tl := tokenList{userKey: strings.TrimSuffix(filepath.Base(f), ".json"), where: f}
		if err := readPages(f, true, kindTokens, func(w string, p *tokensPage) error {
			ts, err := checkTokens(w, p)
			tl.tokens = append(tl.tokens, ts...)
			return err
		}); err != nil {
			return err
		}
		s.tokens = append(s.tokens, tl)
	}
	return nil
}

// jsonFiles lists the .json files of dir, sorted; a missing dir has none.
func jsonFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("google export: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// readPages reads a file holding one list response (a JSON object) or the
// pages of one list in order (a JSON array of objects), calling each per page.
func readPages[P any](file string, required bool, kind string, each func(where string, p *P) error) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("google export: %w", err)
	}
	trim := bytes.TrimSpace(data)
	if len(trim) > 0 && trim[0] == '[' {
		var pages []json.RawMessage
		if err := decodeArray(data, &pages); err != nil { // positions count from the file's first byte
			return fmt.Errorf("%s: %w", file, err)
		}
		for i, raw := range pages {
			var p P
			w := fmt.Sprintf("%s: page[%d]", file, i)
			if err := decodePage(w, raw, kind, &p, true); err != nil {
				return err
			}
			if err := each(w, &p); err != nil {
				return err
			}
		}
		return nil
	}
	var p P
	if err := decodePage(file, data, kind, &p, false); err != nil {
		return err
	}
	return each(file, &p)
}

func decodeArray(data []byte, v *[]json.RawMessage) error {
	err := json.Unmarshal(data, v)
	if jsonerr.IsSyntax(err) {
		return jsonerr.Explain(data, err)
	}
	if err != nil {
		return fmt.Errorf("%w: expected a JSON array of list responses", jsonerr.Explain(data, err))
	}
	return nil
}
