package arena_test

import (
	"reflect"
	"strings"
	"testing"

	"unsafe"
)

// Code that walks an Arena's fields by reflection, as deep dumpers do (they read unexported
// fields too), finds no byte slice into arena memory: printing what it finds can neither read a
// secret nor fault on a guard page.
func TestReflectionReachesNoArenaBytes(t *testing.T) {
	a := newArena(t)
	for _, n := range []int{32, 32, 5000, 100 << 10} {
		mustAlloc(t, a, n)
	}
	mustAlloc(t, a, 64)
	mem, mapping := a.RegionBounds()
	inside := func(p uintptr) bool {
		for i := range mem {
			lo := addr(mapping[i])
			if lo <= p && p < lo+uintptr(len(mapping[i])) {
				return true
			}
		}
		return false
	}
	seen := map[uintptr]bool{}
	var found []string
	regions := 0 // regions the walk got to
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return
			}
			if v.Kind() == reflect.Pointer {
				if seen[v.Pointer()] {
					return
				}
				seen[v.Pointer()] = true
			}
			walk(v.Elem(), path+".*")
		case reflect.Struct:
			if t := v.Type(); t.Name() == "region" && strings.HasSuffix(t.PkgPath(), "/arena") {
				regions++
			}
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			if v.Len() > 0 && inside(v.Pointer()) {
				found = append(found, path)
				return
			}
			fallthrough
		case reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), path)
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key(), path+"[key]")
				walk(it.Value(), path+"[]")
			}
		case reflect.String:
			if v.Len() > 0 && inside(uintptr(unsafe.Pointer(unsafe.StringData(v.String())))) {
				found = append(found, path)
			}
		}
	}
	walk(reflect.ValueOf(a), "Arena")
	if regions == 0 {
		t.Fatalf("the walk saw %d objects and no region: it did not get into the arena's "+
			"structures", len(seen))
	}
	if found != nil {
		t.Errorf("byte slices into arena memory at %v", found)
	}
	// The walk does find such a slice where there is one.
	found = nil
	walk(reflect.ValueOf(&struct{ b []byte }{mem[0]}), "probe")
	if len(found) != 1 {
		t.Errorf("the walk found %v in a struct holding an arena slice, want it", found)
	}
}
