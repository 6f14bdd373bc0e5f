package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const good = `store:
  dir: /tmp/ag
sources:
  - name: prod-aws
    kind: aws
    schedule: "@every 1h"
    paths: [gaad.json]
  - name: okta
    kind: okta
    schedule: "0 */4 * * *"
    url: https://example.okta.com
    token: {env: OKTA_API_TOKEN}
`

func TestParseGood(t *testing.T) {
	c, err := Parse("ag.yaml", []byte(good))
	require.NoError(t, err)
	require.Len(t, c.Sources, 2)
	require.Equal(t, 4, c.Sources[0].Line())
	require.Equal(t, 8, c.Sources[1].Line())
	require.True(t, c.Sources[1].Live())
	require.Equal(t, "env:OKTA_API_TOKEN", c.Sources[1].Token.String())
	require.Equal(t, 2, c.Workers)
	t.Setenv("OKTA_API_TOKEN", "s3cret")
	v, err := c.Sources[1].Token.Value()
	require.NoError(t, err)
	require.Equal(t, "s3cret", v)
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"bad cron", "sources:\n  - name: a\n    kind: aws\n    paths: [x]\n    schedule: \"every hour\"\n",
			`ag.yaml:2: sources[0] (a): schedule "every hour": expected exactly 5 fields`},
		{"unknown kind", "sources:\n  - name: a\n    kind: oktaa\n    paths: [x]\n",
			`ag.yaml:2: sources[0] (a): kind "oktaa" is not one of ad, aws, credential-report, entra, github, google, hr,`},
		{"unknown field", "sources:\n  - name: a\n    kind: aws\n    pathz: [x]\n",
			`ag.yaml:4: unknown field "pathz" in source`},
		{"duplicate name", "sources:\n  - name: a\n    kind: aws\n    paths: [x]\n  - name: a\n    kind: k8s\n    paths: [y]\n",
			`ag.yaml:5: sources[1] (a): name "a" is also used at line 2`},
		{"live without token", "sources:\n  - name: o\n    kind: okta\n    url: https://x.okta.com\n",
			"ag.yaml:2: sources[0] (o): a live source needs token"},
		{"plain http", "sources:\n  - name: o\n    kind: okta\n    url: http://x.okta.com\n    token: {env: T}\n",
			"live APIs are reached over https"},
		{"export-only kind live", "sources:\n  - name: a\n    kind: aws\n    url: https://x\n    token: {env: T}\n",
			"kind aws reads exports only"},
		{"broken yaml", "sources: [\n", "ag.yaml: line 1: did not find expected node content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("ag.yaml", []byte(tc.doc))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret{File: "/run/secrets/okta"}
	require.Equal(t, "file:/run/secrets/okta", s.String())
	_, err := Secret{Env: "ACCESSGRAPH_TEST_UNSET_VAR"}.Value()
	require.ErrorContains(t, err, "ACCESSGRAPH_TEST_UNSET_VAR is empty or unset")
}
