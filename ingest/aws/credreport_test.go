package aws

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
)

func TestCredentialReport(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "credential-report.csv"))
	require.NoError(t, err)
	defer f.Close()
	now := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	b, err := ParseCredentialReport("credential-report.csv", f, Options{Now: now})
	require.NoError(t, err)
	require.Equal(t, "aws:111122223333:credential-report", b.Source)

	var creds []string
	for _, n := range b.Nodes() {
		if n.Kind == graph.KindCredential {
			creds = append(creds, n.ID)
		}
	}
	require.Equal(t, []string{
		fxPre + "root#access_key_1",
		fxPre + "user/alice#access_key_1",
		fxPre + "user/alice#access_key_2",
		fxPre + "user/alice#password",
		fxPre + "user/bob#password",
		fxPre + "user/carol#access_key_1",
		fxPre + "user/carol#cert_1",
	}, creds)

	for _, tc := range []struct {
		id, owner, subkind string
		active             bool
		props              map[string]string
	}{
		{
			id: fxPre + "root#access_key_1", owner: fxPre + "root", subkind: SubkindAccessKey, active: true,
			props: map[string]string{"active": "true", "last_rotated": "2019-03-05T10:00:00Z", "age_days": "1944",
				"last_used_date": "2024-04-30T22:15:00+00:00", "last_used_service": "s3", "mfa_active": "true"},
		},
		{
			id: fxPre + "user/alice#access_key_1", owner: fxPre + "user/alice", subkind: SubkindAccessKey, active: true,
			props: map[string]string{"active": "true", "age_days": "167", "last_used_service": "sts",
				"last_used_region": "eu-west-1"},
		},
		{
			// Deactivated but still present: owned, authenticates nothing.
			id: fxPre + "user/alice#access_key_2", owner: fxPre + "user/alice", subkind: SubkindAccessKey, active: false,
			props: map[string]string{"active": "false", "age_days": "545", "last_used_service": "ec2"},
		},
		{
			id: fxPre + "user/bob#password", owner: fxPre + "user/bob", subkind: SubkindPassword, active: true,
			props: map[string]string{"active": "true", "mfa_active": "false", "age_days": "545"},
		},
		{
			// Never used: no last-use props.
			id: fxPre + "user/carol#access_key_1", owner: fxPre + "user/carol", subkind: SubkindAccessKey, active: true,
			props: map[string]string{"active": "true", "age_days": "545"},
		},
		{
			id: fxPre + "user/carol#cert_1", owner: fxPre + "user/carol", subkind: SubkindSigningKey, active: true,
			props: map[string]string{"age_days": "516"},
		},
	} {
		t.Run(tc.id, func(t *testing.T) {
			n, ok := b.Node(tc.id)
			require.True(t, ok)
			require.Equal(t, tc.subkind, n.Subkind)
			for k, v := range tc.props {
				require.Equal(t, v, n.Props[k], k)
			}
			edge(t, b, tc.owner, graph.EdgeOwns, tc.id)
			if tc.active {
				edge(t, b, tc.id, graph.EdgeAuthenticates, tc.owner)
			} else {
				noEdge(t, b, tc.id, graph.EdgeAuthenticates, tc.owner)
			}
		})
	}
	_, ok := b.Node(fxPre + "user/carol#access_key_1")
	require.True(t, ok)
	n, _ := b.Node(fxPre + "user/carol#access_key_1")
	require.NotContains(t, n.Props, "last_used_date")

	// Users are stubs: the GAAD source owns them.
	for _, id := range []string{fxPre + "root", fxPre + "user/alice", fxPre + "user/bob", fxPre + "user/carol"} {
		n, ok := b.Node(id)
		require.True(t, ok, id)
		require.Equal(t, "true", n.Props[graph.PropStub], id)
		require.Equal(t, graph.KindAccount, n.Kind)
	}
	root, _ := b.Node(fxPre + "root")
	require.Equal(t, SubkindAccount, root.Subkind)
}

func TestCredentialReportJoinsGAAD(t *testing.T) {
	// The report's user IDs are the GAAD user IDs, so the two sources meet.
	g := parseFile(t, filepath.Join("testdata", "semantics.json"), Options{})
	f, err := os.Open(filepath.Join("testdata", "credential-report.csv"))
	require.NoError(t, err)
	defer f.Close()
	c, err := ParseCredentialReport("credential-report.csv", f, Options{})
	require.NoError(t, err)
	for _, n := range c.Nodes() {
		if n.Props[graph.PropStub] == "true" {
			_, ok := g.Node(n.ID)
			require.True(t, ok, n.ID)
		}
	}
}
