package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Person status values, as written to the HR roster.
const (
	statusActive     = "active"
	statusOffboarded = "terminated"
)

// Department indexes into departments.
const (
	deptEngineering = iota
	deptSales
	deptSupport
	deptFinance
	deptSecurity
	deptData
	deptHR
	deptIT
)

// person is one human. It is kept small: a million of them stay in memory.
type person struct {
	first, last uint16
	suffix      uint32 // 0: no numeric suffix in the email
	dept        uint8
	level       uint8 // 0 CEO, 1 department head, 2 director, 3 manager, 4 member
	offboarded  bool
	hasIAM      bool  // has an IAM user in its home account
	team        int32 // -1 for executives without a team
	manager     int32 // -1 for the CEO
	hireDays    int32 // days before Now
	termDays    int32 // days before Now, when offboarded
}

// team is a group of people in one department, homed in one AWS account and,
// for engineering and data teams, in one cluster namespace.
type team struct {
	dept      int
	name      string // unique slug, used for groups and namespaces
	manager   int32
	members   []int32 // including the manager
	account   int
	cluster   int // -1: no namespace
	apps      []int
	agents    []int
	namespace string
}

// app is a service identity: an application with an AWS role, maybe a legacy
// IAM user and, when its team has a namespace, a Kubernetes service account.
type app struct {
	name    string
	team    int
	runtime string // "k8s", "ec2" or "lambda"
	iamUser bool   // legacy svc-<name> IAM user with access keys
	irsa    bool   // k8s service account annotated with the app role
	created int32  // days before Now
	bucket  string // S3 bucket of the app
}

// agent is an AI agent acting on behalf of one person.
type agent struct {
	name    string
	person  int32
	created int32
}

// account is one AWS account.
type account struct {
	id    string
	alias string
	teams []int
	apps  []int
	// agents homed here (the agent's person's team account).
	agents []int
}

// cluster is one Kubernetes cluster.
type cluster struct {
	name  string
	teams []int
}

// company is the whole synthetic organisation.
type company struct {
	opt        Options
	name, slug string
	domain     string
	people     []person
	teams      []team
	apps       []app
	agents     []agent
	accounts   []account
	clusters   []cluster
	externalID string // an AWS account outside the organisation
	vendorID   string // a vendor's AWS account, trusted with an external ID
	plants     plantPicks
}

// rngFor returns a random source for one named stream, so that adding a
// choice in one part of the generator does not shift every other part.
func rngFor(seed int64, stream string, n int) *rand.Rand {
	h := uint64(14695981039346656037)
	for i := 0; i < len(stream); i++ {
		h ^= uint64(stream[i])
		h *= 1099511628211
	}
	return rand.New(rand.NewPCG(uint64(seed), h^uint64(n)*0x9e3779b97f4a7c15))
}

// buildCompany lays out people, teams, apps, agents, accounts and clusters.
func buildCompany(opt Options) *company {
	r := rngFor(opt.Seed, "company", 0)
	co := companies[r.IntN(len(companies))]
	c := &company{opt: opt, name: co.Name, slug: co.Slug, domain: co.Slug + ".example"}

	nApps := max(5, opt.Identities*6/100)
	nAgents := max(3, opt.Identities*2/100)
	nPeople := opt.Identities - nApps - nAgents

	c.buildAccounts(r)
	c.buildClusters()
	c.buildPeople(r, nPeople)
	c.pickPeople(rngFor(opt.Seed, "plants", 0))
	c.buildApps(r, nApps)
	c.buildAgents(r, nAgents)
	return c
}

func (c *company) buildAccounts(r *rand.Rand) {
	aliases := []string{"main", "prod", "staging", "dev", "data", "security", "shared-services", "sandbox", "log-archive"}
	seen := map[string]bool{}
	newID := func() string {
		for {
			id := strconv.FormatInt(100000000000+r.Int64N(899999999999), 10)
			if !seen[id] {
				seen[id] = true
				return id
			}
		}
	}
	for i := range c.opt.AWSAccounts {
		alias := fmt.Sprintf("workload-%02d", i)
		if i < len(aliases) {
			alias = aliases[i]
		}
		c.accounts = append(c.accounts, account{id: newID(), alias: alias})
	}
	c.externalID = newID()
	c.vendorID = newID()
}

