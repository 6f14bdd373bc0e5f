package synth

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// Readers that parse the generated files back with the standard decoders, so
// tests check the files and not the generator's memory.

type gaadFile struct {
	UserDetailList  []gaadUser   `json:"UserDetailList"`
	GroupDetailList []gaadGroup  `json:"GroupDetailList"`
	RoleDetailList  []gaadRole   `json:"RoleDetailList"`
	Policies        []gaadPolicy `json:"Policies"`
}

// company1k is a generated 1,000-identity company with two accounts and two
// clusters, shared by the tests that only read it.
type output struct {
	dir  string
	m    *Manifest
	gaad map[string]*gaadFile            // account ID -> parsed GAAD
	cred map[string][]map[string]string  // account ID -> rows by column
	hr   map[string]map[string]string    // email -> row by column
	k8s  map[string]map[string]k8sObject // cluster -> "Kind/ns/name" -> object
}

type k8sObject struct {
	raw       map[string]any
	kind      string
	namespace string // as written, "" when omitted
	name      string
}

var (
	sharedOnce sync.Once
	sharedOut  *output
	errShared  error
	sharedDir  string
)

// shared returns the company every read-only test inspects.
func shared(t *testing.T) *output {
	t.Helper()
	sharedOnce.Do(func() {
		sharedDir, errShared = os.MkdirTemp("", "synth-shared-")
		if errShared != nil {
			return
		}
		var m *Manifest
		m, errShared = Generate(sharedDir, Options{Identities: 1000, Seed: 7, AWSAccounts: 2, Clusters: 2}, nil)
		if errShared == nil {
			sharedOut, errShared = readOutput(sharedDir, m)
		}
	})
	require.NoError(t, errShared)
	return sharedOut
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func readOutput(dir string, m *Manifest) (*output, error) {
	o := &output{dir: dir, m: m, gaad: map[string]*gaadFile{}, cred: map[string][]map[string]string{},
		k8s: map[string]map[string]k8sObject{}}
	for _, f := range m.Files.AWSAuthorizationDetails {
		b, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			return nil, err
		}
		g := &gaadFile{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(g); err != nil {
			return nil, err
		}
		o.gaad[f.AccountID] = g
	}
	for _, f := range m.Files.AWSCredentialReports {
		rows, err := readCSV(filepath.Join(dir, f.Path))
		if err != nil {
			return nil, err
		}
		o.cred[f.AccountID] = rows
	}
	rows, err := readCSV(filepath.Join(dir, m.Files.HR))
	if err != nil {
		return nil, err
	}
	o.hr = map[string]map[string]string{}
	for _, r := range rows {
		o.hr[r["email"]] = r
	}
	for _, f := range m.Files.K8s {
		objs, err := readK8s(filepath.Join(dir, f.Path))
		if err != nil {
			return nil, err
		}
		idx := map[string]k8sObject{}
		for _, ob := range objs {
			idx[k8sKey(ob.kind, ob.namespace, ob.name, f.DefaultNamespace)] = ob
		}
		o.k8s[f.Cluster] = idx
	}
	return o, nil
}

var clusterScoped = map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true}

func k8sKey(kind, ns, name, def string) string {
	if clusterScoped[kind] {
		return kind + "/" + name
	}
	if ns == "" {
		ns = def
	}
	return kind + "/" + ns + "/" + name
}

func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = r[i]
		}
		out = append(out, row)
	}
	return out, nil
}

func readK8s(path string) ([]k8sObject, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []k8sObject
	for _, d := range strings.Split(string(b), "\n---\n") {
		var raw map[string]any
		if err := yaml.Unmarshal([]byte(d), &raw); err != nil {
			return nil, err
		}
		md, _ := raw["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		name, _ := md["name"].(string)
		kind, _ := raw["kind"].(string)
		out = append(out, k8sObject{raw: raw, kind: kind, namespace: ns, name: name})
	}
	return out, nil
}

// Lookups.

func (o *output) user(arn string) (string, *gaadUser) {
	for acct, g := range o.gaad {
		for i := range g.UserDetailList {
			if g.UserDetailList[i].Arn == arn {
				return acct, &g.UserDetailList[i]
			}
		}
	}
	return "", nil
}

func (o *output) role(arn string) *gaadRole {
	for _, g := range o.gaad {
		for i := range g.RoleDetailList {
			if g.RoleDetailList[i].Arn == arn {
				return &g.RoleDetailList[i]
			}
		}
	}
	return nil
}

func (o *output) group(acct, name string) *gaadGroup {
	for i, gr := range o.gaad[acct].GroupDetailList {
		if gr.GroupName == name {
			return &o.gaad[acct].GroupDetailList[i]
		}
	}
	return nil
}

func (o *output) policy(acct, arn string) *gaadPolicy {
	for i, p := range o.gaad[acct].Policies {
		if p.Arn == arn {
			return &o.gaad[acct].Policies[i]
		}
	}
	return nil
}

func (o *output) credRow(acct, user string) map[string]string {
	for _, r := range o.cred[acct] {
		if r["user"] == user {
			return r
		}
	}
	return nil
}

// defaultDoc returns the default version's document of policy p.
func defaultDoc(p *gaadPolicy) policyDoc {
	for _, v := range p.PolicyVersionList {
		if v.IsDefaultVersion {
			return v.Document
		}
	}
	return policyDoc{}
}

func attachedNames(a []attachedPolicy) []string {
	var out []string
	for _, p := range a {
		out = append(out, p.PolicyName)
	}
	return out
}

func tagValue(tags []tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// strs normalises an IAM string-or-list field.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
