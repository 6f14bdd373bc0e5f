package aws

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

const (
	csAcct = "012345678901"
	csPre  = "arn:aws:iam::012345678901:"
)

func cloudsplaining(t *testing.T, opt Options) *graph.Batch {
	t.Helper()
	return parseFile(t, filepath.Join(datasetsDir(t), "aws", "cloudsplaining-test-account-authorization-details.json"), opt)
}

func TestCloudsplainingMembership(t *testing.T) {
	b := cloudsplaining(t, Options{Levels: catalogue(t)})
	require.Equal(t, "aws:"+csAcct, b.Source)

	for _, tc := range []struct {
		user   string
		groups []string
	}{
		{"obama", []string{csPre + "group/admin"}},
		{"userwithlotsofpermissions", []string{csPre + "group/admin"}},
		{"biden", []string{csPre + "group/biden"}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			require.Equal(t, tc.groups, edgesFrom(b, csPre+"user/"+tc.user, graph.EdgeMemberOf))
			n, ok := b.Node(csPre + "user/" + tc.user)
			require.True(t, ok)
			require.Equal(t, graph.KindAccount, n.Kind)
			require.Equal(t, SubkindUser, n.Subkind)
		})
	}

	// Groups are not principals: no ACCESS edges of their own.
	for _, g := range []string{"admin", "biden"} {
		require.Empty(t, edgesFrom(b, csPre+"group/"+g, graph.EdgeAccess), g)
	}

	kinds := map[graph.Kind]int{}
	for _, n := range b.Nodes() {
		kinds[n.Kind]++
	}
	require.Equal(t, 4, kinds[graph.KindAccount], "3 users and the account root")
	require.Equal(t, 2, kinds[graph.KindGroup])
	require.Equal(t, 3, kinds[graph.KindRole])
	require.Equal(t, 32, kinds[graph.KindEntitlement], "managed policies")
	require.Equal(t, 2, kinds[graph.KindApplication], "ssm and ec2 service stubs")
}

func TestCloudsplainingAdminAccess(t *testing.T) {
	b := cloudsplaining(t, Options{Levels: catalogue(t)})
	all := ResourceID(csAcct, "*")
	require.Equal(t, "aws:012345678901:*:*", all)
	n, ok := b.Node(all)
	require.True(t, ok)
	require.Equal(t, graph.SensCritical, n.Sensitivity)
	require.Equal(t, "all resources", n.Name)

	// obama has AdministratorAccess twice: attached directly and through admin.
	e := edge(t, b, csPre+"user/obama", graph.EdgeAccess, all)
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Equal(t, []string{"*"}, e.Actions)
	require.Equal(t, []string{"policy/AdministratorAccess", "policy/AdministratorAccess via group/admin"}, e.Via)

	e = edge(t, b, csPre+"user/userwithlotsofpermissions", graph.EdgeAccess, all)
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Equal(t, []string{"policy/AdministratorAccess via group/admin"}, e.Via)

	// biden is not an admin: full access only to some services.
	require.Equal(t, []string{csPre + "root", csPre + "user/obama", csPre + "user/userwithlotsofpermissions"},
		edgesTo(b, graph.EdgeAccess, all))
}

