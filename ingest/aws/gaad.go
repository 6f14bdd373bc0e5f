package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// Options tunes how an export is turned into a batch.
type Options struct {
	// Levels is the IAM action catalogue; nil uses the verb heuristic of
	// ActionLevels.Level and never expands wildcards.
	Levels *ActionLevels
	// Now is the time ages are computed against; zero means time.Now().
	Now time.Time
}

// Subkinds of the nodes this package emits.
const (
	SubkindUser       = "aws-user"
	SubkindGroup      = "aws-group"
	SubkindRole       = "aws-role"
	SubkindPolicy     = "aws-policy"
	SubkindAccount    = "aws-account"
	SubkindResource   = "aws-resource"
	SubkindService    = "aws-service"
	SubkindFederated  = "aws-federated"
	SubkindAnyone     = "public"
	SubkindAccessKey  = "aws-access-key"
	SubkindPassword   = "aws-console-password"
	SubkindSigningKey = "aws-signing-cert"
)

// gaadKeys are the top-level keys of get-account-authorization-details.
var gaadKeys = []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}

type inlinePolicy struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

type attachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

type boundaryRef struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

type gaadUser struct {
	UserName                string
	UserID                  string `json:"UserId"`
	Arn                     string
	Path                    string
	CreateDate              string
	GroupList               []string
	UserPolicyList          []inlinePolicy
	AttachedManagedPolicies []attachedPolicy
	PermissionsBoundary     *boundaryRef
	Tags                    []tag
}

// tag is an IAM tag. Some tags name the person behind a user (see tagProps).
type tag struct {
	Key, Value string
}

type gaadGroup struct {
	GroupName               string
	GroupID                 string `json:"GroupId"`
	Arn                     string
	Path                    string
	CreateDate              string
	GroupPolicyList         []inlinePolicy
	AttachedManagedPolicies []attachedPolicy
}

type gaadRole struct {
	RoleName                 string
	RoleID                   string `json:"RoleId"`
	Arn                      string
	Path                     string
	CreateDate               string
	AssumeRolePolicyDocument json.RawMessage
	InstanceProfileList      []struct {
		InstanceProfileName string
		Arn                 string
	}
	RolePolicyList          []inlinePolicy
	AttachedManagedPolicies []attachedPolicy
	PermissionsBoundary     *boundaryRef
	RoleLastUsed            struct {
		LastUsedDate string
		Region       string
	}
}

type gaadPolicy struct {
	PolicyName        string
	PolicyID          string `json:"PolicyId"`
	Arn               string
	Path              string
	DefaultVersionID  string `json:"DefaultVersionId"`
	AttachmentCount   *int
	IsAttachable      bool
	PolicyVersionList []struct {
		Document         json.RawMessage
		VersionID        string `json:"VersionId"`
		IsDefaultVersion bool
	}
}

// managedPolicy is a managed policy with its parsed default version.
type managedPolicy struct {
	raw gaadPolicy
	doc *policyDoc
}

// sourcedPolicy is a policy that applies to a principal, and how.
type sourcedPolicy struct {
	via string
	doc *policyDoc
}

// principalInfo is an IAM user or role with every policy that applies to it.
type principalInfo struct {
	arn      string
	name     string
	isRole   bool
	policies []sourcedPolicy
	boundary *sourcedPolicy
	acts     map[string]bool // memo of mayAct
}

// model is a parsed and validated GAAD export.
type model struct {
	file     string
	account  string
	users    []gaadUser
	groups   map[string]gaadGroup
	roles    []gaadRole
	trusts   map[string]*policyDoc // role ARN -> trust policy
	policies map[string]*managedPolicy
	order    []string // policy ARNs in file order
	princ    []*principalInfo
	byARN    map[string]*principalInfo
}

