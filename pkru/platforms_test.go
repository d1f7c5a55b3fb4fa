package pkru

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/platforms.md from the Platforms table")

// The running build's row claims per-thread isolation exactly when this build has a register
// layer: the matrix cannot promise what the code does not do.
func TestThisPlatform(t *testing.T) {
	p := ThisPlatform()
	if p.PerThread != registerLayer {
		t.Errorf("the matrix says per-thread isolation %v for %s/%s, the build's register layer says %v", p.PerThread, p.GOOS, p.GOARCH, registerLayer)
	}
	if !p.PerThread && Supported() == nil {
		t.Errorf("Supported() is nil on %s/%s, which the matrix lists without keys", p.GOOS, p.GOARCH)
	}
}

const (
	docStart = "<!-- platforms:start -->"
	docEnd   = "<!-- platforms:end -->"
)

// docs/platforms.md holds exactly the table PlatformsMarkdown renders (go test ./pkru -run
// PlatformsDoc -update rewrites it).
func TestPlatformsDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "platforms.md")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && os.Getenv("PKEYARENA_REQUIRE_PKU") == "1" {
		t.Skip("the guest has no docs/ folder; checked on the host")
	}
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, docStart), strings.Index(s, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %s ... %s markers", path, docStart, docEnd)
	}
	want := docStart + "\n" + PlatformsMarkdown() + docEnd
	if s[i:j+len(docEnd)] == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i]+want+s[j+len(docEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with pkru.Platforms; run: go test ./pkru -run PlatformsDoc -update", path)
}
