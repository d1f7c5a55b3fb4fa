package guard

import (
	"errors"
	"fmt"

	"github.com/pkeyarena/pkeyarena/internal/fault"
	"github.com/pkeyarena/pkeyarena/internal/regions"
	"github.com/pkeyarena/pkeyarena/pkru"
)

// ErrViolation is wrapped by every *Violation, for errors.Is.
var ErrViolation = errors.New("access to protected memory")

// Access is what kind of access faulted, where it is known.
type Access uint8

const (
	Unknown Access = iota
	Read
	Write
)

func (a Access) String() string { return [...]string{"unknown access", "read", "write"}[a] }

// Where tells which part of a region was hit.
type Where uint8

const (
	Data      Where = iota // the arena's usable pages
	Underflow              // the guard page below the region: an access before its start
	Overflow               // the guard page above the region: an access past its end
)

func (w Where) String() string {
	return [...]string{"data", "guard page below (underflow)", "guard page above (overflow)"}[w]
}

// Violation is a fault on memory of a registered arena region, reported by Catch.
type Violation struct {
	Addr     uintptr // the faulting address
	Arena    string  // the arena that owns it
	Region   Region  // the region it lies in
	Where    Where   // data, or which guard page
	Access   Access  // Write where the thread's rights prove it, else Unknown
	InDomain bool    // the thread's rights granted some access to the arena's key (PKU mode)
	Rights   pkru.Rights
}

func (v *Violation) Error() string {
	s := fmt.Sprintf("%v at %#x in arena %q (%v)", v.Access, v.Addr, v.Arena, v.Where)
	if v.InDomain && v.Where == Data { // guard pages are open to nobody: no domain to blame
		s += ", inside a domain that does not grant this access"
	}
	return ErrViolation.Error() + ": " + s
}

// Is makes errors.Is(err, ErrViolation) true.
func (v *Violation) Is(target error) bool { return target == ErrViolation }

// Catch runs fn with the runtime's panic-on-fault switched on for this goroutine (the previous
// setting is restored). A fault at an address inside a registered region returns a *Violation;
// a fault anywhere else, and any other panic, is re-raised as it was. fn's normal return gives nil.
// A nil fn is a programming error: Catch panics with "guard.Catch: nil function".
func Catch(fn func()) error {
	if fn == nil {
		panic("guard.Catch: nil function")
	}
	var v *Violation
	if fault.Catch(fn, func(addr uintptr) bool { v = classify(addr); return v != nil }) == nil {
		return nil
	}
	return v
}

// classify builds the Violation for a fault at addr, or returns nil when addr is not in a
// registered region.
func classify(addr uintptr) *Violation {
	reg, ok := regions.Lookup(addr)
	if !ok {
		return nil
	}
	v := &Violation{Addr: addr, Arena: reg.Arena, Region: reg}
	switch {
	case addr < reg.DataStart():
		v.Where = Underflow
	case addr >= reg.DataEnd():
		v.Where = Overflow
	}
	if key := reg.CurrentKey(); key > 0 && pkru.Supported() == nil {
		v.Rights = pkru.Read()
		switch v.Rights.Access(pkru.Key(key)) {
		case pkru.ReadOnly:
			v.InDomain = true
			if v.Where == Data {
				v.Access = Write // reads are granted: only a write can fault there
			}
		case pkru.ReadWrite:
			v.InDomain = true
		}
	}
	return v
}
