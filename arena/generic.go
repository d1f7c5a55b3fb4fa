package arena

import (
	"fmt"
	"reflect"
	"sync"
)

var pointerFree sync.Map // reflect.Type -> error (nil when the type is pointer-free)

// checkType reports whether values of t may live in arena memory: no Go pointers anywhere in
// them, since the garbage collector does not see arena memory. The answer is cached per type.
func checkType(t reflect.Type) error {
	if v, ok := pointerFree.Load(t); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	var err error
	if path := pointerPath(t, t.String()); path != "" {
		err = fmt.Errorf("%s (at %s): %w", t, path, ErrPointers)
	}
	if err == nil {
		pointerFree.Store(t, nil)
	} else {
		pointerFree.Store(t, err)
	}
	return err
}

// pointerPath returns where in t a pointer lives ("T.Field[0]"), or "" when t is pointer-free.
func pointerPath(t reflect.Type, at string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		if t.Len() == 0 {
			return ""
		}
		return pointerPath(t.Elem(), at+"[0]")
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if p := pointerPath(f.Type, at+"."+f.Name); p != "" {
				return p
			}
		}
		return ""
	}
	return at + " (" + t.Kind().String() + ")"
}

func layout[T any]() (size, align int, err error) {
	t := reflect.TypeFor[T]()
	if err := checkType(t); err != nil {
		return 0, 0, err
	}
	if t.Size() == 0 {
		return 0, 0, fmt.Errorf("%s has size 0: %w", t, ErrInvalidSize)
	}
	if t.Align() > 8 {
		return 0, 0, fmt.Errorf("%s needs %d-byte alignment, arenas give 8: %w",
			t, t.Align(), ErrInvalidSize)
	}
	return int(t.Size()), t.Align(), nil
}

// New allocates a zeroed T in the arena. T must hold no Go pointers (no pointers, strings,
// slices, maps, channels, functions or interfaces, at any depth): ErrPointers otherwise.
// Free it with FreeValue.
func New[T any](a *Arena) (*T, error) {
	a.mustBeMade()
	size, _, err := layout[T]()
	if err != nil {
		return nil, fmt.Errorf("arena %q: New: %w", a.cfg.name, err)
	}
	b, err := a.Alloc(size)
	if err != nil {
		return nil, err
	}
	return pointerTo[T](b), nil
}

// MakeSlice allocates a zeroed []T of length n and capacity c in the arena, with the same rule
// for T as New. Free it with FreeSlice.
func MakeSlice[T any](a *Arena, n, c int) ([]T, error) {
	a.mustBeMade()
	size, _, err := layout[T]()
	if err != nil {
		return nil, fmt.Errorf("arena %q: MakeSlice: %w", a.cfg.name, err)
	}
	if n < 0 || c < n || c == 0 || c > maxAlloc/size {
		return nil, fmt.Errorf("arena %q: MakeSlice(len %d, cap %d): %w",
			a.cfg.name, n, c, ErrInvalidSize)
	}
	b, err := a.Alloc(c * size)
	if err != nil {
		return nil, err
	}
	return sliceOf[T](b, c)[:n], nil
}

// FreeValue wipes and frees a value allocated by New.
func FreeValue[T any](a *Arena, p *T) error {
	a.mustBeMade()
	if p == nil {
		return fmt.Errorf("arena %q: FreeValue(nil): %w", a.cfg.name, ErrNotAllocated)
	}
	return a.Free(bytesOfPointer(p))
}

// FreeSlice wipes and frees a slice allocated by MakeSlice; s may have been re-sliced to another
// length, but must start where MakeSlice's did and keep its capacity.
func FreeSlice[T any](a *Arena, s []T) error {
	a.mustBeMade()
	if cap(s) == 0 {
		return fmt.Errorf("arena %q: FreeSlice of an empty slice: %w", a.cfg.name, ErrNotAllocated)
	}
	return a.Free(bytesOfSlice(s))
}
