package review_test

import (
	"strconv"
	"testing"

	"github.com/accessgraph/accessgraph/ingest/datasets"
)

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// datasetsDir returns the shared datasets folder (repo root +
// /../shared/datasets), skipping the test if it is absent.
func datasetsDir(t *testing.T) string {
	return datasets.Dir(t, "aws", "this test needs the AWS action catalogue")
}
