package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pkeyarena/pkeyarena/internal/clitest"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// asMainEnv makes the test binary run the command itself (main), for the signal tests.
const asMainEnv = "SSHAGENT_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// needTool returns the path of a command-line tool (clitest.NeedTool): CI installs
// openssh-client.
func needTool(t *testing.T, name string) string {
	t.Helper()
	return clitest.NeedTool(t, name, "openssh-client")
}

// tool runs a command with the environment additions env and stdin, and returns its combined
// output and error.
func tool(t *testing.T, env []string, stdin, name string, args ...string) (string, error) {
	return clitest.Cmd{Env: env, Stdin: stdin}.Run(name, args...)
}

// mustTool is tool that fails the test when the command fails.
func mustTool(t *testing.T, env []string, stdin, name string, args ...string) string {
	t.Helper()
	return clitest.Cmd{Env: env, Stdin: stdin}.Must(t, name, args...)
}

// sshKey is a key ssh-keygen made for a test.
type sshKey struct {
	path, pub   string // private key file, and its .pub
	fingerprint string // SHA256:...
}

// makeKeys generates keys without a passphrase (ssh-keygen -N "").
func makeKeys(t *testing.T, keygen, dir string) []sshKey {
	t.Helper()
	var out []sshKey
	for _, spec := range [][]string{{"-t", "ed25519"}, {"-t", "ecdsa", "-b", "256"}, {"-t", "ecdsa", "-b", "384"}} {
		path := filepath.Join(dir, "id_"+strings.Join(spec[1:], ""))
		mustTool(t, nil, "", keygen, append(spec, "-N", "", "-q", "-C", "test@example", "-f", path)...)
		fp := strings.Fields(mustTool(t, nil, "", keygen, "-l", "-E", "sha256", "-f", path+".pub"))
		if len(fp) < 2 || !strings.HasPrefix(fp[1], "SHA256:") {
			t.Fatalf("ssh-keygen -l: %q", fp)
		}
		out = append(out, sshKey{path, path + ".pub", fp[1]})
	}
	return out
}

// goKeys writes unencrypted OpenSSH keys made by the standard library (ed25519, ecdsa 256 and
// 384) with ssh.MarshalPrivateKey, for the tests that need no ssh-keygen.
func goKeys(t *testing.T, dir string) []sshKey {
	t.Helper()
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privs := []crypto.Signer{ed}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		privs = append(privs, k)
	}
	var out []sshKey
	for i, priv := range privs {
		block, err := ssh.MarshalPrivateKey(priv, "test@example")
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ssh.NewPublicKey(priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "go_key"+string(rune('a'+i)))
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(pub), 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, sshKey{path, path + ".pub", ssh.FingerprintSHA256(pub)})
	}
	return out
}

type syncBuffer = clitest.Buffer

