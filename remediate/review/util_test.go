package review_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// datasetsDir returns the shared datasets folder (repo root +
// /../shared/datasets), skipping the test if it is absent.
func datasetsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test directory")
		dir = parent
	}
	ds := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(filepath.Join(ds, "aws")); err != nil {
		t.Skipf("shared datasets not found at %s: this test needs the AWS action catalogue", ds)
	}
	return ds
}
