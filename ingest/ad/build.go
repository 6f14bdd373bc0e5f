package ad

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
)

// builder turns validated objects into a batch.
type builder struct {
	domain    string
	b         *graph.Batch
	rep       *Report
	log       *slog.Logger
	objs      map[string]*object // by canonical object identifier
	sidDomain map[string]string  // domain SID -> domain name
	domainObj *object            // the domains file's object, if read
	domainSID string
	// dcRights holds the replication rights each principal holds on the
	// domain object directly: node ID -> right names.
	dcRights map[string]map[string]bool
}

var (
	prefixedSID = regexp.MustCompile(`^([A-Z0-9][A-Z0-9.-]*)-(S-1-.*)$`)
	domainSIDRe = regexp.MustCompile(`^(S-1-5-21-\d+-\d+-\d+)(-\d+)?$`)
	bareSID     = regexp.MustCompile(`^S-1-\d+(-\d+)*$`)
)

func build(domain string, objs []*object, rep *Report, log *slog.Logger) (*graph.Batch, error) {
	bd := &builder{domain: domain, b: graph.NewBatch("ad:" + domain), rep: rep, log: log,
		objs: map[string]*object{}, sidDomain: map[string]string{}, dcRights: map[string]map[string]bool{}}
	for _, o := range objs {
		o.ObjectIdentifier = strings.ToUpper(strings.TrimSpace(o.ObjectIdentifier))
		if sid, _ := o.Properties["domainsid"].(string); sid != "" {
			bd.sidDomain[strings.ToUpper(sid)] = o.domain
			if bd.domainSID == "" {
				bd.domainSID = strings.ToUpper(sid)
			}
		}
		if o.typ == "domains" && bd.domainObj == nil {
			bd.domainObj = o
		}
		for _, t := range o.Trusts {
			bd.sidDomain[strings.ToUpper(t.TargetDomainSid)] = strings.ToUpper(t.TargetDomainName)
		}
		if old, ok := bd.objs[o.ObjectIdentifier]; ok {
			msg := fmt.Sprintf("%s %s (%s, %s)", o.typ, o.ObjectIdentifier, str(old.Properties["name"]),
				str(o.Properties["name"]))
			if old.typ != o.typ {
				return nil, fmt.Errorf("%s: ObjectIdentifier %s is already a %s object (%s)", o.at,
					o.ObjectIdentifier, old.typ, old.at)
			}
			rep.Duplicates = append(rep.Duplicates, msg)
			if str(old.Properties["name"]) != str(o.Properties["name"]) {
				// SharpHound lists BUILTIN groups once per domain controller;
				// only a clash of two different objects deserves a warning.
				log.Warn("ad: two objects share an ObjectIdentifier; merging", "object", msg)
			}
			continue
		}
		bd.objs[o.ObjectIdentifier] = o
	}
	for _, o := range objs {
		rep.Objects[o.typ]++
		bd.node(o)
	}
	for _, o := range objs {
		bd.edges(o)
	}
	bd.dcsync()
	bd.sensitivity()
	if err := bd.b.Validate(); err != nil {
		return nil, err
	}
	return bd.b, nil
}

// qualify turns a bare well-known SID ("S-1-5-11") into the domain-qualified
// identifier SharpHound uses for it ("PHANTOM.CORP-S-1-5-11").
func qualify(id, ctx string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	if bareSID.MatchString(id) && !strings.HasPrefix(id, "S-1-5-21-") {
		return ctx + "-" + id
	}
	return id
}

// domainOf returns the domain an identifier belongs to: the prefix of a
// qualified well-known SID, the domain of a domain SID's prefix (as named by
// the input's domains and trusts; the domain SID itself when unknown), else
// ctx (GUIDs of OUs, GPOs and containers).
func (bd *builder) domainOf(id, ctx string) string {
	if m := prefixedSID.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	if m := domainSIDRe.FindStringSubmatch(id); m != nil {
		if d, ok := bd.sidDomain[m[1]]; ok {
			return d
		}
		return m[1]
	}
	return ctx
}

func (bd *builder) id(objectID, ctx string) string {
	return "ad:" + bd.domainOf(objectID, ctx) + ":" + objectID
}

func machineID(accountID string) string { return accountID + ":host" }

// objNode returns the node standing for a defined object: the account of a
// computer, the node itself otherwise.
func (bd *builder) objNode(o *object) string { return bd.id(o.ObjectIdentifier, o.domain) }

// contained returns the node an OU or container holds for o: the machine
// of a computer.
func (bd *builder) contained(o *object) string {
	if o.typ == "computers" {
		return machineID(bd.objNode(o))
	}
	return bd.objNode(o)
}

func isResourceType(typ string) bool {
	switch typ {
	case "domains", "ous", "gpos", "containers":
		return true
	}
	return false
}

