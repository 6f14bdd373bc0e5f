package projection

import (
	"github.com/accessgraph/accessgraph/graph"
)

// NodeRef is a compact, printable reference to a node of a snapshot.
type NodeRef struct {
	ID          string            `json:"id"`
	Kind        graph.Kind        `json:"kind"`
	Subkind     string            `json:"subkind,omitempty"`
	Name        string            `json:"name"`
	Source      string            `json:"source"`
	Sensitivity graph.Sensitivity `json:"sensitivity,omitempty"`
}

// Step is one edge of a path, with what it carries.
type Step struct {
	Kind       graph.EdgeKind  `json:"kind"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	Privilege  graph.Privilege `json:"privilege"`
	Actions    []string        `json:"actions,omitempty"`
	Conditions []string        `json:"conditions,omitempty"`
	Via        []string        `json:"via,omitempty"`
}

// Path is a simple path: Nodes has one more element than Steps.
type Path struct {
	Nodes []NodeRef `json:"nodes"`
	Steps []Step    `json:"steps"`
	// Privilege is what the path grants: the privilege of its last step when
	// that step is an ACCESS edge, admin when it ends with an ESCALATES edge,
	// otherwise none (the path makes its holder act as the last node).
	Privilege graph.Privilege `json:"privilege"`
	// Actions are the actions of the last ACCESS step.
	Actions []string `json:"actions,omitempty"`
	// Conditional is true when any step carries conditions.
	Conditional bool `json:"conditional"`
	// Escalation is true when any step is an ESCALATES edge.
	Escalation bool `json:"escalation"`
}

// Len returns the number of steps in p.
func (p *Path) Len() int { return len(p.Steps) }

// Window selects which results of a query get their witness path built (and,
// for blast radius, their union of actions): results [Offset, Offset+Limit)
// in the result order. A zero Limit means all. Witnesses and action unions
// are most of the cost of a large answer, and a client pages through it, so
// the GraphQL layer asks only for the page it returns.
type Window struct {
	Offset, Limit int
}

// Contains reports whether result i is in the window.
func (w Window) Contains(i int) bool {
	return w.Limit <= 0 || (i >= w.Offset && i < w.Offset+w.Limit)
}

// BlastRadiusQuery asks what an identity (or any principal) can reach.
type BlastRadiusQuery struct {
	// Witnesses selects the results whose Witness and Actions are filled
	// (zero: all).
	Witnesses Window
	// From is the ID of the starting node.
	From string
	// MinPrivilege drops reached resources below this tier.
	MinPrivilege graph.Privilege
	// MinSensitivity drops resources below this sensitivity.
	MinSensitivity graph.Sensitivity
	// MaxDepth bounds the number of steps of a witness path (0: unbounded).
	MaxDepth int
}

// Reach is one resource reached from the start of a blast-radius query.
type Reach struct {
	Resource NodeRef `json:"resource"`
	// Privilege is the highest tier granted over any path.
	Privilege graph.Privilege `json:"privilege"`
	// Actions is the union of actions granted over every path.
	Actions []string `json:"actions,omitempty"`
	// Witness is a shortest path among those granting Privilege.
	Witness Path `json:"witness"`
}

// Totals summarises a set of reached resources.
type Totals struct {
	Resources     int                       `json:"resources"`
	ByPrivilege   map[graph.Privilege]int   `json:"byPrivilege"`
	BySensitivity map[graph.Sensitivity]int `json:"bySensitivity"`
	// Principals is the number of principals the start acts as (itself included).
	Principals int `json:"principals"`
}

// BlastRadiusResult lists reached resources ordered by privilege (highest
// first), then sensitivity (highest first), then ID.
type BlastRadiusResult struct {
	From    NodeRef `json:"from"`
	Reaches []Reach `json:"reaches"`
	Totals  Totals  `json:"totals"`
}

// PathsQuery asks for the distinct simple paths from one node to another.
type PathsQuery struct {
	From, To string
	// MaxDepth bounds the number of steps (0: default 6).
	MaxDepth int
	// MaxPaths bounds the number of paths returned (0: default 100).
	MaxPaths int
}

// WhoCanReachQuery asks which principals reach a resource.
type WhoCanReachQuery struct {
	// Witnesses selects the results whose Witness is filled (zero: all).
	Witnesses Window
	// Resource is the ID of the target node.
	Resource string
	// MinPrivilege drops principals whose best privilege is lower.
	MinPrivilege graph.Privilege
	// Kinds restricts which principals are listed (all principal kinds if empty).
	Kinds []graph.Kind
	// MaxDepth bounds the number of steps of a witness path (0: unbounded).
	MaxDepth int
}

// Reacher is one principal that reaches the resource of a WhoCanReach query.
type Reacher struct {
	Principal NodeRef         `json:"principal"`
	Privilege graph.Privilege `json:"privilege"`
	Actions   []string        `json:"actions,omitempty"`
	// Witness is a shortest path among those granting Privilege.
	Witness Path `json:"witness"`
}

// WhoCanReachResult lists principals ordered by privilege (highest first),
// then path length, then ID.
type WhoCanReachResult struct {
	Resource NodeRef   `json:"resource"`
	Reachers []Reacher `json:"reachers"`
	// ByPrivilege counts reachers per tier.
	ByPrivilege map[graph.Privilege]int `json:"byPrivilege"`
}
