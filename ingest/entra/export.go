package entra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// Options configures ParseExport and Fetch.
type Options struct {
	// Tenant names the tenant (its id or primary domain); the batch source
	// is "entra:<Tenant>". Required.
	Tenant string
}

// Report says what a read skipped or could not reconcile.
type Report struct {
	// Skipped lists mocks or elements of a Dev Proxy mocks file that were
	// left out, each with why (documentation examples that omit ids, bodies
	// that are not valid JSON, placeholder parent ids). Exports and the live
	// API never skip: they fail instead.
	Skipped []string
	// Conflicts lists objects reported with two different types, and edges
	// left out because an endpoint had the wrong kind (a "group" that is a user).
	Conflicts []string
	// NotFound lists per-object sub-collections the live API answered 404
	// for (the object was deleted between listing and reading).
	NotFound []string
	// Read counts bodies read per route kind (users, members, ...).
	Read map[string]int
}

func (o Options) source() (string, error) {
	t := strings.TrimSpace(o.Tenant)
	if t == "" {
		return "", fmt.Errorf("entra: Options.Tenant is empty: give the tenant id or primary domain")
	}
	return "entra:" + t, nil
}

// ParseExport reads exports of Microsoft Graph v1.0 responses and returns
// the tenant's batch. Each path is one of:
//
//   - a directory laid out like the API (users.json, groups.json,
//     groups/<id>/members.json, ... see the package documentation);
//   - a bundle: one JSON object whose keys are those same API paths
//     ("users", "groups/<id>/members") and whose values are the response bodies;
//   - a Dev Proxy mocks file ({"mocks":[{"request":{"url"},"response":{"body"}}]}),
//     whose GET responses are read by their request URL's path.
//
// Everything is parsed and validated before the batch is returned; on any
// error no batch is returned.
func ParseExport(opt Options, paths ...string) (*graph.Batch, error) {
	b, _, err := ParseExportReport(opt, paths...)
	return b, err
}

// ParseExportReport is ParseExport that also returns the Report.
func ParseExportReport(opt Options, paths ...string) (*graph.Batch, *Report, error) {
	src, err := opt.source()
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("entra: no export given: expected a directory, a bundle or a mocks file")
	}
	d := newData()
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("entra export: %w", err)
		}
		if st.IsDir() {
			err = d.readDir(p)
		} else {
			err = d.readFile(p)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	b, err := build(src, d)
	if err != nil {
		return nil, nil, err
	}
	return b, d.report, nil
}

func (d *data) count(kind string) {
	if d.report.Read == nil {
		d.report.Read = map[string]int{}
	}
	d.report.Read[kind]++
}

// readDir reads an export directory: every *.json file under it is the
// response body of the API path its relative name spells.
func (d *data) readDir(dir string) error {
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("entra export %s: %w", dir, err)
		}
		if e.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("entra export: %w", err)
		}
		segs := apiPath(filepath.ToSlash(rel))
		ok, err := d.ingest(p, segs, body)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: unexpected file: expected the layout users.json, groups.json, "+
				"groups/<id>/members.json, ... (see the package documentation)", p)
		}
		r, _ := match(segs)
		d.count(r.kind)
		return nil
	})
}

// readFile reads a bundle or a Dev Proxy mocks file.
func (d *data) readFile(p string) error {
	raw, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("entra export: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		if jsonerr.IsSyntax(err) {
			// Broken JSON, not JSON of another shape: say where it broke.
			return fmt.Errorf("%s: %w", p, jsonerr.Explain(raw, err))
		}
		return fmt.Errorf("%s: %w: expected a bundle object (keys are API paths: users, groups, ...) "+
			"or a Dev Proxy mocks file ({\"mocks\":[...]})", p, jsonerr.Explain(raw, err))
	}
	if m, ok := top["mocks"]; ok {
		return d.readMocks(p, m)
	}
	keys := sortedKeys(top)
	if len(keys) == 0 {
		return fmt.Errorf("%s: empty object: expected a bundle whose keys are API paths (users, groups/<id>/members, ...)", p)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "$") || strings.HasPrefix(k, "@") {
			continue
		}
		segs := apiPath(k)
		ok, err := d.ingest(fmt.Sprintf("%s: %q", p, k), segs, top[k])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: key %q: not an API path this connector reads (users, groups, groups/<id>/members, "+
				"directoryRoles, servicePrincipals, oauth2PermissionGrants, ...)", p, k)
		}
		r, _ := match(segs)
		d.count(r.kind)
	}
	return nil
}

// mock is one entry of a Dev Proxy mocks file.
type mock struct {
	Request struct {
		URL        string `json:"url"`
		ExampleURL string `json:"exampleUrl"`
		Method     string `json:"method"`
	} `json:"request"`
	Response struct {
		StatusCode int             `json:"statusCode"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
}

// readMocks reads the GET responses of a Dev Proxy mocks file. The file is
// a set of documentation examples, not one tenant, so a mock or element
// that cannot be read is skipped and listed in the Report instead of
// failing the whole file; a file that is not a mocks file at all fails.
func (d *data) readMocks(p string, raw json.RawMessage) error {
	var mocks []mock
	if err := json.Unmarshal(raw, &mocks); err != nil {
		return fmt.Errorf("%w: expected [{\"request\":{\"url\"},\"response\":{\"body\"}}]", jsonerr.Element(p+": mocks", err))
	}
	for i, m := range mocks {
		if m.Request.URL == "" {
			return fmt.Errorf("%s: mocks[%d].request.url: missing", p, i)
		}
		meth := strings.ToUpper(m.Request.Method)
		if meth != "" && meth != "GET" || m.Response.StatusCode != 0 && m.Response.StatusCode != 200 {
			continue
		}
		segs := mockPath(m.Request.URL, m.Request.ExampleURL)
		r, ok := match(segs)
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s: mocks[%d] (GET %s)", p, i, m.Request.URL)
		body := bytes.TrimSpace(m.Response.Body)
		if len(body) > 0 && body[0] == '"' {
			var s string
			if err := json.Unmarshal(body, &s); err != nil {
				d.report.Skipped = append(d.report.Skipped, jsonerr.Element(where+": body", err).Error())
				continue
			}
			body = []byte(s)
		}
		if r.parent != "" && unknownParent(r.parent) {
			d.report.Skipped = append(d.report.Skipped,
				where+": the example does not name the parent object's id")
			continue
		}
		list, err := items(body)
		if err != nil {
			d.report.Skipped = append(d.report.Skipped, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		for j, el := range list {
			if err := d.element(r, fmt.Sprintf("%s: value[%d]", where, j), el); err != nil {
				d.report.Skipped = append(d.report.Skipped, err.Error())
			}
		}
		d.count(r.kind)
	}
	return nil
}

// mockPath is the API path of a mock: its URL pattern's path, with each "*"
// segment replaced by the example URL's segment when that is a real id.
func mockPath(pattern, example string) []string {
	segs := apiPath(pattern)
	ex := apiPath(example)
	if len(ex) != len(segs) {
		return segs
	}
	out := append([]string(nil), segs...)
	for i, s := range out {
		if s == "*" && !unknownParent(ex[i]) {
			out[i] = ex[i]
		}
	}
	return out
}
