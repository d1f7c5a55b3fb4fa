package domain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/internal/seam"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// ErrMixedModes is returned by New when its arenas disagree about the mode (which happens only
// when PKEYARENA_FORCE_FALLBACK changes between arenas; it is read once per process).
var ErrMixedModes = errors.New("arenas of one domain must share a mode")

// ErrInvalidGrant is returned by New for a nil, zero (not made by NewArena) or closed arena, or
// an access other than ReadOnly and ReadWrite.
var ErrInvalidGrant = errors.New("invalid grant")

// ErrTooManyArenas is returned by New for a PKU-mode domain over more arenas than the CPU has
// protection keys for (pkru.AllocatableKeys): inside a domain each of its arenas holds a key of its
// own, so such a domain could never be entered. Split it into domains entered one after the
// other (nested domains keep their keys too).
var ErrTooManyArenas = errors.New("more arenas than protection keys")

// Grant gives a domain access to one arena.
type Grant struct {
	Arena  *arena.Arena
	Access pkru.Access // pkru.ReadOnly or pkru.ReadWrite
}

// ReadOnly grants read access to a.
func ReadOnly(a *arena.Arena) Grant { return Grant{a, pkru.ReadOnly} }

// ReadWrite grants read and write access to a.
func ReadWrite(a *arena.Arena) Grant { return Grant{a, pkru.ReadWrite} }

// Domain is a set of grants that Enter switches a thread to. A Domain is immutable and safe to
// enter from many goroutines at once.
type Domain struct {
	name   string
	grants []Grant      // one per arena, the widest access when an arena is granted twice
	plumb  []seam.Arena // the grants' arenas as internal/seam gives them, in the same order
	mode   arena.Mode
	mask   pkru.Rights // register bits of fixed keys: dedicated keys, or tests' synthetic ones
	rights pkru.Rights // their values while inside
	fixed  bool        // PKU mode, every arena with a dedicated key: Enter pins nothing
}

// New creates a domain. With no grants it is a domain that denies every arena: useful to run
// code that must not reach any secret. It fails with ErrInvalidGrant, ErrMixedModes or
// ErrTooManyArenas.
func New(grants ...Grant) (*Domain, error) {
	d := &Domain{}
	byArena := map[*arena.Arena]int{}
	var names []string
	for _, g := range grants {
		if g.Arena == nil || g.Arena.Mode() == 0 {
			return nil, fmt.Errorf("domain: grant of no arena made by NewArena: %w",
				ErrInvalidGrant)
		}
		if g.Access != pkru.ReadOnly && g.Access != pkru.ReadWrite {
			return nil, fmt.Errorf("domain: grant %v: %w", g.Access, ErrInvalidGrant)
		}
		if g.Arena.Closed() {
			return nil, fmt.Errorf("domain: arena %q is closed: %w",
				g.Arena.Name(), ErrInvalidGrant)
		}
		if d.mode == 0 {
			d.mode = g.Arena.Mode()
		} else if d.mode != g.Arena.Mode() {
			return nil, fmt.Errorf("domain: %w", ErrMixedModes)
		}
		if i, ok := byArena[g.Arena]; ok {
			d.grants[i].Access = max(d.grants[i].Access, g.Access)
			continue
		}
		byArena[g.Arena] = len(d.grants)
		d.grants = append(d.grants, g)
	}
	if d.mode == 0 { // no grants: the process's mode
		d.mode = arena.Mprotect
		if pkru.Supported() == nil {
			d.mode = arena.PKU
		}
	}
	if d.mode == arena.PKU && len(d.grants) > pkru.AllocatableKeys {
		return nil, fmt.Errorf("domain: %d arenas, and at most %d can hold a key at once: %w",
			len(d.grants), pkru.AllocatableKeys, ErrTooManyArenas)
	}
	d.fixed = d.mode == arena.PKU
	for _, g := range d.grants {
		p := seam.Of(g.Arena)
		d.plumb = append(d.plumb, p)
		names = append(names, fmt.Sprintf("%s:%v", g.Arena.Name(), g.Access))
		if k, ok := p.FixedKey(); ok && d.fixed {
			d.mask |= pkru.Mask(k)
			d.rights |= pkru.AllowAll.With(k, g.Access)
		} else {
			d.fixed, d.mask, d.rights = false, 0, 0
		}
	}
	d.name = "domain{" + strings.Join(names, ",") + "}"
	return d, nil
}

// Mode reports whether the domain isolates per thread (arena.PKU) or process-wide
// (arena.Mprotect).
func (d *Domain) Mode() arena.Mode { return d.mode }

