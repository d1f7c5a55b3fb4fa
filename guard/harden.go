package guard

// HardenOption adds to what Harden does.
type HardenOption interface{ apply(*hardenConfig) }

type hardenConfig struct{ noCore bool }

type hardenFunc func(*hardenConfig)

func (f hardenFunc) apply(c *hardenConfig) { f(c) }

// NoCoreDumps also sets RLIMIT_CORE to zero, so that no core file is written even by a process
// that becomes dumpable again (after execve of a setuid-free program, say).
func NoCoreDumps() HardenOption { return hardenFunc(func(c *hardenConfig) { c.noCore = true }) }

// Harden makes the process non-dumpable (prctl PR_SET_DUMPABLE 0): no core dumps, and other
// processes of the same user cannot ptrace it or read /proc/<pid>/mem (see the Limitations in
// package arena for what those read). Root (CAP_SYS_PTRACE) still can. It is opt-in: debuggers
// and profilers that attach to the process stop working. Call it early, before secrets exist.
func Harden(opts ...HardenOption) error {
	var c hardenConfig
	for _, o := range opts {
		o.apply(&c)
	}
	return harden(c)
}