// ParseAuthorizationDetails reads the JSON written by `aws iam
// get-account-authorization-details` from r and returns the account's batch,
// with source "aws:<account id>". name is used in error messages. Everything
// is parsed and validated before the batch is returned; on any error no batch
// is returned.
func ParseAuthorizationDetails(name string, r io.Reader, opt Options) (*graph.Batch, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	m, err := parseModel(name, data)
	if err != nil {
		return nil, err
	}
	b, err := newBuilder(m, opt).build()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

func parseModel(name string, data []byte) (*model, error) {
	top, err := decodeTop(name, data)
	if err != nil {
		return nil, err
	}
	m := &model{file: name, groups: map[string]gaadGroup{}, trusts: map[string]*policyDoc{},
		policies: map[string]*managedPolicy{}, byARN: map[string]*principalInfo{}}

	var rawPolicies, rawUsers, rawGroups, rawRoles []json.RawMessage
	for _, l := range []struct {
		key string
		dst *[]json.RawMessage
	}{{"Policies", &rawPolicies}, {"UserDetailList", &rawUsers}, {"GroupDetailList", &rawGroups}, {"RoleDetailList", &rawRoles}} {
		if v, ok := top[l.key]; ok && string(bytes.TrimSpace(v)) != "null" {
			if err := json.Unmarshal(v, l.dst); err != nil {
				return nil, jsonerr.Element(name+": "+l.key, err)
			}
		}
	}

	if err := m.parsePolicies(rawPolicies); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := m.parseGroups(rawGroups); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := m.parseUsers(rawUsers); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := m.parseRoles(rawRoles); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := m.findAccount(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// decodeTop checks that data is a GAAD document and returns its top level.
func decodeTop(name string, data []byte) (map[string]json.RawMessage, error) {
	expect := "expected the JSON of `aws iam get-account-authorization-details` with top-level keys " +
		strings.Join(gaadKeys, ", ")
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s: empty file: %s", name, expect)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%s: not a JSON object (%s): %s", name, sniff(trimmed), expect)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(name, data, err)
	}
	found := false
	for _, k := range gaadKeys {
		if _, ok := top[k]; ok {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no GAAD lists (found keys %s): %s", name,
			strings.Join(sortedKeys(top), ", "), expect)
	}
	if t, ok := top["IsTruncated"]; ok && string(bytes.TrimSpace(t)) == "true" {
		return nil, fmt.Errorf("%s: IsTruncated is true: this is one page of a paginated export; "+
			"export all pages (the AWS CLI does so unless --max-items or --no-paginate is given)", name)
	}
	return top, nil
}

// sniff names what a non-GAAD input looks like, for error messages.
func sniff(data []byte) string {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	s := string(first)
	switch {
	case strings.HasPrefix(s, "user,arn,"):
		return "it looks like an IAM credential report CSV"
	case strings.HasPrefix(s, "apiVersion:") || strings.HasPrefix(s, "kind:") || strings.HasPrefix(s, "---"):
		return "it looks like a Kubernetes YAML manifest"
	case strings.HasPrefix(s, "["):
		return "it is a JSON list"
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("it starts with %q", s)
}

// jsonError turns a decoding error into one that names the file, the byte
// offset and the line and column.
func jsonError(name string, data []byte, err error) error {
	return fmt.Errorf("%s: %w", name, jsonerr.Explain(data, err))
}

func (m *model) parsePolicies(raws []json.RawMessage) error {
	for i, raw := range raws {
		path := fmt.Sprintf("Policies[%d]", i)
		var p gaadPolicy
		if err := json.Unmarshal(raw, &p); err != nil {
			return jsonerr.Element(path, err)
		}
		if p.Arn == "" || p.PolicyName == "" {
			return fmt.Errorf("%s: missing Arn or PolicyName", path)
		}
		if _, dup := m.policies[p.Arn]; dup {
			return fmt.Errorf("%s: duplicate policy %s", path, p.Arn)
		}
		var doc *policyDoc
		for j, v := range p.PolicyVersionList {
			if v.VersionID != p.DefaultVersionID && (p.DefaultVersionID != "" || !v.IsDefaultVersion) {
				continue
			}
			d, err := parsePolicy(fmt.Sprintf("%s.PolicyVersionList[%d].Document", path, j), v.Document, identityDoc)
			if err != nil {
				return err
			}
			doc = d
		}
		if doc == nil {
			return fmt.Errorf("%s: policy %s: default version %q is not in PolicyVersionList", path, p.Arn, p.DefaultVersionID)
		}
		m.policies[p.Arn] = &managedPolicy{raw: p, doc: doc}
		m.order = append(m.order, p.Arn)
	}
	return nil
}

func (m *model) parseGroups(raws []json.RawMessage) error {
	for i, raw := range raws {
		path := fmt.Sprintf("GroupDetailList[%d]", i)
		var g gaadGroup
		if err := json.Unmarshal(raw, &g); err != nil {
			return jsonerr.Element(path, err)
		}
		if g.Arn == "" || g.GroupName == "" {
			return fmt.Errorf("%s: missing Arn or GroupName", path)
		}
		if _, dup := m.groups[g.GroupName]; dup {
			return fmt.Errorf("%s: duplicate group %q", path, g.GroupName)
		}
		if err := m.checkAttached(path, g.AttachedManagedPolicies); err != nil {
			return err
		}
		for j, ip := range g.GroupPolicyList {
			if _, err := parsePolicy(fmt.Sprintf("%s.GroupPolicyList[%d].PolicyDocument", path, j),
				ip.PolicyDocument, identityDoc); err != nil {
				return err
			}
		}
		m.groups[g.GroupName] = g
	}
	return nil
}

func (m *model) checkAttached(path string, list []attachedPolicy) error {
	for j, a := range list {
		if _, ok := m.policies[a.PolicyArn]; !ok {
			return fmt.Errorf("%s.AttachedManagedPolicies[%d]: policy %q is not in Policies "+
				"(export without --filter, or with LocalManagedPolicy and AWSManagedPolicy)", path, j, a.PolicyArn)
		}
	}
	return nil
}

// collect gathers the inline and attached policies at path into p.
func (m *model) collect(p *principalInfo, path, listName string, inline []inlinePolicy,
	attached []attachedPolicy, suffix string,
) error {
	for j, ip := range inline {
		doc, err := parsePolicy(fmt.Sprintf("%s.%s[%d].PolicyDocument", path, listName, j), ip.PolicyDocument, identityDoc)
		if err != nil {
			return err
		}
		p.policies = append(p.policies, sourcedPolicy{via: "inline/" + ip.PolicyName + suffix, doc: doc})
	}
	if err := m.checkAttached(path, attached); err != nil {
		return err
	}
	for _, a := range attached {
		mp := m.policies[a.PolicyArn]
		p.policies = append(p.policies, sourcedPolicy{via: "policy/" + mp.raw.PolicyName + suffix, doc: mp.doc})
	}
	return nil
}

func (m *model) boundary(path string, b *boundaryRef) (*sourcedPolicy, error) {
	if b == nil || b.PermissionsBoundaryArn == "" {
		return nil, nil
	}
	mp, ok := m.policies[b.PermissionsBoundaryArn]
	if !ok {
		return nil, fmt.Errorf("%s.PermissionsBoundary: policy %q is not in Policies", path, b.PermissionsBoundaryArn)
	}
	return &sourcedPolicy{via: "boundary/" + mp.raw.PolicyName, doc: mp.doc}, nil
}

func (m *model) addPrincipal(path string, p *principalInfo) error {
	if _, dup := m.byARN[p.arn]; dup {
		return fmt.Errorf("%s: duplicate principal %s", path, p.arn)
	}
	m.byARN[p.arn] = p
	m.princ = append(m.princ, p)
	return nil
}

func (m *model) parseUsers(raws []json.RawMessage) error {
	for i, raw := range raws {
		path := fmt.Sprintf("UserDetailList[%d]", i)
		var u gaadUser
		if err := json.Unmarshal(raw, &u); err != nil {
			return jsonerr.Element(path, err)
		}
		if u.Arn == "" || u.UserName == "" {
			return fmt.Errorf("%s: missing Arn or UserName", path)
		}
		p := &principalInfo{arn: u.Arn, name: u.UserName}
		if err := m.collect(p, path, "UserPolicyList", u.UserPolicyList, u.AttachedManagedPolicies, ""); err != nil {
			return err
		}
		for j, gn := range u.GroupList {
			g, ok := m.groups[gn]
			if !ok {
				return fmt.Errorf("%s.GroupList[%d]: group %q is not in GroupDetailList", path, j, gn)
			}
			gpath := fmt.Sprintf("GroupDetailList[%s]", strconv.Quote(gn))
			if err := m.collect(p, gpath, "GroupPolicyList", g.GroupPolicyList, g.AttachedManagedPolicies,
				" via group/"+gn); err != nil {
				return err
			}
		}
		var err error
		if p.boundary, err = m.boundary(path, u.PermissionsBoundary); err != nil {
			return err
		}
		if err := m.addPrincipal(path, p); err != nil {
			return err
		}
		m.users = append(m.users, u)
	}
	return nil
}

func (m *model) parseRoles(raws []json.RawMessage) error {
	for i, raw := range raws {
		path := fmt.Sprintf("RoleDetailList[%d]", i)
		var r gaadRole
		if err := json.Unmarshal(raw, &r); err != nil {
			return jsonerr.Element(path, err)
		}
		if r.Arn == "" || r.RoleName == "" {
			return fmt.Errorf("%s: missing Arn or RoleName", path)
		}
		trust, err := parsePolicy(path+".AssumeRolePolicyDocument", r.AssumeRolePolicyDocument, trustDoc)
		if err != nil {
			return err
		}
		p := &principalInfo{arn: r.Arn, name: r.RoleName, isRole: true}
		if err := m.collect(p, path, "RolePolicyList", r.RolePolicyList, r.AttachedManagedPolicies, ""); err != nil {
			return err
		}
		if p.boundary, err = m.boundary(path, r.PermissionsBoundary); err != nil {
			return err
		}
		if err := m.addPrincipal(path, p); err != nil {
			return err
		}
		m.trusts[r.Arn] = trust
		m.roles = append(m.roles, r)
	}
	return nil
}

// findAccount takes the account id from the ARNs of users, groups, roles and
// customer managed policies; all must agree.
func (m *model) findAccount() error {
	seen := map[string]string{} // account -> first ARN
	note := func(arn string) error {
		acct := arnAccount(arn)
		if acct == "" || acct == "aws" {
			return nil
		}
		if !isAccountID(acct) {
			return fmt.Errorf("ARN %q: account %q is not a 12-digit account id", arn, acct)
		}
		if _, ok := seen[acct]; !ok {
			seen[acct] = arn
		}
		return nil
	}
	for _, u := range m.users {
		if err := note(u.Arn); err != nil {
			return err
		}
	}
	for _, g := range sortedKeys(m.groups) {
		if err := note(m.groups[g].Arn); err != nil {
			return err
		}
	}
	for _, r := range m.roles {
		if err := note(r.Arn); err != nil {
			return err
		}
	}
	for _, p := range m.order {
		if err := note(p); err != nil {
			return err
		}
	}
	switch len(seen) {
	case 0:
		return fmt.Errorf("no account id: the export has no user, group, role or customer policy ARN")
	case 1:
		for a := range seen {
			m.account = a
		}
		return nil
	}
	var parts []string
	for _, a := range sortedKeys(seen) {
		parts = append(parts, fmt.Sprintf("%s (%s)", a, seen[a]))
	}
	return fmt.Errorf("the export mixes accounts %s: expected one account per file", strings.Join(parts, ", "))
}

// arnAccount returns the account field of an ARN, or "" if s is not an ARN.
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// arnService returns the service field of an ARN, or "" if s is not an ARN.
func arnService(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return strings.ToLower(parts[2])
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