func TestCloudsplainingInlinePolicy(t *testing.T) {
	b := cloudsplaining(t, Options{Levels: catalogue(t)})
	s3 := ResourceID(csAcct, "s3")

	// InsecureUserPolicy: s3:PutObject, s3:PutObjectAcl, s3:GetObject on *.
	// PutObjectAcl is "Permissions management" in the catalogue, so admin.
	e := edge(t, b, csPre+"user/userwithlotsofpermissions", graph.EdgeAccess, s3)
	require.Equal(t, []string{"s3:GetObject", "s3:PutObject", "s3:PutObjectAcl"}, e.Actions)
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Equal(t, []string{"inline/InsecureUserPolicy"}, e.Via)
	n, _ := b.Node(s3)
	require.Equal(t, graph.SensHigh, n.Sensitivity)

	// biden has the same inline policy, his group's inline policy, and s3:*
	// from AWSLambdaFullAccess, which covers the named actions.
	e = edge(t, b, csPre+"user/biden", graph.EdgeAccess, s3)
	require.Equal(t, []string{"s3:*"}, e.Actions)
	require.Equal(t, []string{"inline/InlinePolicyForBidenGroup via group/biden", "inline/InsecureUserPolicy",
		"policy/AWSLambdaFullAccess"}, e.Via)

	// AmazonRDSFullAccess (via group biden) allows iam:CreateServiceLinkedRole
	// only under a condition, AWSLambdaFullAccess allows iam:Get*... outright.
	e = edge(t, b, csPre+"user/biden", graph.EdgeAccess, ResourceID(csAcct, "iam"))
	require.Contains(t, e.Actions, "iam:PassRole")
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	require.Equal(t, []string{`{"StringLike":{"iam:AWSServiceName":["rds.amazonaws.com","rds.application-autoscaling.amazonaws.com"]}}`},
		e.Conditions)
	require.Equal(t, "iam:CreateServiceLinkedRole", e.Props["conditional_actions"])

	// A specific ARN pattern keeps its ARN as the node ID.
	e = edge(t, b, csPre+"user/biden", graph.EdgeAccess, "arn:aws:pi:*:*:metrics/rds/*")
	require.Equal(t, []string{"pi:*"}, e.Actions)
}

func TestCloudsplainingTrust(t *testing.T) {
	b := cloudsplaining(t, Options{Levels: catalogue(t)})

	for _, tc := range []struct {
		role    string
		assumed []string
	}{
		{"MyRole", []string{"aws:service:ssm.amazonaws.com"}},
		{"MyOtherRole", []string{"aws:service:ssm.amazonaws.com"}},
		{"OverprivilegedEC2", []string{"aws:service:ec2.amazonaws.com"}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			require.Equal(t, tc.assumed, edgesTo(b, graph.EdgeCanAssume, csPre+"role/"+tc.role))
			n, ok := b.Node(csPre + "role/" + tc.role)
			require.True(t, ok)
			require.Empty(t, n.Props["open_trust"], "no role in this account trusts *")
		})
	}
	svc, ok := b.Node("aws:service:ssm.amazonaws.com")
	require.True(t, ok)
	require.Equal(t, graph.KindApplication, svc.Kind)
	require.Equal(t, "true", svc.Props[graph.PropStub])
	_, ok = b.Node(AnyoneID(csAcct))
	require.False(t, ok)

	ec2, _ := b.Node(csPre + "role/OverprivilegedEC2")
	require.Equal(t, csPre+"instance-profile/OverprivilegedEC2", ec2.Props["instance_profiles"])
}

