package aws

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// testPrincipal builds a principal from identity policy documents named by
// their via; a via starting with "boundary/" becomes the boundary.
func testPrincipal(t *testing.T, docs map[string]string) *principalInfo {
	t.Helper()
	p := &principalInfo{arn: fxPre + "user/test"}
	for _, via := range sortedKeys(docs) {
		doc, err := parsePolicy(via, json.RawMessage(docs[via]), identityDoc)
		require.NoError(t, err)
		sp := sourcedPolicy{via: via, doc: doc}
		if len(via) > 9 && via[:9] == "boundary/" {
			p.boundary = &sp
			continue
		}
		p.policies = append(p.policies, sp)
	}
	return p
}

func stmt(effect, action, resource, extra string) string {
	return fmt.Sprintf(`{"Effect":%q,"Action":%q,%s%s}`, effect, action, resource, extra)
}

// TestEvaluateServesBoth checks the one evaluation behind allowed (a
// concrete resource) and launchAllowed (any resource, a deny refusing only
// when it covers every resource) on the same principals.
func TestEvaluateServesBoth(t *testing.T) {
	const (
		run  = "ec2:RunInstances"
		dev  = "arn:aws:ec2:us-east-1:111122223333:instance/dev-1"
		prod = "arn:aws:ec2:us-east-1:111122223333:instance/prod-1"
		all  = `"Resource":"*"`
		mfa  = `,"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`
	)
	doc := func(sts ...string) string {
		out := `{"Version":"2012-10-17","Statement":[`
		for i, s := range sts {
			if i > 0 {
				out += ","
			}
			out += s
		}
		return out + "]}"
	}
	type answer struct {
		ok         bool
		via, conds []string
	}
	for _, tc := range []struct {
		name      string
		docs      map[string]string
		dev, prod answer // allowed on each instance
		launch    answer
	}{
		{"narrow allow: a launch may name a new resource",
			map[string]string{"inline/DevOnly": doc(stmt("Allow", run, `"Resource":"arn:aws:ec2:*:*:instance/dev-*"`, ""))},
			answer{true, []string{"inline/DevOnly"}, nil}, answer{}, answer{true, []string{"inline/DevOnly"}, nil}},
		{"narrow deny: refuses its resource, only restricts a launch",
			map[string]string{"inline/EC2": doc(stmt("Allow", "ec2:*", all, ""),
				stmt("Deny", run, `"Resource":"arn:aws:ec2:*:*:instance/prod-*"`, ""))},
			answer{true, []string{"inline/EC2"}, nil}, answer{},
			answer{true, []string{"inline/EC2"}, []string{`{"Action":["ec2:RunInstances"],"Effect":"Deny","Resource":["arn:aws:ec2:*:*:instance/prod-*"]}`}}},
		{"NotResource deny is never total for a launch",
			map[string]string{"inline/EC2": doc(stmt("Allow", "ec2:*", all, ""),
				stmt("Deny", run, `"NotResource":"arn:aws:ec2:*:*:instance/dev-*"`, ""))},
			answer{true, []string{"inline/EC2"}, nil}, answer{},
			answer{true, []string{"inline/EC2"}, []string{`{"Action":["ec2:RunInstances"],"Effect":"Deny","NotResource":["arn:aws:ec2:*:*:instance/dev-*"]}`}}},
		{"deny on every resource refuses both",
			map[string]string{"inline/All": doc(stmt("Allow", "*", all, ""), stmt("Deny", "ec2:Run*", all, ""))},
			answer{}, answer{}, answer{}},
		{"conditional allow and conditional deny become conditions",
			map[string]string{"inline/MFA": doc(stmt("Allow", run, all, mfa), stmt("Deny", run, all, `,"Condition":{"Bool":{"aws:SecureTransport":"false"}}`))},
			answer{true, []string{"inline/MFA"}, []string{`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`,
				`{"Action":["ec2:RunInstances"],"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Resource":["*"]}`}},
			answer{true, []string{"inline/MFA"}, []string{`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`,
				`{"Action":["ec2:RunInstances"],"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Resource":["*"]}`}},
			answer{true, []string{"inline/MFA"}, []string{`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`,
				`{"Action":["ec2:RunInstances"],"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Resource":["*"]}`}}},
		{"boundary without the action refuses both",
			map[string]string{"inline/All": doc(stmt("Allow", "*", all, "")), "boundary/S3": doc(stmt("Allow", "s3:*", all, ""))},
			answer{}, answer{}, answer{}},
		{"boundary with the action adds its via",
			map[string]string{"inline/All": doc(stmt("Allow", "*", all, "")), "boundary/EC2Dev": doc(stmt("Allow", "ec2:*", `"Resource":"arn:aws:ec2:*:*:instance/dev-*"`, ""))},
			answer{true, []string{"inline/All", "boundary/EC2Dev"}, nil}, answer{},
			answer{true, []string{"inline/All", "boundary/EC2Dev"}, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPrincipal(t, tc.docs)
			ok, via, conds := allowed(p, run, dev)
			require.Equal(t, tc.dev, answer{ok, via, conds}, "allowed on dev")
			ok, via, conds = allowed(p, run, prod)
			require.Equal(t, tc.prod, answer{ok, via, conds}, "allowed on prod")
			ok, via, conds = launchAllowed(p, run)
			require.Equal(t, tc.launch, answer{ok, via, conds}, "launchAllowed")
		})
	}
}

// TestEvaluateAdmit checks that an admit filter drops the Allow statements
// it rejects, and that without one left nothing is granted.
func TestEvaluateAdmit(t *testing.T) {
	p := testPrincipal(t, map[string]string{
		"inline/ToLambda": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*",
			"Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`,
		"inline/ToEC2": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*",
			"Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`,
	})
	role := fxPre + "role/app"
	for _, tc := range []struct {
		svc string
		via []string
	}{
		{"lambda.amazonaws.com", []string{"inline/ToLambda"}},
		{"ec2.amazonaws.com", []string{"inline/ToEC2"}},
		{"ecs-tasks.amazonaws.com", nil},
	} {
		t.Run(tc.svc, func(t *testing.T) {
			ok, via, _ := allowedIf(p, "iam:PassRole", role, func(st *statement) bool { return st.admitsService(tc.svc) })
			require.Equal(t, tc.via != nil, ok)
			require.Equal(t, tc.via, via)
		})
	}
}
