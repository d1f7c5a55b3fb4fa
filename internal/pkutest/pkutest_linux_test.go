package pkutest

import (
	"fmt"
	"os"
	"strings"
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

const childEnv = "PKUTEST_CHILD"

func init() {
	if os.Getenv(childEnv) == "uid" {
		fmt.Println("uid", os.Getuid())
		os.Exit(0)
	}
}

func TestUnprivilegedChild(t *testing.T) {
	out, err := UnprivilegedChild(t, childEnv+"=uid").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := fmt.Sprintf("uid %d", os.Getuid())
	if os.Getuid() == 0 {
		want = fmt.Sprintf("uid %d", Nobody)
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("child printed %q, want %q", out, want)
	}
}

func TestPipe(t *testing.T) {
	r, w := Pipe(t)
	if n, err := unix.Write(w, []byte("hi")); n != 2 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	var buf [4]byte
	if n, err := unix.Read(r, buf[:]); string(buf[:n]) != "hi" || err != nil {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}
