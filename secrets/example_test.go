package secrets_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/pkeyarena/pkeyarena/arena"
	"github.com/pkeyarena/pkeyarena/guard"
	"github.com/pkeyarena/pkeyarena/secrets"
)

func Example() {
	// The token's bytes move into arena memory; the source is wiped.
	src := []byte("s3cr3t-api-token")
	token, err := secrets.FromBytes(src)
	if err != nil {
		panic(err)
	}
	defer token.Destroy()

	fmt.Printf("%v %x %q\n", token, token, src[:4]) // redacted, and the source is zeros

	// The bytes are reachable inside Use only.
	token.UseReadOnly(func(b []byte) error {
		fmt.Println(strings.HasPrefix(string(b), "s3cr3t"))
		return nil
	})
	fmt.Println(token.EqualBytes([]byte("s3cr3t-api-token")), token.EqualBytes([]byte("guess")))
	// Output:
	// secrets.Secret{REDACTED} secrets.Secret{REDACTED} "\x00\x00\x00\x00"
	// true
	// true false
}

func ExampleFromBytes() {
	password := []byte("correct horse battery staple")
	s, err := secrets.FromBytes(password)
	if err != nil {
		panic(err)
	}
	defer s.Destroy()
	fmt.Println(s.Len(), password[0]) // the caller's copy is wiped
	// Output: 28 0
}

func ExampleFromReader() {
	// Straight from the reader into arena memory: no copy in the Go heap on the way (an
	// os.File's read(2) writes into the arena directly).
	s, err := secrets.FromReader(strings.NewReader("0123456789abcdef"), 16)
	if err != nil {
		panic(err)
	}
	defer s.Destroy()
	_, err = secrets.FromReader(strings.NewReader("short"), 16)
	fmt.Println(s.Len(), err)
	// Output: 16 secrets: unexpected EOF
}

func ExampleRandom() {
	key, err := secrets.Random(32)
	if err != nil {
		panic(err)
	}
	defer key.Destroy()
	// Sign with the key without it leaving the arena (but for HMAC's own heap state, erased
	// with GOEXPERIMENT=runtimesecret).
	var mac []byte
	key.UseReadOnly(func(k []byte) error {
		h := hmac.New(sha256.New, k)
		h.Write([]byte("message"))
		mac = h.Sum(nil)
		return nil
	})
	fmt.Println(len(mac))
	// Output: 32
}

func ExampleNewStore() {
	// A Store over an arena of one's own: here one that refuses more than 64 KiB.
	a, err := arena.NewArena(arena.Name("tenant-42"), arena.Limit(64<<10))
	if err != nil {
		panic(err)
	}
	defer a.Close() // after its Secrets are destroyed
	st, err := secrets.NewStore(a)
	if err != nil {
		panic(err)
	}
	s, _ := st.Random(16)
	defer s.Destroy()
	fmt.Println(a.Stats().Objects)
	// Output: 1
}

func ExampleStore_FromBytes() {
	a, _ := arena.NewArena(arena.Name("sessions"))
	defer a.Close()
	st, _ := secrets.NewStore(a)
	s, _ := st.FromBytes([]byte("session key"))
	defer s.Destroy()
	fmt.Println(s.Len())
	// Output: 11
}

func ExampleStore_FromReader() {
	a, _ := arena.NewArena(arena.Name("keys"))
	defer a.Close()
	st, _ := secrets.NewStore(a)
	s, _ := st.FromReader(strings.NewReader("key material"), 3)
	defer s.Destroy()
	s.UseReadOnly(func(b []byte) error { fmt.Printf("%s\n", b); return nil })
	// Output: key
}

func ExampleStore_Random() {
	a, _ := arena.NewArena(arena.Name("keys"))
	defer a.Close()
	st, _ := secrets.NewStore(a)
	x, _ := st.Random(32)
	defer x.Destroy()
	y, _ := st.Random(32)
	defer y.Destroy()
	fmt.Println(x.Equal(y))
	// Output: false
}

func ExampleSecret_Use() {
	s, _ := secrets.FromBytes([]byte("abc"))
	defer s.Destroy()
	s.Use(func(b []byte) error {
		b[0] = 'A' // read-write
		return nil
	})
	s.UseReadOnly(func(b []byte) error { fmt.Printf("%s\n", b); return nil })
	// Output: Abc
}

func ExampleSecret_UseReadOnly() {
	s, _ := secrets.FromBytes([]byte("read only"))
	defer s.Destroy()
	err := guard.Catch(func() {
		s.UseReadOnly(func(b []byte) error {
			b[0] = 'R' // faults: the grant is read-only
			return nil
		})
	})
	fmt.Println(errors.Is(err, guard.ErrViolation))
	// Output: true
}

func ExampleSecret_Equal() {
	x, _ := secrets.FromBytes([]byte("same"))
	defer x.Destroy()
	y, _ := secrets.FromBytes([]byte("same"))
	defer y.Destroy()
	fmt.Println(x.Equal(y))
	// Output: true
}

func ExampleSecret_EqualBytes() {
	pin, _ := secrets.FromBytes([]byte("1234"))
	defer pin.Destroy()
	// Constant time in the guess's length: a wrong length is not found out sooner.
	fmt.Println(pin.EqualBytes([]byte("1234")), pin.EqualBytes([]byte("12345")))
	// Output: true false
}

func ExampleSecret_Destroy() {
	s, _ := secrets.Random(16)
	s.Destroy()
	err := s.Use(func([]byte) error { return nil })
	fmt.Println(s.Len(), errors.Is(err, secrets.ErrDestroyed), s.Destroy())
	// Output: 0 true <nil>
}

func ExampleSecret_Len() {
	s, _ := secrets.Random(24)
	defer s.Destroy()
	fmt.Println(s.Len())
	// Output: 24
}

func ExampleSecret_String() {
	s, _ := secrets.FromBytes([]byte("hunter2"))
	defer s.Destroy()
	fmt.Println(s.String())
	// Output: secrets.Secret{REDACTED}
}

func ExampleSecret_GoString() {
	s, _ := secrets.FromBytes([]byte("hunter2"))
	defer s.Destroy()
	fmt.Printf("%#v\n", s)
	// Output: secrets.Secret{REDACTED}
}

func ExampleSecret_Format() {
	s, _ := secrets.FromBytes([]byte("hunter2"))
	defer s.Destroy()
	cfg := struct {
		User string
		Pass secrets.Secret
	}{"alice", s}
	fmt.Printf("%+v\n%x\n", cfg, s) // outside Use: nothing reads the bytes, nothing faults
	// Output:
	// {User:alice Pass:secrets.Secret{REDACTED}}
	// secrets.Secret{REDACTED}
}

func ExampleSecret_LogValue() {
	s, _ := secrets.FromBytes([]byte("hunter2"))
	defer s.Destroy()
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	log.Info("login", "user", "alice", "password", s)
	// Output: level=INFO msg=login user=alice password=secrets.Secret{REDACTED}
}

func ExampleSecret_MarshalJSON() {
	s, _ := secrets.FromBytes([]byte("hunter2"))
	defer s.Destroy()
	out, _ := json.Marshal(struct{ Token secrets.Secret }{s})
	fmt.Println(string(out))
	// Output: {"Token":"secrets.Secret{REDACTED}"}
}

func ExampleSecret_MarshalText() {
	s, _ := secrets.FromBytes([]byte("hunter2"))
	defer s.Destroy()
	text, _ := s.MarshalText()
	fmt.Println(string(text))
	// Output: secrets.Secret{REDACTED}
}
