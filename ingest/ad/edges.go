package ad

import (
	"fmt"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Rights is the table of ACE right names BloodHound CE exports, each with
// what holding it over an object lets the holder do. Every one becomes an
// ESCALATES edge (privilege admin, Actions = the right) from the principal
// to the object; on a domain, OU, GPO or container also an ACCESS edge at
// admin. The replication rights are the exception, see dcsync.
var Rights = map[string]string{
	"GenericAll":               "full control of the object",
	"GenericWrite":             "write any non-protected attribute (logon script, SPN, key credentials, gPCFileSysPath)",
	"WriteDacl":                "rewrite the object's DACL, then grant itself anything",
	"WriteOwner":               "take ownership, then rewrite the DACL",
	"Owns":                     "the owner may always rewrite the DACL",
	"OwnsLimitedRights":        "ownership with the owner's implicit rights restricted by an OWNER RIGHTS ACE",
	"WriteOwnerLimitedRights":  "take ownership where OWNER RIGHTS limits the owner",
	"AllExtendedRights":        "every extended right: reset the password, read LAPS, replicate (on a domain)",
	"ForceChangePassword":      "reset the user's password without knowing it",
	"AddMember":                "add any principal to the group",
	"AddSelf":                  "add itself to the group",
	"AddKeyCredentialLink":     "write msDS-KeyCredentialLink: shadow credentials, authenticate as the object",
	"ReadLAPSPassword":         "read the computer's local administrator password",
	"SyncLAPSPassword":         "replicate the computer's LAPS password",
	"ReadGMSAPassword":         "read the group managed service account's password",
	"WriteSPN":                 "set an SPN on the user: targeted Kerberoasting",
	"WriteAccountRestrictions": "write msDS-AllowedToActOnBehalfOfOtherIdentity: resource-based constrained delegation",
	"AddAllowedToAct":          "add itself to the computer's resource-based constrained delegation",
	"WriteGPLink":              "link a GPO to the OU or domain: code execution on its objects",
	"ManageCA":                 "administer the certificate authority",
	"ManageCertificates":       "approve pending certificate requests",
	"Enroll":                   "enroll in the certificate template",
	"WritePKIEnrollmentFlag":   "change the template's enrollment flags",
	"WritePKINameFlag":         "change the template's subject name flags",
}

// Replication rights on the domain object. Each alone replicates only part
// of the directory (ACCESS read); GetChanges with GetChangesAll is DCSync,
// GetChanges with GetChangesInFilteredSet is SyncLAPSPassword.
const (
	rightGetChanges         = "GetChanges"
	rightGetChangesAll      = "GetChangesAll"
	rightGetChangesFiltered = "GetChangesInFilteredSet"
)

// Local groups of a computer (by RID) and what their members get.
var localGroups = map[string]struct {
	action string
	priv   graph.Privilege
}{
	"544": {"AdminTo", graph.PrivAdmin},
	"555": {"CanRDP", graph.PrivWrite},
	"562": {"ExecuteDCOM", graph.PrivWrite},
	"580": {"CanPSRemote", graph.PrivWrite},
}

func (bd *builder) esc(from, to, action, via string) {
	if from == to {
		return
	}
	bd.b.AddEdge(graph.Edge{From: from, To: to, Kind: graph.EdgeEscalates, Privilege: graph.PrivAdmin,
		Actions: []string{action}, Via: []string{via}})
}

func (bd *builder) access(from, to string, p graph.Privilege, action, via string) {
	bd.b.AddEdge(graph.Edge{From: from, To: to, Kind: graph.EdgeAccess, Privilege: p,
		Actions: []string{action}, Via: []string{via}})
}

// control is an ESCALATES edge to o, and for a resource an ACCESS edge at
// admin too (reach into resources is through ACCESS edges).
func (bd *builder) control(from string, o *object, to, action, via string) {
	bd.esc(from, to, action, via)
	if isResourceType(o.typ) {
		bd.access(from, to, graph.PrivAdmin, action, via)
	}
}

// grant maps a local group membership (by RID) on a computer.
func (bd *builder) grant(p, computer, rid, via string) bool {
	lg, ok := localGroups[rid]
	if !ok {
		return false
	}
	if lg.priv == graph.PrivAdmin {
		bd.esc(p, computer, lg.action, via)
	}
	bd.access(p, machineID(computer), lg.priv, lg.action, via)
	return true
}

// edges adds every edge an object carries.
func (bd *builder) edges(o *object) {
	self := bd.objNode(o)
	name := str(o.Properties["name"])
	bd.aces(o, self)
	if o.PrimaryGroupSID != "" {
		g := bd.principal(typed{ObjectIdentifier: o.PrimaryGroupSID, ObjectType: "Group"}, o.domain)
		bd.b.AddEdge(graph.Edge{From: self, To: g, Kind: graph.EdgeMemberOf, Via: []string{"primary group"}})
	}
	for _, m := range o.Members {
		bd.b.AddEdge(graph.Edge{From: bd.principal(m, o.domain), To: self, Kind: graph.EdgeMemberOf,
			Via: []string{"member"}})
	}
	// Containment: parents hold their children; GPOs hold what they are linked to.
	if o.ContainedBy != nil && o.ContainedBy.ObjectIdentifier != "" {
		parent := bd.ref(*o.ContainedBy, o.domain, false)
		bd.b.AddEdge(graph.Edge{From: parent, To: bd.contained(o), Kind: graph.EdgeContains, Via: []string{"contains"}})
	}
	for _, c := range o.ChildObjects {
		bd.b.AddEdge(graph.Edge{From: self, To: bd.ref(c, o.domain, false), Kind: graph.EdgeContains,
			Via: []string{"contains"}})
	}
	for _, l := range o.Links {
		gpo := bd.ref(typed{ObjectIdentifier: l.GUID, ObjectType: "GPO"}, o.domain, false)
		via := "gPLink"
		if l.IsEnforced {
			via = "gPLink (enforced)"
		}
		bd.b.AddEdge(graph.Edge{From: gpo, To: self, Kind: graph.EdgeContains, Via: []string{via}})
	}
	if g := o.GPOChanges; g != nil {
		via := "group policy on " + name
		for _, c := range g.AffectedComputers {
			comp := bd.principal(typed{ObjectIdentifier: c.ObjectIdentifier, ObjectType: "Computer"}, o.domain)
			bd.machine(c.ObjectIdentifier, o.domain)
			for rid, list := range map[string][]typed{"544": g.LocalAdmins, "555": g.RemoteDesktopUsers,
				"562": g.DcomUsers, "580": g.PSRemoteUsers} {
				for _, p := range list {
					bd.grant(bd.principal(p, o.domain), comp, rid, via)
				}
			}
		}
	}
	bd.delegation(o, self)
	if o.typ == "computers" {
		bd.computer(o, self)
	}
}

// aces maps the object's ACEs.
func (bd *builder) aces(o *object, self string) {
	for _, a := range o.Aces {
		p := bd.principal(typed{ObjectIdentifier: a.PrincipalSID, ObjectType: a.PrincipalType}, o.domain)
		via := a.RightName + " ACE"
		if a.IsInherited {
			via += " (inherited)"
		}
		switch a.RightName {
		case rightGetChanges, rightGetChangesAll, rightGetChangesFiltered:
			if o.typ == "domains" {
				if bd.dcRights[p] == nil {
					bd.dcRights[p] = map[string]bool{}
				}
				bd.dcRights[p][a.RightName] = true
				bd.access(p, self, graph.PrivRead, a.RightName, via)
				continue
			}
		}
		if _, ok := Rights[a.RightName]; !ok {
			switch a.RightName {
			case rightGetChanges, rightGetChangesAll, rightGetChangesFiltered:
			default:
				bd.rep.UnknownRights[a.RightName]++
			}
		}
		bd.control(p, o, self, a.RightName, via)
	}
}

// delegation maps Kerberos delegation and SID history.
func (bd *builder) delegation(o *object, self string) {
	for _, t := range o.AllowedToDelegate {
		bd.esc(self, bd.principal(t, o.domain), "AllowedToDelegate", "msDS-AllowedToDelegateTo")
	}
	for _, t := range o.AllowedToAct {
		bd.esc(bd.principal(t, o.domain), self, "AllowedToAct", "msDS-AllowedToActOnBehalfOfOtherIdentity")
	}
	for _, t := range o.HasSIDHistory {
		bd.esc(self, bd.principal(t, o.domain), "HasSIDHistory", "sIDHistory")
	}
	if (o.typ == "users" || o.typ == "computers") && o.Properties["unconstraineddelegation"] == true &&
		o.Properties["enabled"] != false {
		d := bd.domainNode()
		bd.esc(self, d, "CoerceToTGT", "unconstrained delegation")
		bd.access(self, d, graph.PrivAdmin, "CoerceToTGT", "unconstrained delegation")
	}
	for _, t := range o.SPNTargets {
		bd.access(self, bd.machine(t.ComputerSID, o.domain), graph.PrivAdmin, t.Service,
			fmt.Sprintf("SPN target port %d", t.Port))
	}
}

// computer maps sessions, local groups and user rights of a computer.
func (bd *builder) computer(o *object, self string) {
	for _, s := range []*sessionResult{o.Sessions, o.PrivilegedSession, o.RegistrySessions} {
		if s == nil {
			continue
		}
		for _, r := range s.Results {
			c := bd.principal(typed{ObjectIdentifier: r.ComputerSID, ObjectType: "Computer"}, o.domain)
			u := bd.principal(typed{ObjectIdentifier: r.UserSID, ObjectType: "User"}, o.domain)
			bd.esc(c, u, "HasSession", "logon session")
		}
	}
	for _, t := range o.DumpSMSAPassword {
		bd.esc(self, bd.principal(t, o.domain), "DumpSMSAPassword", "standalone managed service account")
	}
	name := str(o.Properties["name"])
	dc := isDC(o)
	for _, lg := range o.LocalGroups {
		if !lg.Collected {
			continue
		}
		id := strings.ToUpper(lg.ObjectIdentifier)
		rid := id[strings.LastIndex(id, "-")+1:]
		for _, r := range lg.Results {
			p := bd.principal(r, o.domain)
			mapped := bd.grant(p, self, rid, "local group "+rid+" on "+name)
			if dc {
				// A domain controller's local groups are the domain's
				// BUILTIN groups.
				g := bd.principal(typed{ObjectIdentifier: o.domain + "-S-1-5-32-" + rid, ObjectType: "Group"}, o.domain)
				bd.b.AddEdge(graph.Edge{From: p, To: g, Kind: graph.EdgeMemberOf, Via: []string{"local group on " + name}})
				mapped = true
			}
			if !mapped {
				bd.rep.Ignored = append(bd.rep.Ignored, fmt.Sprintf("%s: local group %s member %s", name, id,
					r.ObjectIdentifier))
			}
		}
	}
	for _, ur := range o.UserRights {
		if !ur.Collected {
			continue
		}
		for _, r := range ur.Results {
			if ur.Privilege == "SeRemoteInteractiveLogonRight" {
				bd.access(bd.principal(r, o.domain), machineID(self), graph.PrivWrite, ur.Privilege, "user rights assignment")
				continue
			}
			bd.rep.Ignored = append(bd.rep.Ignored, fmt.Sprintf("%s: user right %s for %s", name, ur.Privilege,
				r.ObjectIdentifier))
		}
	}
}

// dcsync adds DCSync and SyncLAPSPassword where a principal holds both
// replication rights, directly or through its groups (transitively). The
// edge starts at the principal nearest to the rights: a member of a group
// that already combines them gets none of its own.
func (bd *builder) dcsync() {
	if len(bd.dcRights) == 0 {
		return
	}
	parents := map[string][]string{}
	for _, e := range bd.b.Edges() {
		if e.Kind == graph.EdgeMemberOf {
			parents[e.From] = append(parents[e.From], e.To)
		}
	}
	memo := map[string]map[string][]string{}
	// held returns right -> holders (the node or its groups) for id.
	var held func(id string) map[string][]string //nolint:staticcheck // recursive: declared before it is assigned
	held = func(id string) map[string][]string {
		if m, ok := memo[id]; ok {
			return m
		}
		out := map[string][]string{}
		seen := map[string]bool{id: true}
		queue := []string{id}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for r := range bd.dcRights[n] {
				out[r] = append(out[r], n)
			}
			for _, p := range parents[n] {
				if !seen[p] {
					seen[p] = true
					queue = append(queue, p)
				}
			}
		}
		memo[id] = out
		return out
	}
	d := bd.domainNode()
	var laps []string
	for _, n := range bd.b.Nodes() {
		if n.Subkind == "ad-computer" && n.Props["haslaps"] == "true" {
			laps = append(laps, n.ID)
		}
	}
	for _, n := range bd.b.Nodes() {
		if !n.Kind.IsPrincipal() {
			continue
		}
		h := held(n.ID)
		covered := func(a, b string) bool {
			for _, p := range parents[n.ID] {
				hp := held(p)
				if len(hp[a]) > 0 && len(hp[b]) > 0 {
					return true
				}
			}
			return false
		}
		via := func(a, b string) string {
			var names []string
			for _, id := range slices.Concat(h[a], h[b]) {
				nn, _ := bd.b.Node(id)
				names = append(names, nn.Name)
			}
			slices.Sort(names)
			return fmt.Sprintf("%s+%s held by %s", a, b, strings.Join(slices.Compact(names), ", "))
		}
		if len(h[rightGetChanges]) > 0 && len(h[rightGetChangesAll]) > 0 && !covered(rightGetChanges, rightGetChangesAll) {
			v := via(rightGetChanges, rightGetChangesAll)
			bd.esc(n.ID, d, "DCSync", v)
			bd.access(n.ID, d, graph.PrivAdmin, "DCSync", v)
		}
		if len(h[rightGetChanges]) > 0 && len(h[rightGetChangesFiltered]) > 0 &&
			!covered(rightGetChanges, rightGetChangesFiltered) {
			v := via(rightGetChanges, rightGetChangesFiltered)
			for _, c := range laps {
				bd.esc(n.ID, c, "SyncLAPSPassword", v)
			}
		}
	}
}