func TestCloudsplainingEscalation(t *testing.T) {
	b := cloudsplaining(t, Options{Levels: catalogue(t)})

	// biden may pass any role (iam:PassRole on * in AWSLambdaFullAccess) and
	// may create Lambda functions (lambda:*), but no role trusts Lambda:
	// OverprivilegedEC2 trusts ec2.amazonaws.com and biden has no EC2 launch
	// action (only ec2:Describe* from AWSLambdaFullAccess and
	// AmazonRDSFullAccess); MyRole and MyOtherRole trust ssm.amazonaws.com
	// and he has no ssm action at all. So he escalates to nothing.
	require.Empty(t, edgesFrom(b, csPre+"user/biden", graph.EdgeEscalates))

	// OverprivilegedEC2's inline SupYo allows iam:CreateAccessKey on *: the
	// role can mint keys for every user.
	require.Equal(t, []string{csPre + "user/biden", csPre + "user/obama", csPre + "user/userwithlotsofpermissions"},
		edgesFrom(b, csPre+"role/OverprivilegedEC2", graph.EdgeEscalates))

	// MyRole (inline EC2-IAM-example) and MyOtherRole (inline SupYo) both
	// allow iam:PassRole and ec2:AssociateIamInstanceProfile on *: each can
	// attach OverprivilegedEC2's instance profile to an instance it runs on.
	// Neither has ssm:CreateActivation, so neither escalates to the other.
	for _, tc := range []struct{ role, policy string }{
		{"MyRole", "inline/EC2-IAM-example"},
		{"MyOtherRole", "inline/SupYo"},
	} {
		require.Equal(t, []string{csPre + "role/OverprivilegedEC2"}, edgesFrom(b, csPre+"role/"+tc.role, graph.EdgeEscalates))
		e := edge(t, b, csPre+"role/"+tc.role, graph.EdgeEscalates, csPre+"role/OverprivilegedEC2")
		require.Equal(t, []string{"ec2:AssociateIamInstanceProfile", "iam:PassRole"}, e.Actions)
		require.Equal(t, []string{"iam:PassRole to ec2.amazonaws.com, run with ec2:AssociateIamInstanceProfile", tc.policy}, e.Via)
		require.Equal(t, graph.PrivAdmin, e.Privilege)
	}

	// The admins escalate to every role: to MyRole by changing its trust
	// policy, or by passing it to SSM through a hybrid activation.
	e := edge(t, b, csPre+"user/obama", graph.EdgeEscalates, csPre+"role/MyRole")
	require.Equal(t, []string{"iam:PassRole", "iam:UpdateAssumeRolePolicy", "ssm:CreateActivation"}, e.Actions)
	require.Contains(t, e.Via, "iam:PassRole to ssm.amazonaws.com, run with ssm:CreateActivation")
}

func TestCloudsplainingWithoutCatalogue(t *testing.T) {
	b := cloudsplaining(t, Options{})
	e := edge(t, b, csPre+"user/userwithlotsofpermissions", graph.EdgeAccess, ResourceID(csAcct, "s3"))
	// The heuristic rates PutObjectAcl admin too (it names an Acl).
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	e = edge(t, b, csPre+"role/OverprivilegedEC2", graph.EdgeAccess, ResourceID(csAcct, "secretsmanager"))
	require.Equal(t, graph.PrivRead, e.Privilege)
	n, _ := b.Node(ResourceID(csAcct, "secretsmanager"))
	require.Equal(t, graph.SensCritical, n.Sensitivity)
}

const (
	fxAcct = "111122223333"
	fxPre  = "arn:aws:iam::111122223333:"
)

