package k8s

import (
	"os"
	"testing"
)

func fileOf(t *testing.T, path string) File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return File{Name: path, R: f}
}