// String names the domain by its grants: "domain{keys:rw,input:ro}".
func (d *Domain) String() string { return d.name }

// Token is what Enter returns and Exit consumes. Its zero value is not a valid token.
//
// (Four words at most, so that the compiler keeps a Token in registers rather than copying it
// through memory between Enter, the caller and Exit.)
type Token struct {
	d   *Domain
	f   *frame     // the register at Enter (nesting.go); Mprotect mode: nil, or untracked's flag
	ent *nestEntry // the goroutine's nesting entry (nesting.go); nil: untracked
	ids uint64     // this token's number in it (low half), the one it nests in (high half)
}

// keyTable holds, per key, its register bits and their value for each access, so that Enter looks
// them up rather than computing them (an arena's key can change between two Enters: key
// virtualisation).
var keyTable = func() (t [pkru.NumKeys]struct {
	mask  pkru.Rights
	grant [pkru.ReadWrite + 1]pkru.Rights
}) {
	for k := range t {
		t[k].mask = pkru.Mask(pkru.Key(k))
		for acc := pkru.NoAccess; acc <= pkru.ReadWrite; acc++ {
			t[k].grant[acc] = pkru.AllowAll.With(pkru.Key(k), acc)
		}
	}
	return t
}()

// Enter switches the calling goroutine's thread to the domain's rights and locks the goroutine to
// the thread until Exit. Every Enter needs exactly one Exit of its token, on the same goroutine,
// in last-in first-out order.
//
// In PKU mode Enter pins the protection key of each arena it grants: an arena that
// has no key gets one, and while the domain is inside, no arena it grants loses its key. When
// every key is pinned by threads inside other domains, Enter waits up to arena.KeyWait for one
// to be unpinned. Enter panics when that wait fails (TryEnter and EnterContext return an error
// instead) and
// when one of the domain's arenas was closed (a programming error).
func (d *Domain) Enter() Token {
	if d.fixed { // every arena has a dedicated key: nothing to pin, the rights are known
		runtime.LockOSThread()
		for i := range d.grants {
			if a := d.plumb[i]; !a.ReadyToEnter() { // closed, or frees to wipe (Open does)
				if err := a.Open(d.grants[i].Access); err != nil {
					runtime.UnlockOSThread()
					panic(fmt.Sprintf("%v: Enter: %v", d, err))
				}
			}
		}
		return d.write(d.mask, d.rights)
	}
	tok, err := d.enter(arena.KeyWait, nil)
	if err != nil {
		panic(err.Error())
	}
	return tok
}

// TryEnter is Enter that returns an error instead of waiting for, or panicking on, a key: an error
// wrapping arena.ErrKeysPinned when every protection key is pinned, arena.ErrClosed when one of
// the arenas was closed. On error the thread is as it was.
func (d *Domain) TryEnter() (Token, error) { return d.enter(0, nil) }

