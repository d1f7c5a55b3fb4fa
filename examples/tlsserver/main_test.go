package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pkeyarena/pkeyarena/internal/clitest"
	"go.uber.org/goleak"
)

// asMainEnv makes the test binary run the command itself (main), for the signal tests.
const asMainEnv = "TLSSERVER_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// toolTimeout bounds each client run (clitest.Timeout).
const toolTimeout = clitest.Timeout

// needTool returns the path of a command-line tool (clitest.NeedTool): CI installs openssl and
// curl.
func needTool(t *testing.T, name string) string {
	t.Helper()
	return clitest.NeedTool(t, name, "openssl and curl")
}

// tool runs a command with stdin and returns its combined output; it fails the test when the
// command fails.
func tool(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	return clitest.Cmd{Stdin: stdin}.Must(t, name, args...)
}

// selfSigned makes a key and a self-signed certificate for 127.0.0.1 and localhost with
// openssl req, in dir, and returns their paths.
func selfSigned(t *testing.T, openssl, dir string, newkey ...string) (cert, key string) {
	t.Helper()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	args := append([]string{"req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=localhost",
		"-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert}, newkey...)
	tool(t, "", openssl, args...)
	return cert, key
}

// goSelfSigned makes a key (PKCS#8) and a self-signed certificate for 127.0.0.1 with the
// standard library, in dir, for the tests that need no openssl: they run everywhere, also in
// the emulated-PKU guest.
func goSelfSigned(t *testing.T, dir string, priv crypto.Signer) (cert, key string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(path, label string, der []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(cert, "CERTIFICATE", der)
	write(key, "PRIVATE KEY", pkcs8)
	return cert, key
}

// server is run serving in this process until stop.
type server struct {
	addr string
	out  *syncBuffer
	stop func() error
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, out, func(a net.Addr) { ready <- a }) }()
	s := &server{out: out}
	select {
	case a := <-ready:
		s.addr = a.String()
	case err := <-done:
		cancel()
		t.Fatalf("run: %v\n%s", err, out)
	}
	var once sync.Once
	var err error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { s.stop() })
	return s
}

type syncBuffer = clitest.Buffer

// Go's TLS client gets the page over TLS 1.2 and 1.3, verifying the certificate, from keys
// made by the standard library; stopping the server closes the key.
func TestGoClient(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		priv crypto.Signer
	}{{"Ed25519", edKey}, {"ECDSA P-256", ecKey}} {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := goSelfSigned(t, t.TempDir(), tt.priv)
			s := startServer(t, "-cert", cert, "-key", key, "-addr", "127.0.0.1:0")
			pemCert, err := os.ReadFile(cert)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(pemCert)
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: v, MaxVersion: v}}
				client := &http.Client{Transport: tr, Timeout: toolTimeout}
				resp, err := client.Get("https://" + s.addr + "/")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				tr.CloseIdleConnections()
				want := "hello over " + tls.VersionName(v) + ", signed by a " + tt.name + " key in arena memory\n"
				if err != nil || resp.StatusCode != http.StatusOK || string(body) != want {
					t.Errorf("%s: %d %q (%v), want 200 %q", tls.VersionName(v), resp.StatusCode, body, err, want)
				}
			}
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s.out.String(), "key closed") {
				t.Errorf("no key closed after the shutdown:\n%s", s.out)
			}
		})
	}
}

