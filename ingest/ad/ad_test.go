package ad

import (
	"archive/zip"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
)

// datasetDir returns the shared AD dataset folder (repo root +
// "/../shared/datasets/ad"), skipping the test if it is absent.
func datasetDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found above the test directory")
		dir = parent
	}
	base := filepath.Join(dir, "..", "shared", "datasets", "ad")
	if _, err := os.Stat(base); err != nil {
		t.Skipf("shared datasets folder %s is absent: skipping the real-data test", base)
	}
	return base
}

func phantomFiles(t *testing.T) []string {
	var out []string
	for _, typ := range []string{"users", "groups", "computers", "domains", "ous", "gpos"} {
		out = append(out, filepath.Join(datasetDir(t), "bloodhound-ce-sample-phantom-corp-"+typ+".json"))
	}
	return out
}

var quiet = slog.New(slog.DiscardHandler)

func phantom(t *testing.T) (*graph.Batch, *Report) {
	t.Helper()
	b, rep, err := ParseExportWithReport(Options{Logger: quiet}, phantomFiles(t)...)
	require.NoError(t, err)
	return b, rep
}

const (
	dsid   = "S-1-5-21-2697957641-2271029196-387917394"
	domain = "ad:PHANTOM.CORP:" + dsid
)

// sid returns the node ID of a PHANTOM.CORP object by RID.
func sid(rid string) string { return domain + "-" + rid }

func name(b *graph.Batch, id string) string {
	n, ok := b.Node(id)
	if !ok {
		return "<missing " + id + ">"
	}
	return n.Name
}

func edge(t *testing.T, b *graph.Batch, from string, k graph.EdgeKind, to string) *graph.Edge {
	t.Helper()
	e, ok := b.Edge(from, k, to)
	require.True(t, ok, "%s %s %s (%s -> %s)", from, k, to, name(b, from), name(b, to))
	return e
}

func TestCountMismatchAndDuplicatesReport(t *testing.T) {
	b, rep := phantom(t)
	require.Equal(t, "ad:PHANTOM.CORP", b.Source)
	var got []string
	for _, m := range rep.CountMismatches {
		got = append(got, filepath.Base(m))
	}
	require.Equal(t, []string{
		"bloodhound-ce-sample-phantom-corp-users.json: meta.count 49, data has 53",
		"bloodhound-ce-sample-phantom-corp-groups.json: meta.count 113, data has 115",
		"bloodhound-ce-sample-phantom-corp-computers.json: meta.count 20, data has 21",
	}, got)
	require.Equal(t, map[string]int{"users": 53, "groups": 115, "computers": 21, "domains": 1, "ous": 13, "gpos": 22},
		rep.Objects)
	// Two different users share one SID in the hand-edited sample; 28 BUILTIN
	// groups are listed twice (once per collection pass), as SharpHound does.
	require.Contains(t, rep.Duplicates, "users "+dsid+"-2186 (GMSA_SHS22$@PHANTOM.CORP, HAYDEN@PHANTOM.CORP)")
	require.Len(t, rep.Duplicates, 29)
	require.Empty(t, rep.UnknownRights, "every right in the sample is in the table")
}

func TestForeignDomainStubs(t *testing.T) {
	b, rep := phantom(t)
	ghost := "ad:GHOST.CORP:S-1-5-21-2845847946-3451170323-4261139666-1104"
	n, ok := b.Node(ghost)
	require.True(t, ok)
	require.Equal(t, "true", n.Props[graph.PropStub])
	require.Equal(t, "GHOST.CORP", n.Props["domain"])
	require.Equal(t, graph.KindAccount, n.Kind, "ObjectType Base: a principal of unknown type")
	e := edge(t, b, ghost, graph.EdgeEscalates, sid("2205")) // Owns TEST@PHANTOM.CORP
	require.Equal(t, []string{"Owns"}, e.Actions)

	wraith := "ad:WRAITH.CORP:S-1-5-21-3702535222-3822678775-2090119576-1168"
	n, ok = b.Node(wraith)
	require.True(t, ok)
	require.Equal(t, "true", n.Props[graph.PropStub])
	edge(t, b, wraith, graph.EdgeMemberOf, "ad:PHANTOM.CORP:PHANTOM.CORP-S-1-5-32-544")

	// Four containers the sample does not include (Users, Computers, Builtin, one more).
	require.Equal(t, map[string]int{"GHOST.CORP": 1, "WRAITH.CORP": 1, "PHANTOM.CORP": 4}, rep.Stubs)
	require.Len(t, rep.Trusts, 3)
	require.Equal(t, Trust{Domain: "PHANTOM.CORP", TargetDomain: "GHOST.CORP",
		TargetSID: "S-1-5-21-2845847946-3451170323-4261139666", Direction: "Bidirectional", Type: "ParentChild",
		Transitive: true}, rep.Trusts[0])
	d, _ := b.Node(domain)
	require.Equal(t, graph.SensCritical, d.Sensitivity)
	require.Contains(t, d.Props["trust:WRAITH.CORP"], "sid_filtering=true")
}