func TestFixtureDenyNotActionNotResource(t *testing.T) {
	lv := catalogue(t)
	b := parseFile(t, filepath.Join("testdata", "semantics.json"), Options{Levels: lv})
	require.Equal(t, "aws:"+fxAcct, b.Source)

	t.Run("deny beats allow", func(t *testing.T) {
		e := edge(t, b, fxPre+"user/alice", graph.EdgeAccess, ResourceID(fxAcct, "s3"))
		// s3:* minus s3:Delete*: the catalogue's 91 s3 actions less its 9 Delete* ones.
		require.Len(t, e.Actions, 82)
		require.Contains(t, e.Actions, "s3:GetObject")
		require.Contains(t, e.Actions, "s3:PutBucketPolicy")
		for _, a := range e.Actions {
			require.False(t, strings.HasPrefix(a, "s3:Delete"), a)
		}
		require.Equal(t, graph.PrivAdmin, e.Privilege)
		require.Equal(t, []string{"inline/S3NoDelete"}, e.Via)
		require.True(t, slices.IsSorted(e.Actions))
	})

	t.Run("group inline policy", func(t *testing.T) {
		e := edge(t, b, fxPre+"user/alice", graph.EdgeAccess, ResourceID(fxAcct, "ec2"))
		require.Equal(t, []string{"ec2:Describe*"}, e.Actions)
		require.Equal(t, graph.PrivRead, e.Privilege)
		require.Equal(t, []string{"inline/DevRead via group/devs"}, e.Via)
	})

	t.Run("NotAction uses the default version", func(t *testing.T) {
		e := edge(t, b, fxPre+"user/bob", graph.EdgeAccess, ResourceID(fxAcct, "*"))
		require.Equal(t, []string{"*"}, e.Actions)
		require.Equal(t, "iam:*,organizations:*", e.Props["excluded_actions"])
		require.Equal(t, graph.PrivAdmin, e.Privilege, "s3:PutBucketPolicy and the like remain")
		require.Equal(t, []string{"policy/PowerUser"}, e.Via)
		// No iam:PassRole or iam:CreateAccessKey: no escalation.
		require.Empty(t, edgesFrom(b, fxPre+"user/bob", graph.EdgeEscalates))
	})

	t.Run("NotResource", func(t *testing.T) {
		e := edge(t, b, fxPre+"user/bob", graph.EdgeAccess, ResourceID(fxAcct, "dynamodb"))
		require.Equal(t, []string{"dynamodb:GetItem", "dynamodb:Query"}, e.Actions)
		require.Equal(t, graph.PrivRead, e.Privilege)
		require.Equal(t, []string{`{"NotResource":["arn:aws:dynamodb:us-east-1:111122223333:table/secret"]}`}, e.Conditions)
	})

	t.Run("boundary intersects", func(t *testing.T) {
		// carol's identity policy allows *, her boundary only s3:Get* and s3:List*.
		require.Equal(t, []string{ResourceID(fxAcct, "s3")}, edgesFrom(b, fxPre+"user/carol", graph.EdgeAccess))
		e := edge(t, b, fxPre+"user/carol", graph.EdgeAccess, ResourceID(fxAcct, "s3"))
		require.Equal(t, []string{"s3:Get*", "s3:List*"}, e.Actions)
		require.Equal(t, graph.PrivRead, e.Privilege)
		require.Equal(t, []string{"boundary/S3ReadOnlyBoundary", "inline/Everything"}, e.Via)
		require.Empty(t, edgesFrom(b, fxPre+"user/carol", graph.EdgeEscalates))
		require.Empty(t, edgesFrom(b, fxPre+"user/carol", graph.EdgeCanAssume))
	})
}

func TestFixtureTrust(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "semantics.json"), Options{Levels: catalogue(t)})

	t.Run("same-account root needs sts:AssumeRole", func(t *testing.T) {
		// dave is allowed sts:AssumeRole on the role (a URL-encoded inline
		// policy); bob through PowerUser's NotAction; frank's is denied; erin,
		// alice and carol (boundary) have none.
		require.Equal(t, []string{fxPre + "user/bob", fxPre + "user/dave"},
			edgesTo(b, graph.EdgeCanAssume, fxPre+"role/RootTrusted"))
		e := edge(t, b, fxPre+"user/dave", graph.EdgeCanAssume, fxPre+"role/RootTrusted")
		require.Equal(t, []string{"inline/AssumeRootTrusted", "trust/RootTrusted (account root)"}, e.Via)
		require.Empty(t, edgesFrom(b, fxPre+"user/frank", graph.EdgeCanAssume))
	})

	t.Run("cross-account", func(t *testing.T) {
		other := "arn:aws:iam::999988887777:root"
		e := edge(t, b, other, graph.EdgeCanAssume, fxPre+"role/CrossAccount")
		require.Equal(t, []string{`{"StringEquals":{"sts:ExternalId":"partner-7"}}`}, e.Conditions)
		n, ok := b.Node(other)
		require.True(t, ok)
		require.Equal(t, graph.KindAccount, n.Kind)
		require.Equal(t, SubkindAccount, n.Subkind)
		require.Equal(t, "true", n.Props[graph.PropStub])
	})

	t.Run("principal star", func(t *testing.T) {
		require.Equal(t, []string{AnyoneID(fxAcct)}, edgesTo(b, graph.EdgeCanAssume, fxPre+"role/Public"))
		n, _ := b.Node(AnyoneID(fxAcct))
		require.Equal(t, graph.KindIdentity, n.Kind)
		require.Equal(t, "public", n.Subkind)
		r, _ := b.Node(fxPre + "role/Public")
		require.Equal(t, "true", r.Props["open_trust"])
		r, _ = b.Node(fxPre + "role/RootTrusted")
		require.Empty(t, r.Props["open_trust"])
	})

	t.Run("named user and trust deny", func(t *testing.T) {
		// erin is named directly (no identity permission needed); bob is named
		// too but a Deny statement removes him.
		require.Equal(t, []string{fxPre + "user/erin"}, edgesTo(b, graph.EdgeCanAssume, fxPre+"role/DirectUser"))
	})

	t.Run("federated", func(t *testing.T) {
		id := "aws:federated:arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
		e := edge(t, b, id, graph.EdgeCanAssume, fxPre+"role/GitHubDeploy")
		require.Equal(t, []string{`{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/app:*"}}`}, e.Conditions)
		n, _ := b.Node(id)
		require.Equal(t, graph.KindApplication, n.Kind)
		require.Equal(t, "true", n.Props[graph.PropStub])
	})
}