// startAgent runs the agent in this process on a socket in a fresh directory and returns the
// socket's path and a function that stops it and returns its output and run's error.
func startAgent(t *testing.T, keyFiles ...string) (socket string, stop func() (string, error)) {
	t.Helper()
	socket = filepath.Join(shortTempDir(t), "agent.sock")
	args := []string{"-socket", socket}
	for _, k := range keyFiles {
		args = append(args, "-key", k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, out, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run: %v\n%s", err, out)
	}
	var once sync.Once
	var err error
	stop = func() (string, error) {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return out.String(), err
	}
	t.Cleanup(func() { stop() })
	return socket, stop
}

// shortTempDir is a temporary directory with a short path: a Unix socket's path has a limit of
// about 108 bytes, which t.TempDir's long names can pass.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sshagent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// ssh-add -l lists every key's fingerprint; ssh-keygen -Y sign through the agent makes
// signatures that ssh-keygen -Y verify accepts for each key, and rejects for another message.
func TestSSHAddAndSign(t *testing.T) {
	keygen := needTool(t, "ssh-keygen")
	sshAdd := needTool(t, "ssh-add")
	dir := t.TempDir()
	ks := makeKeys(t, keygen, dir)
	socket, stop := startAgent(t, ks[0].path, ks[1].path, ks[2].path)
	env := []string{"SSH_AUTH_SOCK=" + socket}

	list := mustTool(t, env, "", sshAdd, "-l")
	for _, k := range ks {
		if !strings.Contains(list, k.fingerprint+" "+k.path) {
			t.Errorf("ssh-add -l does not list %s (%s):\n%s", k.path, k.fingerprint, list)
		}
	}
	if n := strings.Count(strings.TrimSpace(list), "\n") + 1; n != len(ks) {
		t.Errorf("ssh-add -l lists %d keys, want %d:\n%s", n, len(ks), list)
	}

	msg := filepath.Join(dir, "message")
	if err := os.WriteFile(msg, []byte("signed through an agent whose keys live in arenas\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("another message\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		pub, err := os.ReadFile(k.pub)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(pub))
		allowed := filepath.Join(dir, "allowed_signers")
		if err := os.WriteFile(allowed, []byte("test@example "+f[0]+" "+f[1]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Remove(msg + ".sig")
		// -f names the public key: the private half is the agent's.
		mustTool(t, env, "", keygen, "-Y", "sign", "-f", k.pub, "-n", "file", msg)
		sig := msg + ".sig"
		data, _ := os.ReadFile(msg)
		got := mustTool(t, nil, string(data), keygen, "-Y", "verify", "-f", allowed, "-I", "test@example", "-n", "file", "-s", sig)
		if !strings.Contains(got, `Good "file" signature for test@example`) {
			t.Errorf("%s: ssh-keygen -Y verify: %s", k.path, got)
		}
		otherData, _ := os.ReadFile(other)
		if out, err := tool(t, nil, string(otherData), keygen, "-Y", "verify", "-f", allowed, "-I", "test@example", "-n", "file", "-s", sig); err == nil {
			t.Errorf("%s: the signature verifies for another message: %s", k.path, out)
		}
	}

	out, err := stop()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "3 keys closed") {
		t.Errorf("no keys closed after the agent stopped:\n%s", out)
	}
	if _, err := os.Stat(socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is still there after the agent stopped: %v", err)
	}
}

// The agent refuses to add and remove keys (ssh-add FILE, -d, -D) and keeps its list; lock and
// unlock (ssh-add -x, -X) hide the keys and show them again, and a wrong passphrase unlocks
// nothing. The socket is its owner's only.
func TestSSHAddRefusalsAndLock(t *testing.T) {
	keygen := needTool(t, "ssh-keygen")
	sshAdd := needTool(t, "ssh-add")
	dir := t.TempDir()
	ks := makeKeys(t, keygen, dir)
	socket, _ := startAgent(t, ks[0].path)
	env := []string{"SSH_AUTH_SOCK=" + socket}

	fi, err := os.Stat(socket)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket mode %v, want 0600", perm)
	}
	for _, args := range [][]string{{ks[1].path}, {"-d", ks[0].pub}, {"-D"}} {
		if out, err := tool(t, env, "", sshAdd, args...); err == nil {
			t.Errorf("ssh-add %s succeeded: %s", strings.Join(args, " "), out)
		}
	}
	if list := mustTool(t, env, "", sshAdd, "-l"); !strings.Contains(list, ks[0].fingerprint) || strings.Count(list, "SHA256:") != 1 {
		t.Errorf("after the refusals the agent lists:\n%s", list)
	}

	askpass := func(pass string) []string {
		script := filepath.Join(dir, "askpass-"+pass)
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho "+pass+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return append(env, "SSH_ASKPASS="+script, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	}
	mustTool(t, askpass("hunter2"), "", sshAdd, "-x")
	if out, _ := tool(t, env, "", sshAdd, "-l"); strings.Contains(out, "SHA256:") {
		t.Errorf("a locked agent lists keys:\n%s", out)
	}
	if out, err := tool(t, askpass("wrong"), "", sshAdd, "-X"); err == nil {
		t.Errorf("a wrong passphrase unlocked the agent: %s", out)
	}
	mustTool(t, askpass("hunter2"), "", sshAdd, "-X")
	if list := mustTool(t, env, "", sshAdd, "-l"); !strings.Contains(list, ks[0].fingerprint) {
		t.Errorf("after unlocking the agent lists:\n%s", list)
	}
}

// Through Go's agent client: signatures verify under the listed keys, an unknown key, RSA
// flags and extensions are refused, and a locked agent signs nothing.
func TestAgentProtocol(t *testing.T) {
	ks := goKeys(t, t.TempDir())
	socket, _ := startAgent(t, ks[0].path, ks[1].path)
	conn, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := agent.NewClient(conn)
	listed, err := client.List()
	if err != nil || len(listed) != 2 {
		t.Fatalf("List: %v, %v", listed, err)
	}
	data := []byte("session data")
	for _, k := range listed {
		sig, err := client.Sign(k, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Verify(data, sig); err != nil {
			t.Errorf("%s: %v", k.Comment, err)
		}
		if k.Verify([]byte("other"), sig) == nil {
			t.Errorf("%s: the signature verifies for other data", k.Comment)
		}
		if _, err := client.SignWithFlags(k, data, agent.SignatureFlagRsaSha256); err == nil {
			t.Errorf("%s: signed with RSA flags", k.Comment)
		}
	}
	otherPub, err := os.ReadFile(goKeys(t, t.TempDir())[0].pub)
	if err != nil {
		t.Fatal(err)
	}
	unknown, _, _, _, err := ssh.ParseAuthorizedKey(otherPub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Sign(unknown, data); err == nil {
		t.Error("signed with a key the agent does not hold")
	}
	if _, err := client.Sign(listed[0], make([]byte, maxSignData+1)); err == nil {
		t.Error("signed more than maxSignData bytes")
	}
	if _, err := client.Sign(listed[0], make([]byte, maxSignData)); err != nil {
		t.Errorf("Sign of maxSignData bytes: %v", err)
	}
	if _, err := client.Extension("session-bind@openssh.com", nil); !errors.Is(err, agent.ErrExtensionUnsupported) {
		t.Errorf("Extension: %v, want ErrExtensionUnsupported", err)
	}
	if err := client.Lock([]byte("p")); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Sign(listed[0], data); err == nil {
		t.Error("a locked agent signed")
	}
}

// SIGTERM and SIGINT stop the command: it exits 0, having closed its keys and removed the
// socket, also with a client connected. The command is this test binary running main.
func TestSignals(t *testing.T) {
	ks := goKeys(t, t.TempDir())
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			socket := filepath.Join(shortTempDir(t), "agent.sock")
			cmd := exec.Command(os.Args[0], "-socket", socket, "-key", ks[0].path, "-key", ks[2].path)
			cmd.Env = append(os.Environ(), asMainEnv+"=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			if !lines.Scan() || !strings.HasPrefix(lines.Text(), "agent on "+socket) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("first line %q, stderr %s", lines.Text(), stderr.String())
			}
			conn, err := net.Dial("unix", socket)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if l, err := agent.NewClient(conn).List(); err != nil || len(l) != 2 {
				t.Fatalf("List: %v, %v", l, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v\nstdout %q\nstderr %s", sig, err, rest, stderr.String())
			}
			if got := strings.Join(rest, "\n"); got != "agent stopped\n2 keys closed" {
				t.Errorf("after %v the command wrote %q", sig, got)
			}
			if _, err := os.Stat(socket); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the socket is still there: %v", err)
			}
		})
	}
}

// Bad command lines, key files and sockets are refused with an error saying what was wrong,
// and keys already loaded are closed.
func TestRefusals(t *testing.T) {
	dir := shortTempDir(t)
	ks := goKeys(t, dir)
	taken := filepath.Join(dir, "taken.sock")
	if err := os.WriteFile(taken, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rsa := filepath.Join(dir, "id_rsa")
	rsaKey, err := rsaTestKey()
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(rsaKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rsa, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "a.sock")
	for _, tt := range []struct {
		name   string
		args   []string
		want   string
		closed string
	}{
		{"no flags", nil, "usage:", ""},
		{"no key", []string{"-socket", sock}, "usage:", ""},
		{"extra argument", []string{"-socket", sock, "-key", ks[0].path, "x"}, "usage:", ""},
		{"missing key", []string{"-socket", sock, "-key", ks[0].path, "-key", filepath.Join(dir, "none")}, "no such file", "1 keys closed"},
		{"RSA key", []string{"-socket", sock, "-key", rsa}, "unsupported key type", ""},
		{"socket path taken", []string{"-socket", taken, "-key", ks[0].path, "-key", ks[1].path}, "address already in use", "2 keys closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			err := run(context.Background(), tt.args, &out, func() { t.Error("it served") })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run: %v, want an error with %q", err, tt.want)
			}
			if tt.closed != "" && !strings.Contains(out.String(), tt.closed) || tt.closed == "" && strings.Contains(out.String(), "closed") {
				t.Errorf("output %q, want %q", out.String(), tt.closed)
			}
		})
	}
}

