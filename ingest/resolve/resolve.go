package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Source is the sync source that resolution runs write.
const Source = "resolution"

// IdentityPrefix starts the ID of every resolved identity.
const IdentityPrefix = "identity:"

// Account is what resolution reads of one account node.
type Account struct {
	ID, Source, Subkind, Name string
	Email, EmployeeID, UPN    string
	OnBehalfOf                string
	Status                    string
	DisplayName               string
}

// FromNode reads an account's keys from its props.
func FromNode(n *graph.Node) Account {
	p := n.Props
	return Account{
		ID: n.ID, Source: n.Source, Subkind: n.Subkind, Name: n.Name,
		Email: norm(p[graph.PropEmail]), EmployeeID: strings.TrimSpace(p[graph.PropEmployeeID]),
		UPN: norm(p[graph.PropUPN]), OnBehalfOf: norm(p[graph.PropOnBehalfOf]),
		Status: p[graph.PropStatus], DisplayName: p[graph.PropDisplayName],
	}
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// keys lists an account's keys, strongest first, as "kind:value".
func (a *Account) keys() []string {
	var out []string
	if a.EmployeeID != "" {
		out = append(out, "employee_id:"+a.EmployeeID)
	}
	if a.Email != "" {
		out = append(out, "email:"+a.Email)
	}
	// A UPN is a mailbox-shaped name: it joins accounts whose email is the same.
	if a.UPN != "" && a.UPN != a.Email {
		out = append(out, "email:"+a.UPN)
	}
	return out
}

// Conflict says why two groups of accounts were kept apart.
type Conflict struct {
	// Key is the key the two groups share ("email:alex@example.com").
	Key string `json:"key"`
	// Left and Right are the account IDs on each side.
	Left  []string `json:"left"`
	Right []string `json:"right"`
	// Reason says what disagrees.
	Reason string `json:"reason"`
}

// String renders c for logs and CLI output.
func (c Conflict) String() string {
	return fmt.Sprintf("%s: %s (%s vs %s)", c.Key, c.Reason, strings.Join(c.Left, ","), strings.Join(c.Right, ","))
}

// Result is one resolution pass.
type Result struct {
	Batch      *graph.Batch
	Identities int
	Linked     int // accounts linked to an identity
	Unlinked   int // accounts without any key
	Conflicts  []Conflict
}

// cluster is a union-find set of accounts.
type cluster struct {
	parent   int
	members  []int
	employee string // the one employee id the cluster may hold
}

type resolver struct {
	accts    []Account
	sets     []cluster
	keyOwner map[string]int // key -> an account that holds it
	result   *Result
}

func (r *resolver) find(i int) int {
	for r.sets[i].parent != i {
		r.sets[i].parent = r.sets[r.sets[i].parent].parent
		i = r.sets[i].parent
	}
	return i
}

// union joins the sets of i and j through key, unless their employee ids
// disagree.
func (r *resolver) union(i, j int, key string) {
	a, b := r.find(i), r.find(j)
	if a == b {
		return
	}
	ea, eb := r.sets[a].employee, r.sets[b].employee
	if ea != "" && eb != "" && ea != eb {
		r.result.Conflicts = append(r.result.Conflicts, Conflict{
			Key: key, Left: r.ids(a), Right: r.ids(b),
			Reason: fmt.Sprintf("employee ids %s and %s differ", ea, eb),
		})
		return
	}
	if len(r.sets[a].members) < len(r.sets[b].members) {
		a, b = b, a
	}
	r.sets[b].parent = a
	r.sets[a].members = append(r.sets[a].members, r.sets[b].members...)
	r.sets[b].members = nil
	if r.sets[a].employee == "" {
		r.sets[a].employee = r.sets[b].employee
	}
}

func (r *resolver) ids(root int) []string {
	out := make([]string, 0, len(r.sets[root].members))
	for _, m := range r.sets[root].members {
		out = append(out, r.accts[m].ID)
	}
	slices.Sort(out)
	return out
}

// Resolve links accounts to identities. Accounts must be sorted by ID for
// the result to be deterministic (Run sorts them).
func Resolve(accts []Account) *Result {
	r := &resolver{accts: accts, keyOwner: map[string]int{}, result: &Result{Batch: graph.NewBatch(Source)}}
	r.sets = make([]cluster, len(accts))
	for i := range accts {
		a := &accts[i]
		a.Email, a.UPN, a.OnBehalfOf = norm(a.Email), norm(a.UPN), norm(a.OnBehalfOf)
		a.EmployeeID = strings.TrimSpace(a.EmployeeID)
		r.sets[i] = cluster{parent: i, members: []int{i}, employee: accts[i].EmployeeID}
	}
	// Strongest keys first, so an email never merges what employee ids split.
	for _, kind := range []string{"employee_id:", "email:"} {
		for i := range accts {
			for _, k := range accts[i].keys() {
				if !strings.HasPrefix(k, kind) {
					continue
				}
				if j, ok := r.keyOwner[k]; ok {
					r.union(j, i, k)
				} else {
					r.keyOwner[k] = i
				}
			}
		}
	}
	r.emit()
	return r.result
}

// emit writes one identity per cluster that has a key, and its links.
func (r *resolver) emit() {
	b := r.result.Batch
	byEmail := map[string][]string{} // email -> identity ids, for on-behalf-of links
	type pending struct{ agent, email string }
	var delegations []pending
	for i := range r.sets {
		if r.sets[i].parent != i {
			continue
		}
		ms := r.sets[i].members
		slices.SortFunc(ms, func(x, y int) int { return strings.Compare(r.accts[x].ID, r.accts[y].ID) })
		id, name, subkind, keys := r.identityOf(ms)
		if id == "" {
			r.result.Unlinked += len(ms)
			continue
		}
		shared := map[string]int{}
		for _, m := range ms {
			for _, k := range r.accts[m].keys() {
				shared[k]++
			}
		}
		r.result.Identities++
		b.AddNode(graph.Node{ID: id, Kind: graph.KindIdentity, Subkind: subkind, Name: name,
			Props: map[string]string{"keys": strings.Join(keys, ","), "status": r.statusOf(ms)}})
		for _, m := range ms {
			a := &r.accts[m]
			b.AddNode(graph.Node{ID: a.ID, Kind: graph.KindAccount, Name: a.Name,
				Props: map[string]string{graph.PropStub: "true"}})
			b.AddEdge(graph.Edge{From: id, To: a.ID, Kind: graph.EdgeHasAccount,
				Props: map[string]string{"reason": r.reason(a, shared)}})
			r.result.Linked++
			if a.Email != "" && !slices.Contains(byEmail[a.Email], id) {
				byEmail[a.Email] = append(byEmail[a.Email], id)
			}
			if a.OnBehalfOf != "" {
				delegations = append(delegations, pending{agent: id, email: a.OnBehalfOf})
			}
		}
	}
	for _, d := range delegations {
		people := byEmail[d.email]
		if len(people) > 1 {
			r.result.Conflicts = append(r.result.Conflicts, Conflict{Key: "on_behalf_of:" + d.email,
				Left: []string{d.agent}, Right: people,
				Reason: "the person an agent acts for matches more than one identity; no delegation linked"})
			continue
		}
		if len(people) == 0 || people[0] == d.agent {
			continue
		}
		person := people[0]
		b.AddEdge(graph.Edge{From: d.agent, To: person, Kind: graph.EdgeDelegates,
			Via: []string{"on_behalf_of " + d.email}})
	}
}

// identityOf picks the identity's ID (employee id, else the smallest email),
// name and subkind from its accounts.
func (r *resolver) identityOf(ms []int) (id, name, subkind string, keys []string) {
	var emp, email, display string
	subkind = "human"
	for _, m := range ms {
		a := &r.accts[m]
		if a.EmployeeID != "" {
			emp = a.EmployeeID
		}
		for _, k := range a.keys() {
			if v, ok := strings.CutPrefix(k, "email:"); ok && (email == "" || v < email) {
				email = v
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if display == "" {
			display = a.DisplayName
		}
		if a.OnBehalfOf != "" || strings.Contains(a.Subkind, "agent") {
			subkind = "agent"
		} else if strings.Contains(a.Subkind, "service") && subkind != "agent" {
			subkind = "service"
		}
	}
	slices.Sort(keys)
	switch {
	case emp != "":
		id = IdentityPrefix + "employee:" + emp
	case email != "":
		id = IdentityPrefix + email
	default:
		return "", "", "", nil
	}
	name = display
	if name == "" {
		name = email
	}
	if name == "" {
		name = emp
	}
	return id, name, subkind, keys
}

// statusOf is "offboarded" or "suspended" when any account says so (HR
// first), else "active".
func (r *resolver) statusOf(ms []int) string {
	st := "active"
	for _, m := range ms {
		switch s := norm(r.accts[m].Status); s {
		case "offboarded", "terminated", "deprovisioned":
			return "offboarded"
		case "suspended", "disabled":
			st = "suspended"
		}
	}
	return st
}

// reason names the key that ties account a to its identity: its strongest
// key that another member shares, else its strongest key.
func (r *resolver) reason(a *Account, shared map[string]int) string {
	ak := a.keys()
	for _, k := range ak {
		if shared[k] > 1 {
			return k
		}
	}
	return ak[0]
}

// Run reads every account of st, resolves them and writes the result as a
// sync run of Source.
func Run(ctx context.Context, st graph.Store, write func(context.Context, *graph.Batch) error) (*Result, error) {
	var accts []Account
	err := st.Scan(ctx, func(n *graph.Node) error {
		if n.Kind == graph.KindAccount && n.Props[graph.PropStub] != "true" {
			if a := FromNode(n); len(a.keys()) > 0 {
				accts = append(accts, a)
			}
		}
		return nil
	}, func(*graph.Edge) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("resolve identities: %w", err)
	}
	slices.SortFunc(accts, func(x, y Account) int { return strings.Compare(x.ID, y.ID) })
	res := Resolve(accts)
	if err := write(ctx, res.Batch); err != nil {
		return nil, fmt.Errorf("resolve identities: %w", err)
	}
	return res, nil
}
