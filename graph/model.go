package graph

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is the kind of a node.
type Kind uint8

// Node kinds, in the vocabulary of docs/DESIGN.md.
const (
	KindUnknown     Kind = iota
	KindIdentity         // a person, service or agent
	KindAccount          // an identity's presence in one system (IAM user, k8s user, SA)
	KindGroup            // a set of principals
	KindRole             // a bundle of permissions a principal holds or assumes
	KindEntitlement      // a concrete permission set: actions on a resource scope
	KindResource         // something that can be reached, with a sensitivity
	KindCredential       // an API key, access key, personal token, session, refresh token
	KindGrant            // a delegated OAuth consent: subject, client, scopes
	KindApplication      // an OAuth client, service principal, app or cloud service
)

var kindNames = [...]string{
	KindUnknown:     "unknown",
	KindIdentity:    "identity",
	KindAccount:     "account",
	KindGroup:       "group",
	KindRole:        "role",
	KindEntitlement: "entitlement",
	KindResource:    "resource",
	KindCredential:  "credential",
	KindGrant:       "grant",
	KindApplication: "application",
}

// String returns the lower-case name of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind parses a kind name as printed by Kind.String (case-insensitive).
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if i > 0 && strings.EqualFold(n, s) {
			return Kind(i), nil
		}
	}
	return KindUnknown, fmt.Errorf("unknown node kind %q", s)
}

// Kinds lists every valid node kind.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames)-1)
	for i := 1; i < len(kindNames); i++ {
		out = append(out, Kind(i))
	}
	return out
}

// IsPrincipal reports whether nodes of kind k can act: they are where blast
// radius queries may start and where reverse reach ends.
func (k Kind) IsPrincipal() bool {
	switch k {
	case KindIdentity, KindAccount, KindGroup, KindRole, KindCredential, KindGrant,
		KindApplication, KindEntitlement:
		return true
	}
	return false
}

// Privilege is the tier of access an edge grants, ordered: a higher value
// includes the lower ones.
type Privilege uint8

// Privilege tiers.
const (
	PrivNone  Privilege = iota // no access (informational edges)
	PrivRead                   // list, read, describe
	PrivWrite                  // create, modify, delete, tag
	PrivAdmin                  // change permissions, impersonate, full control
)

var privNames = [...]string{"none", "read", "write", "admin"}

// String returns the lower-case name of p.
func (p Privilege) String() string {
	if int(p) < len(privNames) {
		return privNames[p]
	}
	return fmt.Sprintf("privilege(%d)", uint8(p))
}

// ParsePrivilege parses a privilege name (case-insensitive).
func ParsePrivilege(s string) (Privilege, error) {
	for i, n := range privNames {
		if strings.EqualFold(n, s) {
			return Privilege(i), nil
		}
	}
	return PrivNone, fmt.Errorf("unknown privilege %q (want none, read, write or admin)", s)
}

// Sensitivity is how much damage reaching a resource can do.
type Sensitivity uint8

// Sensitivity levels.
const (
	SensUnknown Sensitivity = iota
	SensLow
	SensMedium
	SensHigh
	SensCritical
)

var sensNames = [...]string{"unknown", "low", "medium", "high", "critical"}

// String returns the lower-case name of s.
func (s Sensitivity) String() string {
	if int(s) < len(sensNames) {
		return sensNames[s]
	}
	return fmt.Sprintf("sensitivity(%d)", uint8(s))
}

// ParseSensitivity parses a sensitivity name (case-insensitive).
func ParseSensitivity(v string) (Sensitivity, error) {
	for i, n := range sensNames {
		if strings.EqualFold(n, v) {
			return Sensitivity(i), nil
		}
	}
	return SensUnknown, fmt.Errorf("unknown sensitivity %q (want low, medium, high or critical)", v)
}

// EdgeKind is the kind of an edge. Each kind has a fixed role in traversal,
// see EdgeKind.Traversal and EdgeKind.Terminal.
type EdgeKind uint8

