package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newRunsCmd(g *globals) *cobra.Command {
	var source string
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List sync runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := g.openExistingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs(ctx, source, limit)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tSOURCE\tSTATUS\tSTARTED\tNODES\tEDGES\tSWEPT\tERROR")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.ID, r.Source, r.Status,
					r.Started.Format(time.RFC3339), r.Stats.NodesUpserted, r.Stats.EdgesUpserted,
					r.Stats.NodesSwept+r.Stats.EdgesSwept, r.Error)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "only runs of this source")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many runs")
	return cmd
}
