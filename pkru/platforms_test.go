package pkru

import "testing"

// The running build's row claims per-thread isolation exactly when this build has a register
// layer: the matrix cannot promise what the code does not do.
func TestThisPlatform(t *testing.T) {
	p := ThisPlatform()
	if p.PerThread != registerLayer {
		t.Errorf("the matrix says per-thread isolation %v for %s/%s, the build's register layer "+
			"says %v", p.PerThread, p.GOOS, p.GOARCH, registerLayer)
	}
	if !p.PerThread && Supported() == nil {
		t.Errorf("Supported() is nil on %s/%s, which the matrix lists without keys",
			p.GOOS, p.GOARCH)
	}
}

// The matrix is not reachable through the value ThisPlatform returns: changing a copy changes
// no later answer.
func TestThisPlatformIsACopy(t *testing.T) {
	p := ThisPlatform()
	want := p
	p.PerThread, p.Tested = !p.PerThread, "changed"
	if got := ThisPlatform(); got != want {
		t.Errorf("ThisPlatform() = %+v after its copy was changed, want %+v", got, want)
	}
}