// Real clients get the page over every protocol version the key allows, with the certificate
// verified: openssl s_client with TLS 1.2 and TLS 1.3, curl with each. Ed25519 works in both
// (RFC 8422 brings it to TLS 1.2). Stopping the server closes the key.
func TestRealClients(t *testing.T) {
	openssl := needTool(t, "openssl")
	curl := needTool(t, "curl")
	for _, tt := range []struct {
		name   string
		newkey []string
		alg    string
	}{
		{"Ed25519", []string{"-newkey", "ed25519"}, "Ed25519"},
		{"ECDSA P-256", []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}, "ECDSA P-256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := selfSigned(t, openssl, t.TempDir(), tt.newkey...)
			s := startServer(t, "-cert", cert, "-key", key, "-addr", "127.0.0.1:0")
			host, port, _ := net.SplitHostPort(s.addr)
			request := "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			for _, v := range []struct{ openssl, curl, name string }{
				{"-tls1_2", "--tls-max 1.2", "TLSv1.2"},
				{"-tls1_3", "--tlsv1.3", "TLSv1.3"},
			} {
				got := tool(t, request, openssl, "s_client", "-connect", s.addr, "-servername", "localhost",
					"-CAfile", cert, "-verify_return_error", "-ign_eof", v.openssl)
				for _, want := range []string{"Verify return code: 0 (ok)", "New, " + v.name,
					"HTTP/1.1 200 OK", "hello over TLS " + v.name[4:] + ", signed by a " + tt.alg + " key"} {
					if !strings.Contains(got, want) {
						t.Errorf("openssl s_client %s: no %q in\n%s", v.openssl, want, got)
					}
				}
				body := tool(t, "", curl, append([]string{"--silent", "--show-error", "--fail",
					"--cacert", cert, "--resolve", "localhost:" + port + ":" + host},
					append(strings.Fields(v.curl), "https://localhost:"+port+"/")...)...)
				if want := "hello over TLS " + v.name[4:] + ", signed by a " + tt.alg + " key in arena memory\n"; body != want {
					t.Errorf("curl %s: %q, want %q", v.curl, body, want)
				}
			}
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s.out.String(), "key closed") {
				t.Errorf("no key closed after the shutdown:\n%s", s.out)
			}
		})
	}
}

// SIGTERM and SIGINT stop the command gracefully: it exits 0 after closing the key. The command
// is this test binary running main, on port 0; its first line says where it listens, and one
// request is served before the signal.
func TestSignals(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := goSelfSigned(t, t.TempDir(), priv)
	pemCert, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemCert)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-cert", cert, "-key", key, "-addr", "127.0.0.1:0")
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
			if !lines.Scan() || !strings.HasPrefix(lines.Text(), "serving https://") {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("first line %q, stderr %s", lines.Text(), stderr.String())
			}
			addr := strings.Fields(strings.TrimPrefix(lines.Text(), "serving https://"))[0]
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
			resp, err := (&http.Client{Transport: tr, Timeout: toolTimeout}).Get("https://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			tr.CloseIdleConnections()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
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
			if got := strings.Join(rest, "\n"); !strings.Contains(got, "shutting down") || !strings.HasSuffix(got, "key closed") {
				t.Errorf("after %v the command wrote %q, want a shutdown ending with key closed", sig, got)
			}
		})
	}
}

// Bad command lines and files are refused before anything is served, with an error that says
// what was wrong; a key is closed on the way out.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	_, k1, _ := ed25519.GenerateKey(rand.Reader)
	_, k2, _ := ed25519.GenerateKey(rand.Reader)
	cert, key := goSelfSigned(t, mkdir(t, dir, "a"), k1)
	_, otherKey := goSelfSigned(t, mkdir(t, dir, "b"), k2)
	for _, tt := range []struct {
		name   string
		args   []string
		want   string
		loaded bool // the key was loaded, so it must be closed
	}{
		{"no flags", nil, "usage:", false},
		{"no key", []string{"-cert", cert}, "usage:", false},
		{"extra argument", []string{"-cert", cert, "-key", key, "extra"}, "usage:", false},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined", false},
		{"missing key file", []string{"-cert", cert, "-key", filepath.Join(dir, "none.pem")}, "no such file", false},
		{"the certificate as the key", []string{"-cert", cert, "-key", cert}, "no private key found", false},
		{"a certificate for another key", []string{"-cert", cert, "-key", otherKey}, "not for this key", true},
		{"the key as the certificate", []string{"-cert", key, "-key", key}, "no CERTIFICATE block", true},
		{"a bad address", []string{"-cert", cert, "-key", key, "-addr", "127.0.0.1:http-alt-nope"}, "unknown port", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			err := run(context.Background(), tt.args, &out, func(net.Addr) { t.Error("it served") })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run: %v, want an error with %q", err, tt.want)
			}
			if closed := strings.Contains(out.String(), "key closed"); closed != tt.loaded {
				t.Errorf("key closed: %v, want %v (output %q)", closed, tt.loaded, out.String())
			}
		})
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