// EnterContext is Enter that, when every protection key is pinned, waits for one until ctx is
// done instead of for arena.KeyWait, and returns an error instead of panicking: one wrapping
// arena.ErrKeysPinned and ctx's error when the wait ended, arena.ErrClosed when one of the
// arenas was closed. On error the thread is as it was.
func (d *Domain) EnterContext(ctx context.Context) (Token, error) {
	if err := ctx.Err(); err != nil {
		return Token{}, fmt.Errorf("%v: Enter: %w", d, err)
	}
	wait := time.Duration(math.MaxInt64)
	if deadline, ok := ctx.Deadline(); ok {
		wait = max(time.Until(deadline), 1)
	}
	tok, err := d.enter(wait, ctx.Done())
	if err == nil || !errors.Is(err, arena.ErrKeysPinned) {
		return tok, err
	}
	// The wait can end at the deadline a moment before ctx's own timer marks it done.
	cause := ctx.Err()
	if deadline, ok := ctx.Deadline(); ok && cause == nil && !time.Now().Before(deadline) {
		cause = context.DeadlineExceeded
	}
	if cause != nil {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	return tok, err
}

func (d *Domain) enter(wait time.Duration, done <-chan struct{}) (Token, error) {
	runtime.LockOSThread()
	if d.mode == arena.Mprotect {
		if err := d.enterMprotect(); err != nil {
			runtime.UnlockOSThread()
			return Token{}, err
		}
		return push(d, false), nil
	}
	mine, rights := d.mask, d.rights
	for i := range d.grants {
		k, err := d.plumb[i].PinKey(wait, done)
		if err != nil {
			for j := i - 1; j >= 0; j-- {
				d.plumb[j].UnpinKey()
			}
			runtime.UnlockOSThread()
			return Token{}, fmt.Errorf("%v: Enter: %w", d, err)
		}
		mine |= keyTable[k].mask
		rights |= keyTable[k].grant[d.grants[i].Access]
	}
	return d.write(mine, rights), nil
}

// write switches the register to rights on the bits of keys mine, denies every other key of the
// library, and leaves other keys' bits alone.
func (d *Domain) write(mine, rights pkru.Rights) Token {
	lib, deny := seam.LibraryKeys()
	mask := lib | mine // every bit this Enter decides
	saved := readRights()
	wrote := saved&^mask | deny&^mine | rights
	writeRights(wrote)
	t := push(d, true)
	*t.f = frame{saved: saved, wrote: wrote, mask: mask, mine: mine}
	return t
}

// Exit restores the library's keys to the rights the thread had before the matching Enter (the
// bits of keys other code owns stay as they are at Exit), unpins the domain's keys and unlocks
// the goroutine. It panics when the register does not hold what that Enter wrote (Exit
// out of order, on another goroutine, or twice) or the token is zero.
//
// A token that Do's misuse cleanup took off the goroutine's live tokens (see Do) only gives back
// its pins or opens.
//
// A key whose arena closed while the domain was inside is no longer the library's at Exit, so its
// bits stay as they are too. When the bits of a key that is not the library's changed inside (a
// stray register write, other code's own use of a key), the library never binds that key: an
// arena tagged with it would be readable on this thread (arena.KeyStats.Quarantined).
func (t Token) Exit() {
	if t.d == nil {
		panic("domain: Exit of a zero Token: Enter was not called, or its Token was lost")
	}
	if !isTop(t.ent, uint32(t.ids)) {
		if isDropped(t.ent, uint32(t.ids)) {
			t.exitDropped()
			return
		}
		badExit(t.d, t.ent, uint32(t.ids))
	}
	if t.ent == nil && heapOf(t.f).exited.Load() { // untracked: the frame is the token's own
		panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: this token was exited already", t.d))
	}
	if t.d.mode == arena.Mprotect {
		if t.ent == nil && !heapOf(t.f).exited.CompareAndSwap(false, true) { // two copies at once
			panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: this token was exited already",
				t.d))
		}
		t.d.exitMprotect()
		if pop(t.ent, uint32(t.ids>>32)) {
			releaseOverflow(t.ent)
		}
		runtime.UnlockOSThread()
		return
	}
	f := t.f
	// The bits Exit compares and restores: the domain's keys, and the other keys the library
	// held at Enter and still holds. A key it gave back inside (an arena closed meanwhile) may
	// be other code's by now, granted on this thread: when its bits changed inside they are that
	// code's business, and reported (taintGone), as are other keys that changed; a key of the
	// domain's own whose bits did not change is still the domain's grant, and revoked.
	lib, deny := seam.LibraryKeys()
	cur := readRights()
	mask := f.mask & (lib | f.mine)
	if changed := (cur ^ f.wrote) &^ lib; changed != 0 {
		var gone pkru.Rights
		lib, deny, gone = taintGone(changed)
		mask = f.mask & (lib | f.mine&^gone)
	}
	fresh := lib &^ f.mask // keys the library took while inside: denied outside, as at any Enter
	if cur&mask != f.wrote&mask {
		panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: the thread's rights are %v, this "+
			"domain's Enter wrote %v (an inner domain was not exited, this token was exited "+
			"already, or Exit runs on another goroutine)", t.d, cur, f.wrote))
	}
	if t.ent == nil && !heapOf(f).exited.CompareAndSwap(false, true) { // two copies at once
		panic(fmt.Sprintf("%v: unbalanced or interleaved Exit: this token was exited already", t.d))
	}
	// Only the library's bits go back to what they were: a key of other code that was granted
	// or revoked inside keeps its rights as they are now.
	writeRights(cur&^(mask|fresh) | f.saved&mask | deny&fresh)
	if !t.d.fixed {
		for i := range t.d.grants {
			t.d.plumb[i].UnpinKey() // after the register no longer grants the keys
		}
	}
	if pop(t.ent, uint32(t.ids>>32)) {
		releaseOverflow(t.ent)
	}
	runtime.UnlockOSThread()
}