// ref returns the node of a referenced principal or object, adding a stub
// (by its ObjectType) when the input does not define it.
func (bd *builder) ref(t typed, ctx string, principal bool) string {
	id := strings.ToUpper(strings.TrimSpace(t.ObjectIdentifier))
	if principal {
		id = qualify(id, ctx)
	}
	if o, ok := bd.objs[id]; ok {
		if principal {
			return bd.objNode(o)
		}
		return bd.contained(o)
	}
	nid := bd.id(id, ctx)
	if _, ok := bd.b.Node(nid); ok {
		return nid
	}
	dom := bd.domainOf(id, ctx)
	n := graph.Node{ID: nid, Name: id, Props: map[string]string{graph.PropStub: "true", "object_id": id,
		"domain": dom, "object_type": t.ObjectType}}
	switch strings.ToLower(t.ObjectType) {
	case "user":
		n.Kind, n.Subkind = graph.KindAccount, "ad-user"
	case "computer":
		n.Kind, n.Subkind = graph.KindAccount, "ad-computer"
	case "group":
		n.Kind, n.Subkind = graph.KindGroup, "ad-group"
	case "domain":
		n.Kind, n.Subkind, n.Sensitivity = graph.KindResource, "ad-domain", graph.SensCritical
	case "ou":
		n.Kind, n.Subkind = graph.KindResource, "ad-ou"
	case "gpo":
		n.Kind, n.Subkind = graph.KindResource, "ad-gpo"
	case "container":
		n.Kind, n.Subkind = graph.KindResource, "ad-container"
	default:
		if principal {
			n.Kind, n.Subkind = graph.KindAccount, "ad-principal"
		} else {
			n.Kind, n.Subkind = graph.KindResource, "ad-container"
		}
	}
	bd.b.AddNode(n)
	bd.rep.Stubs[dom]++
	return nid
}

// principal is ref for a principal (ACE holder, member, session user ...).
func (bd *builder) principal(t typed, ctx string) string { return bd.ref(t, ctx, true) }

// machine returns the machine resource of the computer with sid, adding a
// stub computer and machine when the input does not define it.
func (bd *builder) machine(sid, ctx string) string {
	acct := bd.principal(typed{ObjectIdentifier: sid, ObjectType: "Computer"}, ctx)
	m := machineID(acct)
	if _, ok := bd.b.Node(m); !ok {
		a, _ := bd.b.Node(acct)
		bd.b.AddNode(graph.Node{ID: m, Kind: graph.KindResource, Subkind: "ad-machine", Name: a.Name,
			Props: map[string]string{graph.PropStub: "true", "object_id": a.Props["object_id"]}})
		bd.b.AddEdge(graph.Edge{From: acct, To: m, Kind: graph.EdgeAccess, Privilege: graph.PrivAdmin,
			Actions: []string{"MachineAccount"}, Via: []string{"computer account"}})
	}
	return m
}

// domainNode returns the node of the collected domain (a stub if the
// domains file was not given).
func (bd *builder) domainNode() string {
	if bd.domainObj != nil {
		return bd.objNode(bd.domainObj)
	}
	sid := bd.domainSID
	if sid == "" {
		sid = bd.domain
	}
	return bd.ref(typed{ObjectIdentifier: sid, ObjectType: "Domain"}, bd.domain, false)
}

// node adds the node (or nodes) of a defined object.
func (bd *builder) node(o *object) {
	name := str(o.Properties["name"])
	if name == "" {
		name = o.ObjectIdentifier
	}
	p := props(o)
	n := graph.Node{ID: bd.objNode(o), Name: name, Props: p}
	switch o.typ {
	case "users":
		n.Kind, n.Subkind = graph.KindAccount, "ad-user"
	case "computers":
		n.Kind, n.Subkind = graph.KindAccount, "ad-computer"
	case "groups":
		n.Kind, n.Subkind = graph.KindGroup, "ad-group"
	case "domains":
		n.Kind, n.Subkind, n.Sensitivity = graph.KindResource, "ad-domain", graph.SensCritical
		bd.trusts(o, p)
	case "ous":
		n.Kind, n.Subkind = graph.KindResource, "ad-ou"
	case "gpos":
		n.Kind, n.Subkind = graph.KindResource, "ad-gpo"
	case "containers":
		n.Kind, n.Subkind = graph.KindResource, "ad-container"
	}
	bd.b.AddNode(n)
	if o.typ == "computers" {
		mp := map[string]string{"object_id": o.ObjectIdentifier, "domain": o.domain}
		for _, k := range []string{"operatingsystem", "isdc", "haslaps", "distinguishedname"} {
			if v, ok := p[k]; ok {
				mp[k] = v
			}
		}
		sens := graph.SensMedium
		switch {
		case isDC(o):
			sens = graph.SensCritical
		case strings.Contains(strings.ToLower(p["operatingsystem"]), "server"):
			sens = graph.SensHigh
		}
		bd.b.AddNode(graph.Node{ID: machineID(n.ID), Kind: graph.KindResource, Subkind: "ad-machine",
			Name: name, Sensitivity: sens, Props: mp})
		bd.b.AddEdge(graph.Edge{From: n.ID, To: machineID(n.ID), Kind: graph.EdgeAccess, Privilege: graph.PrivAdmin,
			Actions: []string{"MachineAccount"}, Via: []string{"computer account"}})
	}
}

