package aws

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

func TestAssumeAction(t *testing.T) {
	for _, tc := range []struct {
		p    principal
		want string
	}{
		{principal{"AWS", "arn:aws:iam::111122223333:user/erin"}, actAssumeRole},
		{principal{"AWS", "111122223333"}, actAssumeRole},
		{principal{"AWS", "*"}, actAssumeRole},
		{principal{"Service", "ec2.amazonaws.com"}, actAssumeRole},
		{principal{"Federated", "arn:aws:iam::111122223333:saml-provider/Okta"}, actAssumeSAML},
		{principal{"Federated", "arn:aws-us-gov:iam::111122223333:saml-provider/ADFS"}, actAssumeSAML},
		{principal{"Federated", "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, actAssumeWebIdentity},
		{principal{"Federated", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"}, actAssumeWebIdentity},
		{principal{"Federated", "cognito-identity.amazonaws.com"}, actAssumeWebIdentity},
		{principal{"Federated", "accounts.google.com"}, actAssumeWebIdentity},
	} {
		t.Run(tc.p.Type+" "+tc.p.ID, func(t *testing.T) {
			require.Equal(t, tc.want, assumeAction(tc.p))
		})
	}
}

// TestFixtureTrustActions checks that a trust statement lets a principal in
// only through the STS action its type uses (testdata/trust-actions.json).
func TestFixtureTrustActions(t *testing.T) {
	b := parseFile(t, filepath.Join("testdata", "trust-actions.json"), Options{})
	const (
		erin   = fxPre + "user/erin"
		dave   = fxPre + "user/dave"
		okta   = "aws:federated:" + fxPre + "saml-provider/Okta"
		eks    = "aws:federated:" + fxPre + "oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
		lambda = "aws:service:lambda.amazonaws.com"
	)
	for _, tc := range []struct {
		role    string
		assumed []string
		why     string
	}{
		{"WrongActions", nil,
			"user with WebIdentity, service with SAML, SAML provider with WebIdentity, OIDC provider with AssumeRole, account root with WebIdentity"},
		{"SAMLForEveryone", nil, `"*" with SAML and NotPrincipal with WebIdentity are AWS principals`},
		{"TagSessionOnly", nil, "sts:TagSession and sts:SetSourceIdentity alone assume nothing"},
		{"MixedSAML", []string{okta}, "of four principal types only the SAML provider uses sts:AssumeRoleWithSAML"},
		{"MixedAll", []string{erin, okta, lambda}, "all four are let in; the Deny of sts:AssumeRoleWithWebIdentity removes only the OIDC provider"},
		{"Wildcards", []string{dave, "aws:federated:accounts.google.com", "aws:federated:cognito-identity.amazonaws.com", "aws:service:ec2.amazonaws.com"},
			"sts:Assume*, sts:*, sts:AssumeRoleWith* and * cover the action; through the account root only dave has sts:AssumeRole himself"},
		{"NotActionSAML", []string{erin}, "NotAction sts:AssumeRoleWithSAML leaves erin's sts:AssumeRole, not the SAML provider's"},
		{"DenyByAction", []string{erin}, "a Deny of sts:AssumeRoleWithSAML does not touch erin; one of sts:* removes dave"},
	} {
		t.Run(tc.role, func(t *testing.T) {
			require.Equal(t, tc.assumed, edgesTo(b, graph.EdgeCanAssume, fxPre+"role/"+tc.role), tc.why)
		})
	}

	t.Run("no open trust without sts:AssumeRole", func(t *testing.T) {
		r, ok := b.Node(fxPre + "role/SAMLForEveryone")
		require.True(t, ok)
		require.Empty(t, r.Props["open_trust"])
		_, ok = b.Node(AnyoneID(fxAcct))
		require.False(t, ok, "no role trusts every AWS principal with sts:AssumeRole")
	})

	t.Run("root candidates keep their identity policy", func(t *testing.T) {
		e := edge(t, b, dave, graph.EdgeCanAssume, fxPre+"role/Wildcards")
		require.Equal(t, []string{"inline/AssumeAny", "trust/Wildcards (account root)"}, e.Via)
		require.Equal(t, []string{fxPre + "role/Wildcards"}, edgesFrom(b, dave, graph.EdgeCanAssume),
			"WrongActions' root statement names only WebIdentity; DenyByAction denies dave")
	})

	t.Run("a denied provider keeps no edge anywhere", func(t *testing.T) {
		require.Empty(t, edgesFrom(b, eks, graph.EdgeCanAssume))
	})
}