// taintGone is Exit's report of the keys that are not the library's at Exit and whose bits, in
// changed, differ from what Enter wrote: keys the library gave back while inside, or that were
// never its own. Exit leaves them as they are, so the thread may grant them from now on, and the
// library must never bind them (arena/quarantine.go). It returns every bit of those keys (gone),
// and the library's keys read again after the report: a key the library took back meanwhile is
// checked and restored as its own.
func taintGone(changed pkru.Rights) (lib, deny, gone pkru.Rights) {
	for k := range keyTable {
		if changed&keyTable[k].mask != 0 {
			gone |= keyTable[k].mask
		}
	}
	seam.Taint(gone)
	lib, deny = seam.LibraryKeys()
	return lib, deny, gone
}

// exitDropped is Exit of a token that Do's misuse cleanup dropped (undo): Do has already given
// the thread back the rights from before Do, so only the token's pins or opens go back.
func (t Token) exitDropped() {
	if t.d.mode == arena.Mprotect {
		t.d.exitMprotect()
	} else if !t.d.fixed {
		for i := range t.d.grants {
			t.d.plumb[i].UnpinKey()
		}
	}
	popDropped(t.ent, t)
	runtime.UnlockOSThread()
}

// Do runs fn inside the domain and always exits, also when fn panics (the panic goes on after
// Exit) or calls runtime.Goexit. When the Exit finds that fn misused the domain (it entered a
// domain it did not exit, or rewrote the register), Do panics as Exit does, but first undoes
// what fn left: the thread gets back the rights it had before Do (in PKU mode; outside every
// domain that denies every arena), and Do's own pins or opens are given back. The tokens of the
// domains fn left inside are taken off the goroutine's live tokens: the goroutine's other domains
// exit as usual, and an Exit of such a token, innermost first, gives back that token's pins or
// opens and changes nothing else (a token that is never exited keeps them, as for a goroutine
// that ends inside: Close of its arenas reports ErrBusy, and in Mprotect mode their pages stay
// open). A caller that recovers the panic, as a server does, keeps no access it did not have
// before Do. The goroutine stays locked to its thread. (Where goroutines cannot be told apart,
// see the package doc, Do denies every arena on the thread instead.)
func (d *Domain) Do(fn func() error) error {
	tok := d.Enter()
	defer tok.exitOrDeny()
	return fn()
}

// exitOrDeny is Do's Exit: when Exit panics (its checks do before it changes anything), undo runs
// before the panic goes on.
func (t Token) exitOrDeny() {
	exited := false
	defer func() {
		if !exited {
			t.undo()
		}
	}()
	t.Exit()
	exited = true
}

// undo is Do's cleanup when fn misused the domain: it does what Exit would have done for Do's
// token, whatever fn left on the thread and in the nesting entry, except unlocking. Keys whose
// bits changed and that are not the library's are reported, as Exit does. An untracked token
// cannot drop the tokens fn left inside, which may still restore Do's rights at their Exit, so
// there every library key is denied instead.
func (t Token) undo() {
	if t.d.mode == arena.PKU {
		f := t.f
		cur := readRights()
		lib, deny := seam.LibraryKeys()
		var gone pkru.Rights
		if changed := (cur ^ f.wrote) &^ lib; changed != 0 {
			lib, deny, gone = taintGone(changed)
		}
		if t.ent == nil {
			writeRights(cur&^lib | deny)
		} else {
			mask := f.mask & (lib | f.mine&^gone)
			fresh := lib &^ f.mask
			writeRights(cur&^(mask|fresh) | f.saved&mask | deny&fresh)
		}
		if !t.d.fixed {
			for i := range t.d.grants {
				t.d.plumb[i].UnpinKey() // after the register no longer grants the keys
			}
		}
	} else {
		t.d.exitMprotect()
	}
	drop(t.ent, t)
}

// DoContext is Do that enters with EnterContext: where Do's Enter would panic (every key pinned
// past the wait, an arena closed), it returns EnterContext's error without running fn. For code
// that must not panic on a busy or closing arena, such as a signer inside a server. Its Exit
// denies every arena on misuse, as Do's does.
func (d *Domain) DoContext(ctx context.Context, fn func() error) error {
	tok, err := d.EnterContext(ctx)
	if err != nil {
		return err
	}
	defer tok.exitOrDeny()
	return fn()
}

func (d *Domain) enterMprotect() error {
	for i, g := range d.grants {
		if err := d.plumb[i].Open(g.Access); err != nil {
			for j := i - 1; j >= 0; j-- {
				d.plumb[j].Release(d.grants[j].Access)
			}
			return fmt.Errorf("%v: Enter: %w", d, err)
		}
	}
	return nil
}

func (d *Domain) exitMprotect() {
	for i := len(d.grants) - 1; i >= 0; i-- {
		d.plumb[i].Release(d.grants[i].Access)
	}
}