// Edge kinds.
const (
	EdgeUnknown EdgeKind = iota
	// EdgeHasAccount links an identity to one of its accounts: identity -> account.
	EdgeHasAccount
	// EdgeMemberOf is membership: principal -> group.
	EdgeMemberOf
	// EdgeHasRole is a standing role assignment or binding: principal -> role.
	EdgeHasRole
	// EdgeCanAssume means the source may assume the role (a trust policy that
	// lets it, and where needed an identity policy allowing sts:AssumeRole).
	EdgeCanAssume
	// EdgeAuthenticates means whoever holds the credential acts as the target
	// principal: credential -> account.
	EdgeAuthenticates
	// EdgeDelegates means the source acts with the target's full power:
	// application -> the grant it holds, agent -> the identity it acts for,
	// a token-exchange actor -> its subject. (A scoped OAuth consent is not
	// a DELEGATES edge to its user: see EdgeOnBehalfOf.)
	EdgeDelegates
	// EdgeEscalates means the source can take over or change the target
	// (impersonate, bind, escalate, GenericAll, WriteDacl, iam:PassRole ...).
	EdgeEscalates
	// EdgeAccess grants actions on a resource: principal -> resource. Terminal.
	EdgeAccess
	// EdgeOwns is informational ownership (account -> credential, identity ->
	// grant it consented): it is never followed when computing reach.
	EdgeOwns
	// EdgeContains links a resource to a resource it includes (a wildcard
	// scope to a concrete one, a bucket to its objects): access to the
	// container at a privilege is access to the contained at that privilege,
	// transitively. A path is traversal edges, one ACCESS edge, then CONTAINS
	// edges.
	EdgeContains
	// EdgeOnBehalfOf links a delegated grant (an OAuth consent, a token
	// issued to a client for a user) to the account that consented. It is
	// informational: what the grant reaches is its own ACCESS edges, bounded
	// by its scopes, not everything the account can do.
	EdgeOnBehalfOf
)

var edgeKindNames = [...]string{
	EdgeUnknown:       "UNKNOWN",
	EdgeHasAccount:    "HAS_ACCOUNT",
	EdgeMemberOf:      "MEMBER_OF",
	EdgeHasRole:       "HAS_ROLE",
	EdgeCanAssume:     "CAN_ASSUME",
	EdgeAuthenticates: "AUTHENTICATES",
	EdgeDelegates:     "DELEGATES",
	EdgeEscalates:     "ESCALATES",
	EdgeAccess:        "ACCESS",
	EdgeOwns:          "OWNS",
	EdgeContains:      "CONTAINS",
	EdgeOnBehalfOf:    "ON_BEHALF_OF",
}

// String returns the upper-case relationship name of k (as used in Neo4j).
func (k EdgeKind) String() string {
	if int(k) < len(edgeKindNames) {
		return edgeKindNames[k]
	}
	return fmt.Sprintf("EDGE_%d", uint8(k))
}

// ParseEdgeKind parses a relationship name as printed by EdgeKind.String.
func ParseEdgeKind(s string) (EdgeKind, error) {
	for i, n := range edgeKindNames {
		if i > 0 && strings.EqualFold(n, s) {
			return EdgeKind(i), nil
		}
	}
	return EdgeUnknown, fmt.Errorf("unknown edge kind %q", s)
}

// EdgeKinds lists every valid edge kind.
func EdgeKinds() []EdgeKind {
	out := make([]EdgeKind, 0, len(edgeKindNames)-1)
	for i := 1; i < len(edgeKindNames); i++ {
		out = append(out, EdgeKind(i))
	}
	return out
}

// Traversal reports whether reach flows along edges of kind k: whoever holds
// the source holds the power of the target.
func (k EdgeKind) Traversal() bool {
	switch k {
	case EdgeHasAccount, EdgeMemberOf, EdgeHasRole, EdgeCanAssume, EdgeAuthenticates,
		EdgeDelegates, EdgeEscalates:
		return true
	}
	return false
}

// Terminal reports whether edges of kind k grant access to a resource: after
// one of them a path may only continue along Containment edges.
func (k EdgeKind) Terminal() bool { return k == EdgeAccess }

// Containment reports whether edges of kind k pass access from a resource to
// a resource it includes.
func (k EdgeKind) Containment() bool { return k == EdgeContains }

// PropStub marks a node that a source references but does not own (a principal
// of another account, a cloud service): Props[PropStub] == "true". A store never
// lets a stub overwrite a node that its owning source reported.
const PropStub = "stub"

// Identity keys that connectors set in an account's Props, normalised
// (trimmed; emails and UPNs lower-cased). Identity resolution links accounts
// that share a key to one identity, and records which key on the link.
const (
	PropEmail      = "email"       // a mailbox the account belongs to
	PropEmployeeID = "employee_id" // the HR system's id for the person
	PropUPN        = "upn"         // a user principal name (user@domain)
	// PropOnBehalfOf names the email of the person an agent or service
	// account acts for.
	PropOnBehalfOf = "on_behalf_of"
	// PropStatus is the account's lifecycle state in its source: "active",
	// "suspended", "deprovisioned" or "offboarded".
	PropStatus = "status"
	// PropDisplayName is a person-readable name, when the source has one.
	PropDisplayName = "display_name"
)