// rsaTestKey returns a small RSA key, only to be refused (RSA is not a key type of package keys).
func rsaTestKey() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 1024) }

// The lock passphrase is kept only as a salted, slow verifier: two Locks with one passphrase keep
// different verifiers, neither holds the passphrase or its plain SHA-256, a wrong passphrase is
// refused, and the right one unlocks.
func TestLockKeepsASaltedVerifier(t *testing.T) {
	pass := []byte("correct horse")
	var seen [][]byte
	for range 2 {
		a := &keyAgent{}
		if err := a.Lock(pass); err != nil {
			t.Fatal(err)
		}
		plain := sha256.Sum256(pass)
		if bytes.Contains(a.pass, pass) || bytes.Equal(a.pass, plain[:]) {
			t.Error("the verifier is the passphrase or its plain hash")
		}
		seen = append(seen, bytes.Clone(a.pass))
		if err := a.Unlock([]byte("wrong")); !errors.Is(err, errPassword) {
			t.Errorf("Unlock with a wrong passphrase: %v", err)
		}
		if err := a.Unlock(pass); err != nil || a.isLocked() {
			t.Errorf("Unlock with the passphrase: %v, locked %v", err, a.isLocked())
		}
	}
	if bytes.Equal(seen[0], seen[1]) {
		t.Error("two Locks with one passphrase kept the same verifier: no salt")
	}
}