func TestFixtureWithoutCatalogue(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "semantics.json"), Options{})
	// Without the catalogue s3:* minus s3:Delete* cannot be expanded: the
	// pattern stays and the exclusion is recorded.
	e := edge(t, b, fxPre+"user/alice", graph.EdgeAccess, ResourceID(fxAcct, "s3"))
	require.Equal(t, []string{"s3:*"}, e.Actions)
	require.Equal(t, "s3:Delete*", e.Props["excluded_actions"])
	require.Equal(t, graph.PrivAdmin, e.Privilege)
}

func TestFixtureDenyVariants(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "semantics.json"), Options{Levels: catalogue(t)})
	gina := fxPre + "user/gina"
	require.Equal(t, []string{"arn:aws:s3:::scratch/*", ResourceID(fxAcct, "s3")}, edgesFrom(b, gina, graph.EdgeAccess))

	// Deny s3:Delete* with NotResource scratch/*: everywhere but scratch/*
	// the Delete actions are gone ...
	e := edge(t, b, gina, graph.EdgeAccess, ResourceID(fxAcct, "s3"))
	require.Len(t, e.Actions, 82)
	require.NotContains(t, e.Actions, "s3:DeleteObject")
	// ... a conditional deny and a deny on narrower resources subtract
	// nothing and are recorded instead.
	require.Contains(t, e.Actions, "s3:PutBucketPolicy")
	require.Contains(t, e.Actions, "s3:PutObjectAcl")
	require.Equal(t, []string{
		`{"Action":["s3:PutBucketPolicy"],"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}},"Effect":"Deny","Resource":["*"]}`,
		`{"Action":["s3:PutObjectAcl"],"Effect":"Deny","Resource":["arn:aws:s3:::public-site/*"]}`,
	}, e.Conditions)

	// ... while on scratch/* everything s3 remains.
	e = edge(t, b, gina, graph.EdgeAccess, "arn:aws:s3:::scratch/*")
	require.Equal(t, []string{"s3:*"}, e.Actions)
	require.Equal(t, []string{"inline/S3All"}, e.Via)
	n, _ := b.Node("arn:aws:s3:::scratch/*")
	require.Equal(t, "true", n.Props["pattern"])
	require.Equal(t, graph.SensHigh, n.Sensitivity)
}

func TestFixtureAccessToAnIAMEntity(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "semantics.json"), Options{Levels: catalogue(t)})
	// CrossAccount may pass the Public role: the ACCESS edge points at the
	// role's own node, which stays a role.
	e := edge(t, b, fxPre+"role/CrossAccount", graph.EdgeAccess, fxPre+"role/Public")
	require.Equal(t, []string{"iam:PassRole"}, e.Actions)
	require.Equal(t, graph.PrivAdmin, e.Privilege)
	n, _ := b.Node(fxPre + "role/Public")
	require.Equal(t, graph.KindRole, n.Kind)
	require.Equal(t, SubkindRole, n.Subkind)
	// Public trusts only "*", not a service: passing it escalates nothing.
	require.Empty(t, edgesFrom(b, fxPre+"role/CrossAccount", graph.EdgeEscalates))
}
