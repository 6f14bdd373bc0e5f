package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/bench"
	"github.com/accessgraph/accessgraph/graph/embedded"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/synth"
)

type genFlags struct {
	identities int
	seed       int64
}

func (f *genFlags) register(cmd *cobra.Command, defIdentities int) {
	cmd.Flags().IntVar(&f.identities, "identities", defIdentities, "number of identities (people, services, agents)")
	cmd.Flags().Int64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same company")
}

func (g *globals) generate(dir string, f genFlags) (*synth.Manifest, error) {
	start := time.Now()
	last := -1
	m, err := synth.Generate(dir, synth.Options{Identities: f.identities, Seed: f.seed},
		func(done, total int) {
			if pct := done * 100 / max(total, 1); pct/10 != last/10 || done == total {
				last = pct
				g.log.Info("generating", "done", done, "total", total, "percent", pct)
			}
		})
	if err != nil {
		return nil, fmt.Errorf("generate company: %w", err)
	}
	g.log.Info("company generated", "dir", dir, "identities", f.identities,
		"duration", time.Since(start).Round(time.Millisecond))
	return m, nil
}

func newGenCmd(g *globals) *cobra.Command {
	var f genFlags
	var out string
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate a synthetic company's exports (AWS IAM, credential reports, Kubernetes RBAC, HR, Okta, Google Workspace)",
		Long: `Generate a deterministic synthetic company: people in departments, groups, roles with
trust policies, service accounts, AI agents, access keys of varied ages, an Okta org (SSO
apps, group and user assignments, admin roles, agents' OAuth consents), a Google Workspace
(groups, third-party OAuth tokens with their scopes) and known risky patterns (listed in
manifest.json), written in the formats the connectors read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.generate(out, f)
			if err != nil {
				return err
			}
			c := m.Counts
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d AWS accounts, %d clusters, %d planted risks) to %s\n",
				m.Company, len(m.Files.AWSAuthorizationDetails), len(m.Files.K8s), len(m.Planted), out)
			fmt.Fprintf(cmd.OutOrStdout(), "  people %d (%d offboarded), services %d, agents %d, IAM users %d, roles %d\n",
				c.People, c.OffboardedPeople, c.Services, c.Agents, c.IAMUsers, c.IAMRoles)
			if m.Files.Okta != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "  okta %s: users %d (%d orphaned), groups %d, memberships %d, apps %d, direct assignments %d\n",
					m.Files.Okta.Org, c.OktaUsers, c.OktaOrphanUsers, c.OktaGroups, c.OktaMemberships, c.OktaApps, c.OktaDirectAssignments)
			}
			if m.Files.Google != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "  google %s: users %d, groups %d, memberships %d, OAuth tokens %d (%d clients)\n",
					m.Files.Google.Tenant, c.GoogleUsers, c.GoogleGroups, c.GoogleMemberships, c.GoogleTokens, c.GoogleClients)
			}
			return nil
		},
	}
	f.register(cmd, 1000)
	cmd.Flags().StringVarP(&out, "out", "o", "company", "folder to write the exports to")
	return cmd
}

func newDemoCmd(g *globals) *cobra.Command {
	var f genFlags
	var sf serveFlags
	var noServe bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a synthetic company, ingest it into the embedded store and serve GraphQL",
		Long: `Generate a synthetic company with accessgraph's own generator, ingest its exports
through the real connectors into an embedded store, and serve the GraphQL API with
GraphiQL at the root. Nothing else to install or start.

Unless --store is given, the demo uses its own store folder (<default store>/demo),
cleared and rewritten on every run; ACCESSGRAPH_STORE, which names your real
store, is ignored. With --store the synthetic company is synced into that store
beside whatever it holds (a smaller company replaces a larger one).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g.allowShrink = true // the demo replaces its own synthetic sources
			if !noServe {
				// The token and the policy are checked before the long work,
				// as serve checks them: a demo on a non-loopback --addr needs
				// a token like any server of the graph.
				if err := sf.resolveToken(nil); err != nil {
					return err
				}
				if err := sf.loadPolicy(); err != nil {
					return err
				}
				// Bind before clearing, generating and ingesting, which take
				// a while: a busy --addr fails now, not after all that work.
				ln, err := sf.listen()
				if err != nil {
					return err
				}
				defer ln.Close() // serveWith closes it too; this covers failures before it
				sf.ln = ln
			}
			if !cmd.Flags().Changed("store") {
				g.storeDir = filepath.Join(defaultStoreDir(), "demo")
				if err := g.clearDemoStore(cmd.Context()); err != nil {
					return err
				}
			}
			return g.demo(cmd.Context(), cmd.OutOrStdout(), f, sf, noServe)
		},
	}
	f.register(cmd, 2000)
	sf.register(cmd)
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "ingest, print a sample answer and exit")
	return cmd
}

