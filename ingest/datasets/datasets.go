// Package datasets locates the public exports that tests read in place:
// the folder shared/datasets beside the repository (see its SOURCES.md).
// They are never copied into the repository.
package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared datasets folder (the repository root, found by
// walking up to go.mod from the working directory, then ../shared/datasets).
// When the folder sub inside it is absent it skips t, saying why the test
// needs it.
func Dir(t testing.TB, sub, why string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
	ds := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(filepath.Join(ds, sub)); err != nil {
		t.Skipf("shared datasets not found at %s: %s", ds, why)
	}
	return ds
}
