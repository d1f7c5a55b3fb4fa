package arena

import (
	"fmt"
	"runtime"

	"github.com/pkeyarena/pkeyarena/pkru"
)

// Opening protected bytes for the library's own work (canaries, wipes): to the calling thread
// only in PKU mode, and in Mprotect mode only the pages the work touches, when they hold no live
// object (Limitations in doc.go).

// grantThread gives the calling thread read-write access to key k (pinned by the caller, or
// closed) in PKU mode; revokeThread(saved) undoes it. (A returned closure would cost Free an
// allocation.)
func (a *Arena) grantThread(k pkru.Key) (saved pkru.Rights) {
	runtime.LockOSThread()
	saved = readRights()
	writeRights(saved.With(k, pkru.ReadWrite))
	return saved
}

func revokeThread(saved pkru.Rights) {
	writeRights(saved)
	runtime.UnlockOSThread()
}

// openThread pins the arena's key and grants it to the calling thread (PKU mode); the returned
// func revokes and unpins.
func (a *Arena) openThread() (func(), error) {
	k, err := a.vk.pin(KeyWait, nil)
	if err != nil {
		return nil, err
	}
	saved := a.grantThread(k)
	return func() {
		revokeThread(saved)
		a.vk.unpin()
	}, nil
}

// openSlab makes the pages of the new slab s writable for the caller: a register write in PKU
// mode (the caller holds a pin on key k), an mprotect of the slab's own pages in Mprotect mode
// (protMu held) unless they are writable already. Those pages were free, so they hold no live
// object: no other thread gains access to a secret. It returns the undo.
func (a *Arena) openSlab(s *slab, k pkru.Key) func() {
	switch {
	case a.mode == PKU:
		saved := a.grantThread(k)
		return func() { revokeThread(saved) }
	case a.curProt == protRW:
		return func() {}
	}
	pages := s.r.mem.bytes()[s.off : s.off+s.pages*pageSize]
	mustProtect(pages, protRW)
	return func() { mustProtect(pages, a.curProt) }
}

// mustProtect changes the protection of pages the arena owns. It fails only on broken invariants
// (the range is mapped and page-aligned), so failure panics rather than leave pages open.
func mustProtect(mem []byte, prot int) {
	if err := protect(mem, prot, 0); err != nil {
		panic(fmt.Sprintf("arena: cannot change the protection of its own pages: %v", err))
	}
}

// protectAll sets the protection of every region (Mprotect mode; protMu held).
func (a *Arena) protectAll(prot int) {
	for _, e := range a.regs.Entries() {
		r := e.Value
		mustProtect(r.mem.bytes(), prot)
	}
}