func TestDomainAdminsTransitive(t *testing.T) {
	b, _ := phantom(t)
	da := sid("512")
	require.Equal(t, "DOMAIN ADMINS@PHANTOM.CORP", name(b, da))
	// Walk MEMBER_OF edges backwards from Domain Admins.
	into := map[string][]string{}
	for _, e := range b.Edges() {
		if e.Kind == graph.EdgeMemberOf {
			into[e.To] = append(into[e.To], e.From)
		}
	}
	seen := map[string]bool{da: true}
	queue := []string{da}
	var members []string
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, m := range into[g] {
			if !seen[m] {
				seen[m] = true
				queue = append(queue, m)
				members = append(members, name(b, m))
			}
		}
	}
	sort.Strings(members)
	require.Equal(t, []string{"ADMINISTRATOR@PHANTOM.CORP", "ALICE@PHANTOM.CORP", "ANDY@PHANTOM.CORP",
		"CHARLIE@PHANTOM.CORP", "DA-NOPW2@PHANTOM.CORP", "FABIAN@PHANTOM.CORP", "GMSA_SHS8$@PHANTOM.CORP",
		"HACKERDA@PHANTOM.CORP", "HAYDEN@PHANTOM.CORP", "JD@PHANTOM.CORP", "ROSHI@PHANTOM.CORP",
		"SH3@PHANTOM.CORP", "SUBDAS@PHANTOM.CORP"}, members, "ALICE through SUBDAS")
	edge(t, b, sid("2173"), graph.EdgeMemberOf, sid("2200"))
}

func TestUserProperties(t *testing.T) {
	b, _ := phantom(t)
	var kerb, asrep []string
	for _, n := range b.Nodes() {
		if n.Props["kerberoastable"] == "true" {
			kerb = append(kerb, n.Name)
		}
		if n.Props["asrep_roastable"] == "true" {
			asrep = append(asrep, n.Name)
		}
	}
	sort.Strings(kerb)
	require.Equal(t, []string{"ADMINISTRATOR@PHANTOM.CORP", "SVC_KERB_DEL@PHANTOM.CORP"}, kerb)
	require.Equal(t, []string{"NOPREAUTH@PHANTOM.CORP"}, asrep)

	krbtgt, _ := b.Node(sid("502"))
	require.Equal(t, "ad-user", krbtgt.Subkind)
	require.Equal(t, "true", krbtgt.Props["hasspn"], "has an SPN but is disabled and is krbtgt")
	require.Equal(t, "suspended", krbtgt.Props[graph.PropStatus])
	require.Equal(t, "krbtgt", krbtgt.Props["samaccountname"])
	require.Equal(t, "Key Distribution Center Service Account", krbtgt.Props["description"])
	require.Equal(t, "2023-08-17T12:10:42Z", krbtgt.Props["pwdlastset"])
	require.NotContains(t, krbtgt.Props, "lastlogon", "0 means never")

	admin, _ := b.Node(sid("500"))
	require.Equal(t, "test@mail.com", admin.Props[graph.PropEmail])
	require.Equal(t, "active", admin.Props[graph.PropStatus])
	require.Equal(t, "true", admin.Props["admincount"])

	dc01, _ := b.Node(sid("1000"))
	require.Equal(t, graph.KindAccount, dc01.Kind)
	require.Equal(t, "ad-computer", dc01.Subkind)
	host, _ := b.Node(sid("1000") + ":host")
	require.Equal(t, graph.SensCritical, host.Sensitivity, "DC01 is a domain controller")
	dc02, _ := b.Node(sid("2182") + ":host")
	require.Equal(t, graph.SensMedium, dc02.Sensitivity, "DC02: IsDC false, primary group 515, no operating system")
	rodc, _ := b.Node(sid("2150") + ":host")
	require.Equal(t, graph.SensCritical, rodc.Sensitivity, "RODC01: primary group 521, a read-only DC")
	srv, _ := b.Node(sid("1103") + ":host")
	require.Equal(t, graph.SensHigh, srv.Sensitivity, "JONAS-TEST-MS01 runs Windows Server 2019")
	e := edge(t, b, sid("1000"), graph.EdgeAccess, sid("1000")+":host")
	require.Equal(t, graph.PrivAdmin, e.Privilege)
}

