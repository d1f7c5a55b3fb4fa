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

// Op is the kind of access that faulted, as far as it can be known: the runtime does not say
// whether a fault was a read or a write.
type Op uint8

const (
	OpUnknown Op = iota // a read or a write
	OpWrite             // a write: the thread's rights let it read the page (a read-only grant)
)

func (o Op) String() string {
	switch o {
	case OpUnknown:
		return "unknown access"
	case OpWrite:
		return "write"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Where tells which part of a region was hit.
type Where uint8

const (
	Data      Where = iota // the arena's usable pages
	Underflow              // the guard page below the region: an access before its start
	Overflow               // the guard page above the region: an access past its end
)

func (w Where) String() string {
	switch w {
	case Data:
		return "data"
	case Underflow:
		return "guard page below (underflow)"
	case Overflow:
		return "guard page above (overflow)"
	}
	return fmt.Sprintf("Where(%d)", uint8(w))
}

// Violation is a fault on memory of a registered arena region, reported by Catch.
type Violation struct {
	Addr     uintptr     // the faulting address
	Arena    string      // the arena that owns it
	Region   Region      // the region it lies in
	Where    Where       // data, or which guard page
	Op       Op          // OpWrite where the thread's rights prove it, else OpUnknown
	InDomain bool        // the thread's rights granted some access to the arena's key (PKU mode)
	Rights   pkru.Rights // the thread's rights register as Catch found it (PKU mode, else zero)
}

// The rights (and Op and InDomain, which come from them) are read when Catch recovers the fault,
// after the deferred calls of the frames between: a Catch inside a domain (in Do's fn, in a
// Secret's Use) sees the rights of the fault, while a Catch around Do or Use sees them as Do's
// Exit restored them, outside the domain.

func (v *Violation) Error() string {
	s := fmt.Sprintf("%v at %#x in arena %q (%v)", v.Op, v.Addr, v.Arena, v.Where)
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
	key := reg.CurrentKey()
	v := &Violation{Addr: addr, Arena: reg.Arena, Region: Region{
		Start: reg.Start, End: reg.End, GuardBelow: reg.GuardBelow, GuardAbove: reg.GuardAbove,
		Key: pkru.Key(key),
	}}
	switch {
	case addr < reg.DataStart():
		v.Where = Underflow
	case addr >= reg.DataEnd():
		v.Where = Overflow
	}
	if key > 0 && pkru.Supported() == nil {
		v.Rights = pkru.Read()
		switch v.Rights.Access(pkru.Key(key)) {
		case pkru.ReadOnly:
			v.InDomain = true
			if v.Where == Data {
				v.Op = OpWrite // reads are granted: only a write can fault there
			}
		case pkru.ReadWrite:
			v.InDomain = true
		}
	}
	return v
}
