package pkutest

import (
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/unix"
)

func TestCatch(t *testing.T) {
	page := MapPages(t, 1)
	if ReadFault(page) || WriteFault(page) {
		t.Fatal("a read-write page faulted")
	}
	if page[0] != 0x5a {
		t.Errorf("WriteFault did not write: %#x", page[0])
	}
	if err := unix.Mprotect(page, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if ReadFault(page) || !WriteFault(page) {
		t.Error("read-only page: want read ok, write fault")
	}
	if err := unix.Mprotect(page, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	f := Catch(func() { ReadByte(page, 7) })
	if f == nil {
		t.Fatal("reading a PROT_NONE page did not fault")
	}
	if want := uintptr(pageAddr(page)) + 7; f.Addr != want {
		t.Errorf("fault address %#x, want %#x", f.Addr, want)
	}
	defer func() {
		if r := recover(); r != "not a fault" {
			t.Errorf("a panic that is not a fault came back as %v", r)
		}
	}()
	Catch(func() { panic("not a fault") })
}
