package idp

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/embedded"
)

// TestGraphSync writes the provider's state into the embedded graph store,
// then syncs again after RevokeAll: alice's session, refresh token and
// grant nodes are swept while her identity and account stay.
func TestGraphSync(t *testing.T) {
	o := newTestOP(t)
	ctx := context.Background()
	loginTokens(t, o, newBrowser(t), "web", webSecret, "openid email offline_access")

	b := mustGraphBatch(t, o.p)
	require.NoError(t, b.Validate())
	acct := o.p.accountID("u-alice")
	kinds := map[string]int{}
	for _, n := range b.Nodes() {
		kinds[n.Kind.String()+"/"+n.Subkind]++
	}
	require.Equal(t, map[string]int{
		"identity/human": 3, "account/idp-user": 3, // alice, bob, carol
		"identity/agent": 1, "identity/service": 1, // client-credentials clients
		"application/oidc-client": 4,
		"credential/idp-session":  1, "credential/idp-refresh-token": 1,
		"grant/oidc-consent": 1,
	}, kinds)
	g, ok := b.Node(o.p.source + ":" + grantID("u-alice", "web"))
	require.True(t, ok)
	require.Equal(t, "email offline_access openid", g.Props["scopes"])
	e, ok := b.Edge(o.p.clientNodeID("web"), graph.EdgeDelegates, g.ID)
	require.True(t, ok)
	require.Equal(t, []string{"email", "offline_access", "openid"}, e.Actions)
	_, ok = b.Edge(g.ID, graph.EdgeOnBehalfOf, acct)
	require.True(t, ok, "the consent is linked to alice without passing her power on")
	_, ok = b.Edge(g.ID, graph.EdgeDelegates, acct)
	require.False(t, ok)

	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	require.NoError(t, err)
	defer st.Close()
	_, err = o.p.SyncGraph(ctx, st)
	require.NoError(t, err)
	countCreds := func() int {
		n := 0
		require.NoError(t, st.Scan(ctx, func(n2 *graph.Node) error {
			if (n2.Kind == graph.KindCredential || n2.Kind == graph.KindGrant) && n2.Source == o.p.Source() {
				n++
			}
			return nil
		}, func(*graph.Edge) error { return nil }))
		return n
	}
	require.Equal(t, 3, countCreds())

	_, err = o.p.RevokeAll(ctx, "u-alice")
	require.NoError(t, err)
	_, err = o.p.SyncGraph(ctx, st)
	require.NoError(t, err)
	require.Equal(t, 0, countCreds())
	n, err := st.Node(ctx, acct)
	require.NoError(t, err)
	require.Equal(t, "alice", n.Name)
}

// TestCSRF: login and consent forms without the browser's CSRF binding are
// refused.
func TestCSRF(t *testing.T) {
	o := newTestOP(t)
	b := newBrowser(t)
	_, ch := pkce()
	p := b.follow(b.get(o.authURL("web", url.Values{"code_challenge": {ch}, "code_challenge_method": {"S256"}})), o.rp.URL)
	f := hiddenFields(p.body)
	f.Set("username", "alice")
	f.Set("password", alicePassword)
	attacker := newBrowser(t) // no csrf cookie
	require.Equal(t, 403, attacker.post(actionOf(o.issuer, p.body), f).status)
	f.Set("csrf", "00"+f.Get("csrf")[2:])
	require.Equal(t, 403, b.post(actionOf(o.issuer, p.body), f).status)
}