// Node is one vertex of the access graph.
type Node struct {
	// ID is stable across sync runs: the same real thing always gets the same
	// ID (an ARN, a source-qualified name). See the ID helpers in ids.go.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Subkind refines Kind: "human", "service", "agent" for identities;
	// "aws-user", "k8s-serviceaccount", "clusterrole" and so on elsewhere.
	Subkind string `json:"subkind,omitempty"`
	// Name is what a person reads.
	Name string `json:"name"`
	// Sensitivity is set on resources.
	Sensitivity Sensitivity `json:"sensitivity,omitempty"`
	// Source is the sync source that reported this node, e.g. "aws:012345678901".
	Source string `json:"source"`
	// SyncRun is the ID of the run that last wrote it.
	SyncRun string `json:"syncRun,omitempty"`
	// Props holds source-specific attributes as strings.
	Props map[string]string `json:"props,omitempty"`
}

// Edge is one typed relationship. Its ID is derived from From, Kind and To
// (see EdgeID), so at most one edge of a kind joins two nodes; an edge
// carries the union of what its source reported for that pair.
type Edge struct {
	From string   `json:"from"`
	To   string   `json:"to"`
	Kind EdgeKind `json:"kind"`
	// Privilege is the highest tier the edge grants (EdgeAccess, EdgeEscalates).
	Privilege Privilege `json:"privilege,omitempty"`
	// Actions are the source's own action names, sorted (e.g. "s3:GetObject", "get").
	Actions []string `json:"actions,omitempty"`
	// Conditions, if any, restrict when the edge applies, in the source's syntax.
	Conditions []string `json:"conditions,omitempty"`
	// Via says what the edge was derived from (policy names, binding names).
	Via []string `json:"via,omitempty"`
	// Source is the sync source that reported this edge.
	Source string `json:"source"`
	// SyncRun is the ID of the run that last wrote it.
	SyncRun string `json:"syncRun,omitempty"`
	// Props holds source-specific attributes as strings.
	Props map[string]string `json:"props,omitempty"`
}

// EdgeID returns the stable ID of the edge of kind k from -> to.
func EdgeID(from string, k EdgeKind, to string) string {
	return from + "|" + k.String() + "|" + to
}

// ID returns e's stable ID.
func (e *Edge) ID() string { return EdgeID(e.From, e.Kind, e.To) }

// Validate checks that n is well formed.
func (n *Node) Validate() error {
	switch {
	case n.ID == "":
		return fmt.Errorf("node %q: empty id", n.Name)
	case n.Kind == KindUnknown || int(n.Kind) >= len(kindNames):
		return fmt.Errorf("node %q: invalid kind %d", n.ID, n.Kind)
	case n.Source == "":
		return fmt.Errorf("node %q: empty source", n.ID)
	}
	return nil
}

// Validate checks that e is well formed.
func (e *Edge) Validate() error {
	switch {
	case e.From == "" || e.To == "":
		return fmt.Errorf("edge %s: empty endpoint", e.ID())
	case e.Kind == EdgeUnknown || int(e.Kind) >= len(edgeKindNames):
		return fmt.Errorf("edge %s: invalid kind %d", e.ID(), e.Kind)
	case e.Source == "":
		return fmt.Errorf("edge %s: empty source", e.ID())
	case e.Privilege > PrivAdmin:
		return fmt.Errorf("edge %s: invalid privilege %d", e.ID(), e.Privilege)
	}
	return nil
}

// Merge folds o (same ID) into e: the higher privilege wins and actions,
// conditions and via are unioned. A connector that reports the same pair
// twice gets one edge that carries both.
func (e *Edge) Merge(o *Edge) {
	if o.Privilege > e.Privilege {
		e.Privilege = o.Privilege
	}
	e.Actions = unionSorted(e.Actions, o.Actions)
	e.Conditions = unionSorted(e.Conditions, o.Conditions)
	e.Via = unionSorted(e.Via, o.Via)
	for k, v := range o.Props {
		if e.Props == nil {
			e.Props = map[string]string{}
		}
		e.Props[k] = v
	}
}

func unionSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	seen := make(map[string]struct{}, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, s := range append(append([]string(nil), a...), b...) {
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