// sensitivity rates OUs, containers and GPOs once containment is known: an
// OU or container holding a domain controller (at any depth) is critical,
// others high; a GPO linked to the domain or a critical OU is critical,
// linked elsewhere high, unlinked medium.
func (bd *builder) sensitivity() {
	children := map[string][]string{}
	for _, e := range bd.b.Edges() {
		if e.Kind == graph.EdgeContains {
			children[e.From] = append(children[e.From], e.To)
		}
	}
	var holdsDC func(id string, seen map[string]bool) bool
	holdsDC = func(id string, seen map[string]bool) bool {
		if seen[id] {
			return false
		}
		seen[id] = true
		for _, c := range children[id] {
			if n, _ := bd.b.Node(c); n.Subkind == "ad-machine" && n.Sensitivity == graph.SensCritical {
				return true
			}
			if n, _ := bd.b.Node(c); (n.Subkind == "ad-ou" || n.Subkind == "ad-container") && holdsDC(c, seen) {
				return true
			}
		}
		return false
	}
	for _, n := range bd.b.Nodes() {
		if n.Props[graph.PropStub] == "true" || (n.Subkind != "ad-ou" && n.Subkind != "ad-container") {
			continue
		}
		s := graph.SensHigh
		if holdsDC(n.ID, map[string]bool{}) {
			s = graph.SensCritical
		}
		bd.b.AddNode(graph.Node{ID: n.ID, Sensitivity: s})
	}
	for _, n := range bd.b.Nodes() {
		if n.Subkind != "ad-gpo" {
			continue
		}
		s := graph.SensMedium
		for _, c := range children[n.ID] {
			cn, _ := bd.b.Node(c)
			s = max(s, graph.SensHigh, cn.Sensitivity)
		}
		bd.b.AddNode(graph.Node{ID: n.ID, Sensitivity: s})
	}
}