func TestACEs(t *testing.T) {
	b, _ := phantom(t)
	// SERVICE DESK -ForceChangePassword-> TARGET (inherited).
	e := edge(t, b, sid("2176"), graph.EdgeEscalates, sid("2221"))
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Contains(t, e.Actions, "ForceChangePassword")
	require.Contains(t, e.Via, "ForceChangePassword ACE (inherited)")
	// ADDSELF -AddSelf-> T0_ADMINS; SVC_PAYADMIN -AddMember-> DOMAIN ADMINS.
	require.Contains(t, edge(t, b, sid("2199"), graph.EdgeEscalates, sid("2114")).Actions, "AddSelf")
	require.Contains(t, edge(t, b, sid("2117"), graph.EdgeEscalates, sid("512")).Actions, "AddMember")
	// A computer account reads a gMSA password: SRV-SHARPHOUND -> GMSA_SHS$.
	require.Contains(t, edge(t, b, sid("2167"), graph.EdgeEscalates, sid("2168")).Actions, "ReadGMSAPassword")
	// RBCD write on a computer: SMSASIMON -AddAllowedToAct-> JONAS-TEST-MS01.
	require.Contains(t, edge(t, b, sid("2132"), graph.EdgeEscalates, sid("1103")).Actions, "AddAllowedToAct")
}

// TestEveryACEHasAnEdge reads every ACE of the files independently and
// checks that an edge carries it.
func TestEveryACEHasAnEdge(t *testing.T) {
	b, _ := phantom(t)
	kinds := map[string]int{}
	n := 0
	for _, p := range phantomFiles(t) {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		var c struct {
			Data []struct {
				ObjectIdentifier string
				Properties       struct{ Name string }
				Aces             []ace
			} `json:"data"`
			Meta struct{ Type string } `json:"meta"`
		}
		require.NoError(t, json.Unmarshal(data, &c))
		for _, o := range c.Data {
			for _, a := range o.Aces {
				n++
				from := "ad:PHANTOM.CORP:" + a.PrincipalSID
				if strings.HasPrefix(a.PrincipalSID, "S-1-5-21-2845847946-") {
					from = "ad:GHOST.CORP:" + a.PrincipalSID
				}
				to := "ad:PHANTOM.CORP:" + o.ObjectIdentifier
				if from == to {
					continue // an object's rights on itself
				}
				k := graph.EdgeEscalates
				if strings.HasPrefix(a.RightName, "GetChanges") {
					k = graph.EdgeAccess
				}
				e, ok := b.Edge(from, k, to)
				require.True(t, ok, "%s %s on %s", a.PrincipalSID, a.RightName, o.Properties.Name)
				require.Contains(t, e.Actions, a.RightName)
				kinds[a.RightName]++
			}
		}
	}
	require.Equal(t, 1504, n, "ACEs in the six files (612+447+204+19+58+164)")
	require.Len(t, kinds, 16, "distinct right names in the sample")
}

