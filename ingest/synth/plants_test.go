package synth

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stmts returns the statements of a policy document with the given effect.
func stmts(d policyDoc, effect string) []statement {
	var out []statement
	for _, s := range d.Statement {
		if s.Effect == effect {
			out = append(out, s)
		}
	}
	return out
}

// allowsOn reports whether d has a statement of effect granting action on resource, literally.
func hasStatement(d policyDoc, effect, action, resource string) bool {
	for _, s := range stmts(d, effect) {
		if contains(strs(s.Action), action) && contains(strs(s.Resource), resource) && s.Condition == nil {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func inline(list []inlinePolicy, name string) *policyDoc {
	for _, p := range list {
		if p.PolicyName == name {
			return &p.PolicyDocument
		}
	}
	return nil
}

func (o *output) plant(t *testing.T, id string) Plant {
	t.Helper()
	for _, p := range o.m.Planted {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("plant %s not in manifest", id)
	return Plant{}
}

func (o *output) accountOf(p Plant) string { return strings.TrimPrefix(p.Source, "aws:") }

func TestPlantsListed(t *testing.T) {
	o := shared(t)
	kinds := map[string]bool{}
	ids := map[string]bool{}
	for _, p := range o.m.Planted {
		require.False(t, ids[p.ID], "duplicate plant %s", p.ID)
		ids[p.ID] = true
		kinds[p.Kind] = true
		require.NotEmpty(t, p.Principal, p.ID)
		require.NotEmpty(t, p.Description, p.ID)
		require.NotEmpty(t, p.Via, p.ID)
		require.Contains(t, []string{"allow", "deny", "escalate"}, p.Expect, p.ID)
		require.Contains(t, []string{"none", "read", "write", "admin"}, p.Privilege, p.ID)
		require.FileExists(t, o.dir+"/"+p.File, p.ID)
		if p.Identity != "" {
			require.Contains(t, o.hr, p.Identity, p.ID)
		}
	}
	for _, k := range []string{PlantOffboardedActiveKey, PlantTrustAnyPrincipal, PlantInlineIAMAdmin,
		PlantExternalAccountTrust, PlantDenyOverridesAdmin, PlantPermissionBoundary, PlantNonDefaultPolicyVersion,
		PlantPassRoleEscalation, PlantAgentExceedsPerson, PlantAdminWithoutMFA, PlantIRSAAdmin,
		PlantK8sSAClusterAdmin, PlantK8sSecretsAuthenticated, PlantK8sAggregatedSecrets,
		PlantK8sOffboardedBinding, PlantK8sImpersonate, PlantK8sAgentDelegation, PlantOrphanedSaaSAdmin,
		PlantBroadOAuthGrant, PlantToxicPair, PlantStaleAccessKey, PlantServiceRoleAdmin,
		PlantOffboardedIAMUser, PlantServiceUserAdmin, PlantK8sDeployerEscalation, PlantAgentMailGrant} {
		require.True(t, kinds[k], "no plant of kind %s", k)
	}
	require.Equal(t, 25, patterns(o.m), "plants that are not background")
	require.Len(t, o.m.Planted, 25+backgroundOf(o.m.Planted))
}

// patterns counts the plants planted once (not Background).
func patterns(m *Manifest) int { return len(m.Planted) - backgroundOf(m.Planted) }

func backgroundOf(ps []Plant) int {
	n := 0
	for _, p := range ps {
		if p.Background {
			n++
		}
	}
	return n
}

func TestPlantOffboardedActiveKey(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-offboarded-active-key")
	acct, u := o.user(p.Principal)
	require.NotNil(t, u)
	require.Equal(t, o.accountOf(p), acct)
	require.Equal(t, p.Identity, tagValue(u.Tags, "email"))

	hr := o.hr[p.Identity]
	require.Equal(t, statusOffboarded, hr["status"])
	term, err := time.Parse("2006-01-02", hr["termination_date"])
	require.NoError(t, err)
	require.InDelta(t, 420, o.m.Options.Now.Sub(term).Hours()/24, 1)

	row := o.credRow(acct, u.UserName)
	require.Equal(t, "false", row["password_enabled"])
	require.Equal(t, "true", row["access_key_1_active"])
	used := mustTime(t, row["access_key_1_last_used_date"])
	require.InDelta(t, 400, o.m.Options.Now.Sub(used).Hours()/24, 1)
	require.Equal(t, "s3", row["access_key_1_last_used_service"])

	team := "team-" + hr["team"]
	require.Contains(t, u.GroupList, team)
	g := o.group(acct, team)
	require.NotNil(t, g)
	pol := o.policy(acct, p.IDs[2])
	require.NotNil(t, pol)
	require.Contains(t, attachedNames(g.AttachedManagedPolicies), pol.PolicyName)
	require.True(t, hasStatement(defaultDoc(pol), "Allow", "s3:GetObject", p.Resource))
}

func TestPlantInlineAdmin(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-inline-iam-admin")
	_, u := o.user(p.Principal)
	require.NotNil(t, u)
	d := inline(u.UserPolicyList, "iam-admin")
	require.NotNil(t, d)
	require.True(t, hasStatement(*d, "Allow", "iam:*", "*"))
	require.Equal(t, "it", o.hr[p.Identity]["department"])
}

func TestPlantDenyOverridesAdmin(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-deny-overrides-admin")
	acct, u := o.user(p.Principal)
	require.NotNil(t, u)
	require.Contains(t, u.GroupList, "admins")
	require.Equal(t, []string{polAdmin}, attachedNames(o.group(acct, "admins").AttachedManagedPolicies))
	d := inline(u.UserPolicyList, "deny-s3")
	require.NotNil(t, d)
	require.True(t, hasStatement(*d, "Deny", "s3:*", "*"))
	require.Equal(t, "deny", p.Expect)
	require.Equal(t, "s3", p.Service)
}

func TestPlantPermissionBoundary(t *testing.T) {
	o := shared(t)
	for _, id := range []string{"aws-permission-boundary-allows", "aws-permission-boundary-denies"} {
		p := o.plant(t, id)
		acct, u := o.user(p.Principal)
		require.NotNil(t, u)
		require.Equal(t, []string{polAdmin}, attachedNames(u.AttachedManagedPolicies))
		require.NotNil(t, u.PermissionsBoundary)
		require.Equal(t, p.IDs[1], u.PermissionsBoundary.PermissionsBoundaryArn)
		b := o.policy(acct, u.PermissionsBoundary.PermissionsBoundaryArn)
		require.NotNil(t, b)
		require.Equal(t, 1, b.PermissionsBoundaryUsageCount)
		allows := stmts(defaultDoc(b), "Allow")
		require.Len(t, allows, 1)
		require.ElementsMatch(t, []string{"s3:GetObject", "s3:ListBucket"}, strs(allows[0].Action))
		require.Contains(t, strs(allows[0].Resource), o.plant(t, "aws-permission-boundary-allows").Resource)
	}
}

func TestPlantNonDefaultPolicyVersion(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-non-default-policy-version")
	acct, u := o.user(p.Principal)
	require.NotNil(t, u)
	groupName := strings.TrimPrefix(p.Via[0], "group/")
	require.Contains(t, u.GroupList, groupName)
	pol := o.policy(acct, p.IDs[2])
	require.NotNil(t, pol)
	require.Contains(t, attachedNames(o.group(acct, groupName).AttachedManagedPolicies), pol.PolicyName)
	require.Equal(t, "v2", pol.DefaultVersionID)
	require.Len(t, pol.PolicyVersionList, 2)
	for _, v := range pol.PolicyVersionList {
		if v.IsDefaultVersion {
			require.False(t, hasStatement(v.Document, "Allow", "s3:*", "*"))
		} else {
			require.Equal(t, "v1", v.VersionID)
			require.True(t, hasStatement(v.Document, "Allow", "s3:*", "*"))
		}
	}
}

func TestPlantPassRole(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-passrole-escalation")
	_, u := o.user(p.Principal)
	require.NotNil(t, u)
	d := inline(u.UserPolicyList, "ci-deploy")
	require.NotNil(t, d)
	require.True(t, hasStatement(*d, "Allow", "iam:PassRole", "*"))
	require.True(t, hasStatement(*d, "Allow", "lambda:CreateFunction", "*"))
	r := o.role(p.Target)
	require.NotNil(t, r)
	require.Equal(t, []string{polAdmin}, attachedNames(r.AttachedManagedPolicies))
	st := r.AssumeRolePolicyDocument.Statement
	require.Len(t, st, 1)
	require.Equal(t, map[string]any{"Service": "lambda.amazonaws.com"}, st[0].Principal)
}

func TestPlantAgentExceedsPerson(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-agent-exceeds-person")
	_, u := o.user(p.Principal)
	require.NotNil(t, u)
	require.Equal(t, "/agents/", u.Path)
	require.Equal(t, p.Identity, tagValue(u.Tags, "on-behalf-of"))
	require.Contains(t, attachedNames(u.AttachedManagedPolicies), polSecretsRW)
	for _, g := range o.gaad {
		for _, other := range g.UserDetailList {
			require.NotEqual(t, p.Identity, tagValue(other.Tags, "email"), "the person must have no IAM user")
		}
	}
}

func TestPlantAdminWithoutMFA(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-admin-without-mfa")
	acct, u := o.user(p.Principal)
	require.NotNil(t, u)
	require.Contains(t, u.GroupList, "admins")
	row := o.credRow(acct, u.UserName)
	require.Equal(t, "true", row["password_enabled"])
	require.Equal(t, "false", row["mfa_active"])
}

func TestPlantRoleTrusts(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-trust-any-principal")
	r := o.role(p.Principal)
	require.NotNil(t, r)
	st := r.AssumeRolePolicyDocument.Statement
	require.Len(t, st, 1)
	require.Equal(t, map[string]any{"AWS": "*"}, st[0].Principal)
	require.Nil(t, st[0].Condition)

	p = o.plant(t, "aws-external-account-trust")
	r = o.role(p.Target)
	require.NotNil(t, r)
	st = r.AssumeRolePolicyDocument.Statement
	require.Len(t, st, 1)
	require.Equal(t, map[string]any{"AWS": p.Principal}, st[0].Principal)
	require.Nil(t, st[0].Condition, "no sts:ExternalId")
	for _, f := range o.m.Files.AWSAuthorizationDetails {
		require.NotContains(t, p.Principal, f.AccountID, "the trusted account must be outside the organisation")
	}
	require.Equal(t, []string{polReadOnly}, attachedNames(r.AttachedManagedPolicies))
}

func TestPlantIRSA(t *testing.T) {
	o := shared(t)
	p := o.plant(t, "aws-irsa-admin")
	r := o.role(p.Principal)
	require.NotNil(t, r)
	require.Contains(t, attachedNames(r.AttachedManagedPolicies), polAdmin)
	sa := p.IDs[2] // ServiceAccount/<ns>/<name>
	parts := strings.Split(sa, "/")
	require.Len(t, parts, 3)
	cond := r.AssumeRolePolicyDocument.Statement[0].Condition["StringEquals"].(map[string]any)
	found := false
	for k, v := range cond {
		if strings.HasSuffix(k, ":sub") {
			require.Equal(t, "system:serviceaccount:"+parts[1]+":"+parts[2], v)
			found = true
		}
	}
	require.True(t, found)
	cluster := strings.TrimPrefix(strings.Split(p.Via[1], "/")[0], "k8s:")
	ob, ok := o.k8s[cluster][sa]
	require.True(t, ok, "service account %s in cluster %s", sa, cluster)
	ann := ob.raw["metadata"].(map[string]any)["annotations"].(map[string]any)
	require.Equal(t, p.Principal, ann["eks.amazonaws.com/role-arn"])
}

// binding returns the roleRef and subjects of a binding object.
func bindingOf(t *testing.T, ob k8sObject) (map[string]any, []map[string]any) {
	t.Helper()
	ref := ob.raw["roleRef"].(map[string]any)
	var subs []map[string]any
	for _, s := range ob.raw["subjects"].([]any) {
		subs = append(subs, s.(map[string]any))
	}
	return ref, subs
}

func rulesOf(ob k8sObject) []map[string]any {
	var out []map[string]any
	rs, _ := ob.raw["rules"].([]any)
	for _, r := range rs {
		out = append(out, r.(map[string]any))
	}
	return out
}

func anyStrs(v any) []string { return strs(v) }

func TestPlantsK8s(t *testing.T) {
	o := shared(t)
	clusterOf := func(p Plant) map[string]k8sObject {
		idx, ok := o.k8s[strings.TrimPrefix(p.Source, "k8s:")]
		require.True(t, ok, p.Source)
		return idx
	}

	t.Run("sa-cluster-admin", func(t *testing.T) {
		p := o.plant(t, "k8s-sa-cluster-admin")
		idx := clusterOf(p)
		sa, ok := idx["ServiceAccount/default/jenkins"]
		require.True(t, ok)
		require.Empty(t, sa.namespace, "the manifest omits metadata.namespace")
		ref, subs := bindingOf(t, idx["ClusterRoleBinding/jenkins-cluster-admin"])
		require.Equal(t, "cluster-admin", ref["name"])
		require.Equal(t, []map[string]any{{"kind": "ServiceAccount", "name": "jenkins", "namespace": "default"}}, subs)
	})
	t.Run("secrets-authenticated", func(t *testing.T) {
		p := o.plant(t, "k8s-secrets-authenticated")
		idx := clusterOf(p)
		rules := rulesOf(idx["Role/"+p.Namespace+"/legacy-secret-reader"])
		require.Len(t, rules, 1)
		require.Equal(t, []string{"secrets"}, anyStrs(rules[0]["resources"]))
		require.Equal(t, []string{"get", "list", "watch"}, anyStrs(rules[0]["verbs"]))
		ref, subs := bindingOf(t, idx["RoleBinding/"+p.Namespace+"/legacy-secret-reader-all"])
		require.Equal(t, "Role", ref["kind"])
		require.Equal(t, "system:authenticated", subs[0]["name"])
		require.Equal(t, "Group", subs[0]["kind"])
	})
	t.Run("aggregated", func(t *testing.T) {
		p := o.plant(t, "k8s-aggregated-secrets")
		idx := clusterOf(p)
		agg := idx["ClusterRole/support-debugger"]
		require.Empty(t, rulesOf(agg), "the aggregate has no rules of its own")
		sel := agg.raw["aggregationRule"].(map[string]any)["clusterRoleSelectors"].([]any)[0].(map[string]any)
		labels := sel["matchLabels"].(map[string]any)
		// Exactly the ClusterRoles carrying the label are aggregated; one grants secrets.
		var secrets []string
		for key, ob := range idx {
			if ob.kind != "ClusterRole" {
				continue
			}
			l, _ := ob.raw["metadata"].(map[string]any)["labels"].(map[string]any)
			match := true
			for k, v := range labels {
				match = match && l[k] == v
			}
			if !match {
				continue
			}
			for _, r := range rulesOf(ob) {
				if contains(anyStrs(r["resources"]), "secrets") {
					secrets = append(secrets, key)
					require.Equal(t, []string{"get", "list"}, anyStrs(r["verbs"]))
				}
			}
		}
		require.Equal(t, []string{"ClusterRole/support-debugger-secrets"}, secrets)
		_, subs := bindingOf(t, idx["ClusterRoleBinding/support-debugger"])
		require.Equal(t, []map[string]any{{"kind": "User", "apiGroup": rbacGroup, "name": p.Identity}}, subs)
		require.Equal(t, "support", o.hr[p.Identity]["department"])
	})
	t.Run("offboarded-binding", func(t *testing.T) {
		p := o.plant(t, "k8s-offboarded-binding")
		idx := clusterOf(p)
		require.Equal(t, statusOffboarded, o.hr[p.Identity]["status"])
		require.Equal(t, o.plant(t, "aws-offboarded-active-key").Identity, p.Identity,
			"the same terminated person is left behind in AWS and Kubernetes")
		ref, subs := bindingOf(t, idx[p.Via[0]])
		require.Equal(t, "admin", ref["name"])
		require.Equal(t, p.Identity, subs[0]["name"])
	})
	t.Run("impersonate", func(t *testing.T) {
		p := o.plant(t, "k8s-impersonate")
		idx := clusterOf(p)
		rules := rulesOf(idx["ClusterRole/oncall-impersonator"])
		require.Equal(t, []string{"impersonate"}, anyStrs(rules[0]["verbs"]))
		_, subs := bindingOf(t, idx["ClusterRoleBinding/oncall-impersonator"])
		require.Equal(t, "oncall", subs[0]["name"])
	})
	t.Run("agent-delegation", func(t *testing.T) {
		p := o.plant(t, "k8s-agent-delegation")
		idx := clusterOf(p)
		sa := idx[p.Principal]
		ann := sa.raw["metadata"].(map[string]any)["annotations"].(map[string]any)
		require.Equal(t, p.Identity, ann[strings.TrimSuffix(o.m.Domain, ".example")+".example/on-behalf-of"])
		ref, subs := bindingOf(t, idx[p.Via[0]])
		require.Equal(t, "edit", ref["name"])
		require.Equal(t, strings.Split(p.Principal, "/")[2], subs[0]["name"])
	})
}

// TestPlantIDsExist checks that every ID a plant names is in the files.
func TestPlantIDsExist(t *testing.T) {
	o := shared(t)
	known := map[string]bool{}
	for _, g := range o.gaad {
		for _, u := range g.UserDetailList {
			known[u.Arn] = true
		}
		for _, gr := range g.GroupDetailList {
			known[gr.Arn] = true
		}
		for _, r := range g.RoleDetailList {
			known[r.Arn] = true
			for _, s := range r.AssumeRolePolicyDocument.Statement {
				if m, ok := s.Principal.(map[string]any); ok {
					for _, v := range strs(m["AWS"]) {
						known[v] = true
					}
				}
			}
		}
		for _, p := range g.Policies {
			known[p.Arn] = true
		}
	}
	for e := range o.hr {
		known[e] = true
	}
	for _, idx := range o.k8s {
		for key, ob := range idx {
			known[key] = true
			subs, _ := ob.raw["subjects"].([]any)
			for _, s := range subs {
				sm := s.(map[string]any)
				switch sm["kind"] {
				case "User", "Group":
					known[sm["kind"].(string)+"/"+sm["name"].(string)] = true
				}
			}
		}
	}
	for _, p := range o.m.Planted {
		if !strings.HasPrefix(p.Source, "aws:") && !strings.HasPrefix(p.Source, "k8s:") {
			continue // Okta and Google plants name connector node IDs, checked on the graph
		}
		for _, id := range append([]string{p.Principal}, p.IDs...) {
			// The credential report's password and keys of a user.
			if base, _, ok := strings.Cut(id, "#"); ok && strings.HasPrefix(id, "arn:aws:iam::") {
				id = base
			}
			require.True(t, known[id], "plant %s names %s, which no file contains", p.ID, id)
		}
		if p.Target != "" {
			require.True(t, known[p.Target], "plant %s target %s", p.ID, p.Target)
		}
	}
}
