package domain_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/domain"
	"github.com/pkeyarena/pkeyarena/internal/arenatest"
)

// Misuse of tokens that the register alone cannot see panics, names the domains, and changes
// nothing: the thread keeps its access, and once the tokens are exited in order, the arena
// closes (no pin or open left behind). Both modes.
func TestMisusePanicsAndKeepsState(t *testing.T) {
	if !slices.Contains([]string{"amd64", "arm64", "ppc64le", "ppc64"}, runtime.GOARCH) {
		t.Skipf("tokens are told apart per goroutine only on amd64, arm64 and ppc64, not %s",
			runtime.GOARCH)
	}
	t.Run("same domain nested, outer exited first", func(t *testing.T) {
		a := newArena(t, "nested")
		b := alloc(t, a, 32)
		d := newDomain(t, domain.ReadWrite(a))
		outer := d.Enter()
		inner := d.Enter()
		mustPanic(t, "outer Exit before inner", "unbalanced or interleaved", outer.Exit)
		if got := probe(b); got != (access{true, true}) {
			t.Errorf("after the refused Exit the thread has %+v, want read and write", got)
		}
		inner.Exit()
		outer.Exit()
		if got := probe(b); got != (access{}) {
			t.Errorf("after both Exits: %+v", got)
		}
		if err := a.Close(); err != nil {
			t.Errorf("Close after the tokens were exited in order: %v", err)
		}
	})
	t.Run("nested deeper than the goroutine's entry keeps frames", func(t *testing.T) {
		a, b := newArena(t, "deep-a"), newArena(t, "deep-b")
		ba, bb := alloc(t, a, 32), alloc(t, b, 32)
		A, B := newDomain(t, domain.ReadWrite(a)), newDomain(t, domain.ReadOnly(b))
		perThread := A.Mode() == arena.PKU
		want := func(i int) (access, access) { // inside the i-th domain entered, from 0
			switch {
			case !perThread: // process-wide: the union of every domain inside
				return access{true, true}, access{read: i > 0}
			case i%2 == 0:
				return access{true, true}, access{}
			}
			return access{}, access{read: true}
		}
		const depth = 8
		var toks []domain.Token
		for i := range depth {
			d := A
			if i%2 == 1 {
				d = B
			}
			toks = append(toks, d.Enter())
			if wa, wb := want(i); probe(ba) != wa || probe(bb) != wb {
				t.Errorf("entered %d deep: a %+v b %+v, want %+v %+v", i+1, probe(ba),
					probe(bb), wa, wb)
			}
		}
		mustPanic(t, "Exit of a token 3 levels down", "not the innermost", toks[depth-4].Exit)
		for i := depth - 1; i >= 0; i-- {
			toks[i].Exit()
			if i == 0 {
				break
			}
			if wa, wb := want(i - 1); probe(ba) != wa || probe(bb) != wb {
				t.Errorf("back at depth %d: a %+v b %+v, want %+v %+v", i, probe(ba), probe(bb),
					wa, wb)
			}
		}
		if got := probe(ba); got != (access{}) {
			t.Errorf("after every Exit: a %+v", got)
		}
		mustPanic(t, "a deep token exited twice", "unbalanced or interleaved", toks[depth-1].Exit)
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("token exited on another goroutine inside the same domain", func(t *testing.T) {
		a := newArena(t, "shared-domain")
		b := alloc(t, a, 32)
		d := newDomain(t, domain.ReadOnly(a))
		mine := d.Enter()
		entered, stolen, done := make(chan domain.Token), make(chan struct{}), make(chan access)
		go func() {
			theirs := d.Enter()
			entered <- theirs
			<-stolen
			got := probe(b) // still inside after the other goroutine's attempt
			theirs.Exit()
			done <- got
		}()
		theirs := <-entered
		mustPanic(t, "Exit of another goroutine's token", "not live on this goroutine", theirs.Exit)
		close(stolen)
		if got := <-done; got != (access{read: true}) {
			t.Errorf("the other goroutine, inside, has %+v after the refused Exit; want read", got)
		}
		if got := probe(b); got != (access{read: true}) {
			t.Errorf("this goroutine has %+v; want read", got)
		}
		mine.Exit()
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("token of a goroutine that ended inside", func(t *testing.T) {
		a, err := arena.NewArena(arena.Name("ended-inside"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // the ended goroutine's pin (or open) is never given back
			if err := a.Close(); !errors.Is(err, arena.ErrBusy) {
				t.Errorf("Close of an arena a goroutine ended inside: %v, want ErrBusy", err)
			}
		})
		b := alloc(t, a, 32)
		d := newDomain(t, domain.ReadWrite(a))
		entered := make(chan domain.Token)
		go func() {
			entered <- d.Enter()
			runtime.Goexit() // locked: the thread ends with the goroutine, its entry stays
		}()
		theirs := <-entered
		mustPanic(t, "Exit of a token whose goroutine ended inside", "not live on this goroutine",
			theirs.Exit)
		if a.Mode() == arena.PKU {
			if got := probe(b); got != (access{}) {
				t.Errorf("this thread has %+v after the refused Exit; want nothing", got)
			}
			tok := d.Enter() // this thread's own entry is untouched
			tok.Exit()
		}
	})
	t.Run("grant-less domain exited twice", func(t *testing.T) {
		d := newDomain(t)
		tok := d.Enter()
		tok.Exit()
		mustPanic(t, "second Exit", "unbalanced or interleaved", tok.Exit)
	})
	t.Run("second Exit while another goroutine is inside", func(t *testing.T) {
		a := newArena(t, "twice")
		b := alloc(t, a, 32)
		d := newDomain(t, domain.ReadWrite(a))
		in, out, done := make(chan struct{}), make(chan struct{}), make(chan access)
		go func() {
			tok := d.Enter()
			close(in)
			<-out
			got := probe(b)
			tok.Exit()
			done <- got
		}()
		<-in
		tok := d.Enter()
		tok.Exit()
		mustPanic(t, "second Exit", "unbalanced or interleaved", tok.Exit)
		close(out)
		if got := <-done; got != (access{true, true}) {
			t.Errorf("the goroutine inside has %+v after another's second Exit; want read and write", got)
		}
		if a.Mode() == arena.Mprotect {
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
}

// EnterContext with a context that is already done enters nothing and says why.
func TestEnterContextDone(t *testing.T) {
	a := newArena(t, "ctx")
	b := alloc(t, a, 32)
	d := newDomain(t, domain.ReadWrite(a))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.EnterContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("EnterContext with a cancelled context: %v, want context.Canceled", err)
	}
	if got := probe(b); got != (access{}) {
		t.Errorf("after the refused EnterContext the thread has %+v", got)
	}
	tok, err := d.EnterContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := probe(b); got != (access{true, true}) {
		t.Errorf("inside EnterContext's domain: %+v", got)
	}
	tok.Exit()
}

// DoContext and DoSecretContext return Enter's failure instead of panicking, without running fn.
func TestDoContextReturnsEnterErrors(t *testing.T) {
	a := arenatest.NewArena(t, arena.Name("closing"))
	d := newDomain(t, domain.ReadWrite(a))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for name, do := range map[string]func(context.Context, func() error) error{
		"DoContext": d.DoContext, "DoSecretContext": d.DoSecretContext,
	} {
		ran := false
		err := do(context.Background(), func() error { ran = true; return nil })
		if !errors.Is(err, arena.ErrClosed) || ran {
			t.Errorf("%s over a closed arena: %v, fn ran %v; want ErrClosed and fn not run",
				name, err, ran)
		}
	}
}