func (c *company) buildClusters() {
	names := []string{"prod-us-east-1", "prod-eu-west-1", "staging", "dev", "prod-us-west-2", "prod-ap-southeast-2"}
	for i := range c.opt.Clusters {
		n := fmt.Sprintf("prod-%03d", i)
		switch {
		case c.opt.Clusters == 1:
			n = "prod"
		case i < len(names):
			n = names[i]
		}
		c.clusters = append(c.clusters, cluster{name: n})
	}
}

// paretoSize draws a heavy-tailed team size (mean about 10, rarely above 100).
func paretoSize(r *rand.Rand) int {
	u := 1 - r.Float64()
	return min(3+int(4*math.Pow(u, -1/1.6)), 200)
}

func (c *company) buildPeople(r *rand.Rand, n int) {
	// Department sizes by weight; the first department absorbs rounding.
	sizes := make([]int, len(departments))
	rest := n
	for d := len(departments) - 1; d > 0; d-- {
		sizes[d] = max(2, n*deptWeight[d]/100)
		rest -= sizes[d]
	}
	sizes[0] = rest

	c.people = make([]person, 0, n)
	used := make(map[uint32]uint32, n)
	add := func(dept, level int, tm, mgr int32) int32 {
		p := person{dept: uint8(dept), level: uint8(level), team: tm, manager: mgr}
		p.first = uint16(r.IntN(len(firstNames)))
		p.last = uint16(r.IntN(len(lastNames)))
		key := uint32(p.first)<<16 | uint32(p.last)
		if k := used[key]; k > 0 {
			p.suffix = k + 1
		}
		used[key]++
		p.hireDays = int32(30 + r.IntN(3000))
		if level <= 2 {
			p.hireDays += 1000
		}
		c.people = append(c.people, p)
		return int32(len(c.people) - 1)
	}

	ceo := add(deptEngineering, 0, -1, -1)
	c.people[ceo].hireDays = 3650
	sizes[deptEngineering]--
	for d := range departments {
		head := add(d, 1, -1, ceo)
		left := sizes[d] - 1
		var director int32 = -1
		teamsUnderDirector := 0
		for i := 0; left > 0; i++ {
			size := min(paretoSize(r), left)
			if left-size < 3 {
				size = left
			}
			left -= size
			boss := head
			if sizes[d] > 120 {
				if director < 0 || teamsUnderDirector >= 8 {
					director = add(d, 2, -1, head)
					size--
					teamsUnderDirector = 0
					if size == 0 {
						continue
					}
				}
				teamsUnderDirector++
				boss = director
			}
			t := team{dept: d, name: teamName(d, i), cluster: -1}
			ti := int32(len(c.teams))
			t.manager = add(d, 3, ti, boss)
			t.members = append(t.members, t.manager)
			for range size - 1 {
				t.members = append(t.members, add(d, 4, ti, t.manager))
			}
			c.teams = append(c.teams, t)
		}
	}

	// Homes: accounts round-robin over all teams, clusters over the teams
	// that run workloads.
	k8sTeams := 0
	for i := range c.teams {
		t := &c.teams[i]
		t.account = i % len(c.accounts)
		c.accounts[t.account].teams = append(c.accounts[t.account].teams, i)
		if t.dept == deptEngineering || t.dept == deptData {
			t.cluster = k8sTeams % len(c.clusters)
			t.namespace = t.name
			c.clusters[t.cluster].teams = append(c.clusters[t.cluster].teams, i)
			k8sTeams++
		}
	}

	iamShare := []float64{0.85, 0.2, 0.25, 0.3, 0.9, 0.8, 0.15, 0.9}
	for i := range c.people {
		p := &c.people[i]
		if p.level >= 3 && r.Float64() < 0.03 {
			p.offboarded = true
			p.termDays = int32(1 + r.IntN(int(max(p.hireDays-1, 2))))
		}
		p.hasIAM = p.team >= 0 && r.Float64() < iamShare[p.dept]
	}
}

