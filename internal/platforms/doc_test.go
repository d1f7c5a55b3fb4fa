package platforms_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/pkutest"
	"github.com/pkeyarena/pkeyarena/internal/platforms"
)

// docs/platforms.md holds exactly the table the matrix renders.
func TestDocUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "platforms.md")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && pkutest.InVM() {
		t.Skip("the guest has no docs/ folder; checked on the host")
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := platforms.Splice(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if want != string(data) {
		t.Errorf("%s is out of date with internal/platforms; run: go generate ./internal/platforms",
			path)
	}
}
