package synth

import (
	"math/rand/v2"
	"slices"
)

// plantPicks are the entities chosen to carry planted patterns.
type plantPicks struct {
	offboarded  int32 // engineering person, terminated, IAM user with a forgotten active key
	inlineAdmin int32 // IT person with an inline iam:* policy
	denyS3      int32 // engineering person in admins with an explicit Deny on s3:*
	boundary    int32 // data person with AdministratorAccess under a permissions boundary
	noMFAAdmin  int32 // security person in admins without MFA
	finance     int32 // finance person whose team group has a multi-version policy
	agentPerson int32 // support person without AWS access whose agent holds secrets access
	k8sAgent    int32 // engineering person whose agent has edit in the team namespace
	aggregated  int32 // support person bound to an aggregated ClusterRole
	toxic       int32 // IT person in both secrets-operators and iam-provisioners
	staleKey    int32 // data person with a forgotten three-year-old active key
	irsaApp     int   // k8s app whose IRSA role has AdministratorAccess
	ciApp       int   // svc-ci-deployer, can pass roles to Lambda
}

// pickPeople chooses and shapes the people that carry plants. It runs after
// buildPeople and before apps and agents are built.
func (c *company) pickPeople(r *rand.Rand) {
	used := map[int32]bool{}
	pick := func(dept int) int32 {
		var cands []int32
		for i, p := range c.people {
			if int(p.dept) == dept && p.team >= 0 && !used[int32(i)] {
				cands = append(cands, int32(i))
			}
		}
		// Prefer members over managers, so a manager-only team stays sensible.
		members := slices.DeleteFunc(slices.Clone(cands), func(i int32) bool { return c.people[i].level < 4 })
		if len(members) > 0 {
			cands = members
		}
		i := cands[r.IntN(len(cands))]
		used[i] = true
		c.people[i].offboarded = false
		c.people[i].hasIAM = true
		return i
	}
	pp := &c.plants
	pp.offboarded = pick(deptEngineering)
	p := &c.people[pp.offboarded]
	p.offboarded = true
	p.hireDays = max(p.hireDays, 1500)
	p.termDays = 420

	pp.inlineAdmin = pick(deptIT)
	pp.denyS3 = pick(deptEngineering)
	pp.boundary = pick(deptData)
	pp.noMFAAdmin = pick(deptSecurity)
	pp.finance = pick(deptFinance)
	pp.agentPerson = pick(deptSupport)
	c.people[pp.agentPerson].hasIAM = false
	pp.k8sAgent = pick(deptEngineering)
	pp.aggregated = pick(deptSupport)
	c.people[pp.aggregated].hasIAM = false
	pp.toxic = pick(deptIT)
	pp.staleKey = pick(deptData)
	c.people[pp.staleKey].hireDays = max(c.people[pp.staleKey].hireDays, 1200)
	pp.ciApp = 0
	pp.irsaApp = 3
}
