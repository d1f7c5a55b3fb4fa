// Command sshagent serves the ssh-agent protocol on a Unix socket, with keys that live only in
// arenas: each -key file (OpenSSH, PKCS#8 or SEC 1 PEM; Ed25519, ECDSA P-256 or P-384) is read
// straight into an arena by keys.LoadFile, and every signature enters that key's domain. It
// serves until SIGINT or SIGTERM, then closes the connections and the keys (wiping them) and
// removes the socket.
//
//	go run ./examples/sshagent -socket PATH -key FILE [-key FILE ...]
//	SSH_AUTH_SOCK=PATH ssh-add -l
//
// The key list is fixed: adding and removing keys (ssh-add FILE, -d, -D) are refused, since a
// key sent over the socket would pass through the Go heap on its way. Lock and unlock (ssh-add
// -x, -X) work; the agent keeps the lock passphrase only as a salted PBKDF2 verifier. The socket
// is created readable and writable by its owner only.
//
// This is a nested module, so that golang.org/x/crypto stays out of the library's module graph.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh/agent"

	"github.com/pkeyarena/pkeyarena/keys"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "sshagent:", err)
		if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: sshagent -socket PATH -key FILE [-key FILE ...]")

// keyFiles collects repeated -key flags.
type keyFiles []string

func (k *keyFiles) String() string     { return strings.Join(*k, ",") }
func (k *keyFiles) Set(v string) error { *k = append(*k, v); return nil }

// run serves the agent as args say until ctx is done, writing what it does to out. ready, when
// not nil, is called once the socket accepts connections.
func run(ctx context.Context, args []string, out io.Writer, ready func()) (err error) {
	fs := flag.NewFlagSet("sshagent", flag.ContinueOnError)
	fs.SetOutput(out)
	socket := fs.String("socket", "", "path of the Unix socket to serve on (must not exist)")
	var files keyFiles
	fs.Var(&files, "key", "private key file to serve (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *socket == "" || len(files) == 0 || fs.NArg() != 0 {
		return errUsage
	}

	var signers []*keys.Signer
	defer func() {
		var errs []error
		for _, s := range signers {
			errs = append(errs, s.Close())
		}
		if cerr := errors.Join(errs...); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing the keys: %w", cerr))
		} else if len(signers) > 0 {
			fmt.Fprintf(out, "%d keys closed\n", len(signers))
		}
	}()
	for _, f := range files {
		s, err := keys.LoadFile(f)
		if err != nil {
			return err
		}
		signers = append(signers, s)
	}
	ag, err := newKeyAgent(signers, files)
	if err != nil {
		return err
	}

	ln, err := listen(*socket)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "agent on %s with %d keys in arena memory\n", *socket, len(signers))
	if ready != nil {
		ready()
	}
	if err := serve(ctx, ln, ag); err != nil {
		return err
	}
	fmt.Fprintln(out, "agent stopped")
	return nil
}

// listen creates the socket readable and writable by its owner only: it is bound under a
// umask of 0o177, so there is no moment at which others could connect.
func listen(path string) (*net.UnixListener, error) {
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	return ln, err
}

// serve accepts connections and runs the agent protocol on each until ctx is done, then closes
// the listener (which removes the socket) and every connection, and waits for them. An accept
// that fails otherwise ends it the same way, with that error.
func serve(ctx context.Context, ln *net.UnixListener, ag agent.ExtendedAgent) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		done  bool
	)
	shut := func() {
		mu.Lock()
		done = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		ln.Close()
	}
	stop := context.AfterFunc(ctx, shut)
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				shut()
				wg.Wait()
				return fmt.Errorf("accept: %w", err)
			}
			wg.Wait()
			return nil
		}
		mu.Lock()
		if done {
			mu.Unlock()
			c.Close()
			continue
		}
		conns[c] = true
		mu.Unlock()
		wg.Go(func() {
			agent.ServeAgent(ag, c) // returns when the client hangs up or the connection is closed
			c.Close()
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		})
	}
}