func TestDCSync(t *testing.T) {
	b, _ := phantom(t)
	var holders []string
	for _, e := range b.Edges() {
		if e.Kind == graph.EdgeEscalates && e.To == domain && slices.Contains(e.Actions, "DCSync") {
			holders = append(holders, name(b, e.From))
			a := edge(t, b, e.From, graph.EdgeAccess, domain)
			require.Equal(t, graph.PrivAdmin, a.Privilege)
		}
	}
	sort.Strings(holders)
	// Administrators and DCSYNCERS hold both rights; DOMAINUSER combines
	// GetChangesAll of ALLCHANGES with GetChanges of SOMECHANGES. DC01
	// combines them too but is a member of Administrators, so it gets none of
	// its own.
	require.Equal(t, []string{"ADMINISTRATORS@PHANTOM.CORP", "DCSYNCERS@PHANTOM.CORP", "DOMAINUSER@PHANTOM.CORP"},
		holders)
	e := edge(t, b, sid("2183"), graph.EdgeEscalates, domain)
	require.Equal(t, []string{"GetChanges+GetChangesAll held by ALLCHANGES@PHANTOM.CORP, SOMECHANGES@PHANTOM.CORP"},
		e.Via)
	// One right alone is a read of the directory: SOMECHANGES itself.
	a := edge(t, b, sid("2209"), graph.EdgeAccess, domain)
	require.Equal(t, graph.PrivRead, a.Privilege)
	require.Equal(t, []string{"GetChanges"}, a.Actions)
	_, ok := b.Edge(sid("2209"), graph.EdgeEscalates, domain)
	require.False(t, ok)
}

func TestSessionsLocalGroupsDelegation(t *testing.T) {
	b, _ := phantom(t)
	// JONAS-TEST-MS01 holds ADMINISTRATOR's session.
	require.Equal(t, []string{"HasSession"}, edge(t, b, sid("1103"), graph.EdgeEscalates, sid("500")).Actions)
	// PAYMENT01: Tier2Support is in its local Administrators.
	require.Equal(t, []string{"AdminTo"}, edge(t, b, sid("1138"), graph.EdgeEscalates, sid("1120")).Actions)
	require.Equal(t, graph.PrivAdmin, edge(t, b, sid("1138"), graph.EdgeAccess, sid("1120")+":host").Privilege)
	// DC01: RODCADMINS in Remote Desktop Users -> ACCESS write; and, a DC's
	// local groups being the domain's BUILTIN groups, a member of it.
	rdp := edge(t, b, sid("2155"), graph.EdgeAccess, sid("1000")+":host")
	require.Equal(t, graph.PrivWrite, rdp.Privilege)
	require.Equal(t, []string{"CanRDP"}, rdp.Actions)
	edge(t, b, sid("2155"), graph.EdgeMemberOf, "ad:PHANTOM.CORP:PHANTOM.CORP-S-1-5-32-555")
	// Group policy on WORKSTATIONS makes ALICE local admin of its computer.
	e := edge(t, b, sid("2173"), graph.EdgeEscalates, sid("2174"))
	require.Equal(t, []string{"group policy on WORKSTATIONS@PHANTOM.CORP"}, e.Via)
	// Constrained delegation KRB-DEL-01 -> DC01; DC01 dumps SMSA_BHE$; DC01's
	// unconstrained delegation coerces the domain's TGTs.
	require.Equal(t, []string{"AllowedToDelegate"}, edge(t, b, sid("2171"), graph.EdgeEscalates, sid("1000")).Actions)
	require.Equal(t, []string{"DumpSMSAPassword"}, edge(t, b, sid("1000"), graph.EdgeEscalates, sid("2159")).Actions)
	require.Equal(t, []string{"CoerceToTGT"}, edge(t, b, sid("1000"), graph.EdgeEscalates, domain).Actions)
}

func TestContainmentAndGPOs(t *testing.T) {
	b, _ := phantom(t)
	var dcOU, kcs string
	for _, n := range b.Nodes() {
		switch {
		case n.Subkind == "ad-ou" && n.Name == "DOMAIN CONTROLLERS@PHANTOM.CORP":
			dcOU = n.ID
		case n.Subkind == "ad-gpo" && n.Name == "KRB CLOCK SKEW@PHANTOM.CORP":
			kcs = n.ID
		}
	}
	require.NotEmpty(t, dcOU)
	ou, _ := b.Node(dcOU)
	require.Equal(t, graph.SensCritical, ou.Sensitivity)
	edge(t, b, dcOU, graph.EdgeContains, sid("1000")+":host")
	edge(t, b, domain, graph.EdgeContains, dcOU)
	// KRB CLOCK SKEW is linked to both the domain and the DC OU: critical.
	edge(t, b, kcs, graph.EdgeContains, domain)
	edge(t, b, kcs, graph.EdgeContains, dcOU)
	g, _ := b.Node(kcs)
	require.Equal(t, graph.SensCritical, g.Sensitivity)
}