// isDC reports whether a computer is a domain controller (read-only ones
// included): IsDC, the isdc property, or primary group Domain Controllers
// (RID 516) or Read-only Domain Controllers (RID 521).
func isDC(o *object) bool {
	if o.IsDC || o.Properties["isdc"] == true {
		return true
	}
	return strings.HasSuffix(o.PrimaryGroupSID, "-516") || strings.HasSuffix(o.PrimaryGroupSID, "-521")
}

func (bd *builder) trusts(o *object, p map[string]string) {
	for _, t := range o.Trusts {
		tr := Trust{Domain: o.domain, TargetDomain: strings.ToUpper(t.TargetDomainName),
			TargetSID: strings.ToUpper(t.TargetDomainSid), Direction: str(t.TrustDirection), Type: str(t.TrustType),
			Transitive: t.IsTransitive, SIDFiltering: t.SidFilteringEnabled}
		bd.rep.Trusts = append(bd.rep.Trusts, tr)
		p["trust:"+tr.TargetDomain] = fmt.Sprintf("direction=%s type=%s transitive=%t sid_filtering=%t sid=%s",
			tr.Direction, tr.Type, tr.Transitive, tr.SIDFiltering, tr.TargetSID)
	}
}

// Properties copied to nodes, by collection type, besides the common ones.
var (
	commonProps = []string{"distinguishedname", "description", "domain", "whencreated", "isaclprotected"}
	typeProps   = map[string][]string{
		"users": {"samaccountname", "hasspn", "dontreqpreauth", "admincount", "lastlogon", "lastlogontimestamp",
			"pwdlastset", "title", "sensitive", "pwdneverexpires", "passwordnotreqd", "unconstraineddelegation",
			"trustedtoauth", "gmsa", "msa", "serviceprincipalnames", "sidhistory", "homedirectory", "logonscript"},
		"computers": {"samaccountname", "operatingsystem", "isdc", "haslaps", "unconstraineddelegation",
			"trustedtoauth", "lastlogon", "lastlogontimestamp", "pwdlastset", "serviceprincipalnames", "sidhistory"},
		"groups":     {"samaccountname", "admincount"},
		"domains":    {"functionallevel", "domainsid", "collected"},
		"ous":        {"blocksinheritance"},
		"gpos":       {"gpcpath"},
		"containers": {},
	}
	timeProps = map[string]bool{"whencreated": true, "lastlogon": true, "lastlogontimestamp": true, "pwdlastset": true}
	// secretProps hold password material; only their presence is recorded.
	secretProps = []string{"userpassword", "unixpassword", "unicodepassword", "sfupassword"}
)

func props(o *object) map[string]string {
	p := map[string]string{"object_id": o.ObjectIdentifier}
	for _, k := range append(slices.Clone(commonProps), typeProps[o.typ]...) {
		if v := propString(k, o.Properties[k]); v != "" {
			p[k] = v
		}
	}
	if o.typ != "users" && o.typ != "computers" {
		return p
	}
	if e := strings.ToLower(strings.TrimSpace(str(o.Properties["email"]))); e != "" {
		p[graph.PropEmail] = e
	}
	if d := str(o.Properties["displayname"]); d != "" {
		p[graph.PropDisplayName] = d
	}
	switch o.Properties["enabled"] {
	case true:
		p[graph.PropStatus] = "active"
	case false:
		p[graph.PropStatus] = "suspended"
	}
	var secrets []string
	for _, k := range secretProps {
		if str(o.Properties[k]) != "" {
			secrets = append(secrets, k)
		}
	}
	if len(secrets) > 0 {
		p["password_attributes_set"] = strings.Join(secrets, ",")
	}
	if o.typ == "users" {
		enabled := o.Properties["enabled"] == true
		if enabled && o.Properties["hasspn"] == true && !strings.EqualFold(str(o.Properties["samaccountname"]), "krbtgt") {
			p["kerberoastable"] = "true"
		}
		if enabled && o.Properties["dontreqpreauth"] == true {
			p["asrep_roastable"] = "true"
		}
	}
	return p
}

// propString renders a property value; "" drops it (null, empty, and times
// of 0 or -1, which SharpHound writes for "never").
func propString(k string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		if timeProps[k] {
			if x <= 0 {
				return ""
			}
			return time.Unix(int64(x), 0).UTC().Format(time.RFC3339)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		var parts []string
		for _, e := range x {
			if s := propString(k, e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
