// Command tlsserver serves HTTPS with its private key in arena memory: keys.LoadFile reads the
// key file straight into an arena, and the tls.Certificate's PrivateKey is the keys.Signer, so
// that each handshake signature enters the key's domain and no other code in the process can
// read the key. Any GET gets 200 and a short body. It serves until SIGINT or SIGTERM, then
// shuts down gracefully and closes the key (wiping it).
//
//	go run ./examples/tlsserver -cert CERT.pem -key KEY.pem -addr 127.0.0.1:8443
//
// The key may be PKCS#8, SEC 1 or OpenSSH PEM, Ed25519 or ECDSA P-256/P-384 (see package keys);
// the certificate file holds the leaf first, then any intermediates. Prefer Ed25519: for ECDSA,
// crypto/ecdsa copies the scalar into the Go heap at every signature (package keys' doc), so
// there the key is out of other code's reach only at rest.
package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pkeyarena/pkeyarena/keys"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "tlsserver:", err)
		if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: tlsserver -cert CERT.pem -key KEY.pem [-addr HOST:PORT]")

// shutdownGrace bounds how long a shutdown waits for requests in flight.
const shutdownGrace = 5 * time.Second

// run serves HTTPS as the command line args say until ctx is done, writing what it does to out.
// ready, when not nil, is called with the listening address once connections are accepted.
func run(ctx context.Context, args []string, out io.Writer, ready func(net.Addr)) (err error) {
	fs := flag.NewFlagSet("tlsserver", flag.ContinueOnError)
	fs.SetOutput(out)
	certFile := fs.String("cert", "", "PEM file with the certificate chain, leaf first")
	keyFile := fs.String("key", "", "PEM file with the private key (loaded into arena memory)")
	addr := fs.String("addr", "127.0.0.1:8443", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *certFile == "" || *keyFile == "" || fs.NArg() != 0 {
		return errUsage
	}

	signer, err := keys.LoadFile(*keyFile)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := signer.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing the key: %w", cerr))
			return
		}
		fmt.Fprintln(out, "key closed")
	}()
	cert, err := loadCertificate(*certFile, signer)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(hello(signer)),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(out, "tlsserver: ", 0),
	}
	fmt.Fprintf(out, "serving https://%s with a %v key in arena memory (%s)\n",
		ln.Addr(), signer.Algorithm(), signer)
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		<-served
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// hello answers any GET with 200 and a line naming the protocol and the key.
func hello(signer *keys.Signer) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		fmt.Fprintf(w, "hello over %s, signed by a %v key in arena memory\n",
			tls.VersionName(r.TLS.Version), signer.Algorithm())
	}
}

// loadCertificate reads the chain from path and pairs it with signer, refusing a leaf whose
// public key is not the signer's.
func loadCertificate(path string, signer *keys.Signer) (tls.Certificate, error) {
	data, err := os.ReadFile(path) // certificates are public: the heap is fine for them
	if err != nil {
		return tls.Certificate{}, err
	}
	var chain [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
	if len(chain) == 0 {
		return tls.Certificate{}, fmt.Errorf("%s: no CERTIFICATE block", path)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(signer.Public()) {
		return tls.Certificate{}, fmt.Errorf("%s: the certificate is not for this key", path)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: signer, Leaf: leaf}, nil
}