func TestPathsToTheDomain(t *testing.T) {
	b, _ := phantom(t)
	require.NoError(t, b.Validate())
	s := projection.FromElements(b.Nodes(), b.Edges())

	steps := func(p projection.Path) []string {
		var out []string
		for _, st := range p.Steps {
			out = append(out, name(b, st.From)+" "+st.Kind.String()+" "+strings.Join(st.Actions, ","))
		}
		return out
	}
	// SVC_PAYADMIN adds itself to Domain Admins, whose ACEs control the domain.
	br, err := s.BlastRadius(projection.BlastRadiusQuery{From: sid("2117")})
	require.NoError(t, err)
	i := slices.IndexFunc(br.Reaches, func(r projection.Reach) bool { return r.Resource.ID == domain })
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, graph.PrivAdmin, br.Reaches[i].Privilege)
	require.Equal(t, []string{"SVC_PAYADMIN@PHANTOM.CORP ESCALATES AddMember",
		"DOMAIN ADMINS@PHANTOM.CORP ACCESS AllExtendedRights,WriteDacl,WriteOwner"}, steps(br.Reaches[i].Witness))

	// A plain user: Domain Users are local admins of KRB-DEL-01 by group
	// policy on the COMPUTERS OU; KRB-DEL-01 may delegate to DC01, which has
	// unconstrained delegation.
	br, err = s.BlastRadius(projection.BlastRadiusQuery{From: sid("2203")})
	require.NoError(t, err)
	i = slices.IndexFunc(br.Reaches, func(r projection.Reach) bool { return r.Resource.ID == domain })
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, []string{"STEPHEN@PHANTOM.CORP MEMBER_OF ", "DOMAIN USERS@PHANTOM.CORP ESCALATES AdminTo",
		"KRB-DEL-01.PHANTOM.CORP ESCALATES AllowedToDelegate", "DC01.PHANTOM.CORP ACCESS CoerceToTGT"},
		steps(br.Reaches[i].Witness))

	wr, err := s.WhoCanReach(projection.WhoCanReachQuery{Resource: domain, MinPrivilege: graph.PrivAdmin,
		Kinds: []graph.Kind{graph.KindAccount}})
	require.NoError(t, err)
	byName := map[string]projection.Reacher{}
	for _, r := range wr.Reachers {
		byName[r.Principal.Name] = r
	}
	require.Contains(t, byName, "DOMAINUSER@PHANTOM.CORP")
	require.Equal(t, 1, len(byName["DOMAINUSER@PHANTOM.CORP"].Witness.Steps), "its own DCSync edge")
	require.Contains(t, byName, "ALICE@PHANTOM.CORP")
	require.Contains(t, byName, "S-1-5-21-3702535222-3822678775-2090119576-1168", "the WRAITH member of Administrators")

	paths, err := s.Paths(projection.PathsQuery{From: sid("2117"), To: domain, MaxDepth: 2})
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		require.True(t, p.Escalation)
	}
}

func TestZipAndFileOrder(t *testing.T) {
	files := phantomFiles(t)
	b1, _ := phantom(t)
	rev := slices.Clone(files)
	slices.Reverse(rev)
	b2, _, err := ParseExportWithReport(Options{Logger: quiet, Domain: "phantom.corp"}, rev...)
	require.NoError(t, err)
	require.Equal(t, len(b1.Edges()), len(b2.Edges()))
	require.Equal(t, b1.Edges(), b2.Edges())
	n1, n2 := b1.Nodes(), b2.Nodes()
	require.Len(t, n2, len(n1))

	// The zip SharpHound writes holds the same files.
	zpath := filepath.Join(t.TempDir(), "20240305110018_BloodHound.zip")
	f, err := os.Create(zpath)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, p := range files {
		w, err := zw.Create(filepath.Base(p))
		require.NoError(t, err)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	b3, err := ParseExport(Options{Logger: quiet}, zpath)
	require.NoError(t, err)
	require.Equal(t, b1.Nodes(), b3.Nodes())
	require.Equal(t, b1.Edges(), b3.Edges())
}