func teamName(dept, i int) string {
	stems := teamNames[dept]
	n := stems[i%len(stems)]
	if i >= len(stems) {
		n += "-" + strconv.Itoa(i/len(stems)+1)
	}
	if dept == deptSecurity || dept == deptIT || dept == deptHR || dept == deptFinance {
		n = departments[dept] + "-" + n
	}
	return n
}

func (c *company) buildApps(r *rand.Rand, n int) {
	var owners []int
	var cum []int
	total := 0
	for i, t := range c.teams {
		if t.cluster >= 0 {
			total += len(t.members)
			owners = append(owners, i)
			cum = append(cum, total)
		}
	}
	names := map[string]int{}
	for _, stem := range []string{"ci-deployer", "terraform", "backup"} {
		a := app{name: stem, team: owners[0], runtime: "platform", iamUser: true, created: 1400,
			bucket: c.slug + "-" + stem}
		names[stem] = 1
		c.addApp(a)
	}
	for i := 3; i < n; i++ {
		x := r.IntN(total)
		lo, hi := 0, len(cum)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cum[mid] > x {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		ti := owners[lo]
		name := c.teams[ti].name + "-" + appStems[r.IntN(len(appStems))]
		if k := names[name]; k > 0 {
			names[name]++
			name += strconv.Itoa(k + 1)
		} else {
			names[name] = 1
		}
		a := app{name: name, team: ti, created: int32(60 + r.IntN(2000))}
		switch x := r.Float64(); {
		case x < 0.6:
			a.runtime = "k8s"
			a.irsa = r.Float64() < 0.5
		case x < 0.85:
			a.runtime = "ec2"
		default:
			a.runtime = "lambda"
		}
		a.iamUser = r.Float64() < 0.3
		if i == c.plants.irsaApp {
			a.runtime, a.irsa = "k8s", true
		}
		a.bucket = c.slug + "-" + name
		c.addApp(a)
	}
}

func (c *company) addApp(a app) {
	ai := len(c.apps)
	c.apps = append(c.apps, a)
	c.teams[a.team].apps = append(c.teams[a.team].apps, ai)
	acct := c.teams[a.team].account
	c.accounts[acct].apps = append(c.accounts[acct].apps, ai)
}

func (c *company) buildAgents(r *rand.Rand, n int) {
	var cands []int32
	for i, p := range c.people {
		if !p.offboarded && p.team >= 0 && (p.dept == deptEngineering || p.dept == deptData || p.dept == deptSupport) {
			cands = append(cands, int32(i))
		}
	}
	names := map[string]int{}
	for i := range n {
		pi := cands[r.IntN(len(cands))]
		switch i {
		case 0:
			pi = c.plants.agentPerson
		case 1:
			pi = c.plants.k8sAgent
		}
		p := &c.people[pi]
		name := "agent-" + agentStems[r.IntN(len(agentStems))] + "-" + firstNames[p.first] + "-" + lastNames[p.last]
		if k := names[name]; k > 0 {
			name += "-" + strconv.Itoa(k+1)
		}
		names[name]++
		ai := len(c.agents)
		c.agents = append(c.agents, agent{name: name, person: pi, created: int32(1 + r.IntN(365))})
		t := &c.teams[p.team]
		t.agents = append(t.agents, ai)
		c.accounts[t.account].agents = append(c.accounts[t.account].agents, ai)
	}
}

// email returns the address of person i, the key that links its accounts
// across every export.
func (c *company) email(i int32) string {
	return c.local(i) + "@" + c.domain
}

// local returns the part of person i's email before the @, also its IAM user name.
func (c *company) local(i int32) string {
	p := &c.people[i]
	s := firstNames[p.first] + "." + lastNames[p.last]
	if p.suffix > 0 {
		s += strconv.FormatUint(uint64(p.suffix), 10)
	}
	return s
}

// daysAgo returns the instant d days (plus a deterministic time of day) before Now.
func (c *company) daysAgo(d int32, salt int) time.Time {
	sec := (int64(salt)*7919 + int64(d)*104729) % 86400
	return c.opt.Now.AddDate(0, 0, -int(d)).Add(-time.Duration(sec) * time.Second)
}