// clearDemoStore removes the demo's own store folder so each demo starts
// empty. It opens the store first, so a demo still serving from the folder
// is reported (the store is locked) rather than pulled from under it.
func (g *globals) clearDemoStore(ctx context.Context) error {
	if g.neo4j.uri != "" {
		return nil // the demo ingests into Neo4j; nothing of ours to clear
	}
	if _, err := os.Stat(g.storeDir); os.IsNotExist(err) {
		return nil
	}
	st, err := embedded.Open(g.storeDir, embedded.Options{Logger: g.log})
	if err != nil {
		return fmt.Errorf("demo store %s: %w", g.storeDir, err)
	}
	if err := ctx.Err(); err != nil {
		_ = st.Close()
		return err
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("demo store %s: close: %w", g.storeDir, err)
	}
	if err := os.RemoveAll(g.storeDir); err != nil {
		return fmt.Errorf("clear demo store %s: %w", g.storeDir, err)
	}
	return nil
}

func (g *globals) demo(ctx context.Context, out io.Writer, f genFlags, sf serveFlags, noServe bool) error {
	dir := filepath.Join(g.storeDir, "exports")
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	m, err := g.generate(dir, f)
	if err != nil {
		return err
	}
	batches, err := parseManifest(dir, m)
	if err != nil {
		return err
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := g.writeBatches(ctx, st, out, batches); err != nil {
		return err
	}
	if noServe {
		snap, err := g.buildSnapshot(ctx, st)
		if err != nil {
			return err
		}
		return printDemoSample(out, snap, m)
	}
	return g.serve(ctx, st, sf, func(addr string) {
		fmt.Fprintf(out, "\naccessgraph demo is up: open http://%s/ and try\n\n%s\n", addr, sampleQuery(m))
	})
}

// parseManifest runs the real connectors over every generated file.
func parseManifest(dir string, m *synth.Manifest) ([]*graph.Batch, error) {
	var levels *aws.ActionLevels
	if p := defaultLevelsPath(); p != "" {
		if lv, err := aws.LoadActionLevels(p); err == nil {
			levels = lv
		}
	}
	return bench.Parse(dir, m, levels)
}

// demoSubject picks a principal worth asking about: the first planted item's
// first ID that the graph has, else the first account.
func demoSubject(m *synth.Manifest) string {
	for _, p := range m.Planted {
		if len(p.IDs) > 0 {
			return p.IDs[0]
		}
	}
	return ""
}

func sampleQuery(m *synth.Manifest) string {
	return fmt.Sprintf(`{
  blastRadius(id: %q, minPrivilege: WRITE, first: 5) {
    totals { resources principals }
    reaches { edges { node { resource { id sensitivity } privilege
      witness { nodes { id } } } } }
  }
}`, demoSubject(m))
}

func printDemoSample(out io.Writer, snap *projection.Snapshot, m *synth.Manifest) error {
	id := demoSubject(m)
	s := snap.Stats()
	fmt.Fprintf(out, "\nprojection: %d nodes, %d edges\n", s.Nodes, s.Edges)
	if id == "" {
		return nil
	}
	r, err := snap.BlastRadius(projection.BlastRadiusQuery{From: id})
	if err != nil {
		return fmt.Errorf("sample blast radius of %s: %w", id, err)
	}
	fmt.Fprintf(out, "blast radius of %s: %d resources (%d admin) through %d principals\n", id,
		r.Totals.Resources, r.Totals.ByPrivilege[graph.PrivAdmin], r.Totals.Principals)
	for i, x := range r.Reaches {
		if i == 5 {
			break
		}
		fmt.Fprintf(out, "  %-6s %-9s %s (%d steps)\n", x.Privilege, x.Resource.Sensitivity, x.Resource.ID,
			x.Witness.Len())
	}
	return nil
}
