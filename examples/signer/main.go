// Command signer serves HTTPS on loopback with keys that live only in arenas: a keys.Signer is
// the tls.Certificate's private key, and each handshake signature enters the key's domain. It
// makes one request to itself and prints the answer, first with an Ed25519 key, then with an
// ECDSA P-256 key.
//
//	go run ./examples/signer
//
// Ed25519 signs from arena memory in place; crypto/ecdsa copies the P-256 scalar into the Go
// heap for each signature (the keys package doc says what stays there). examples/tlsserver
// serves the same way with a key and certificate loaded from files.
package main

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/pkeyarena/pkeyarena/keys"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "signer:", err)
		os.Exit(1)
	}
}

// run generates a key in an arena, serves HTTPS on loopback with it, and fetches one page; for
// an Ed25519 key, then an ECDSA P-256 key.
func run(w io.Writer) error {
	for _, alg := range []keys.Algorithm{keys.Ed25519, keys.ECDSAP256} {
		signer, err := keys.Generate(alg)
		if err != nil {
			return err
		}
		err = serve(w, signer)
		if cerr := signer.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// serve serves HTTPS on loopback with a certificate and handshakes signed by signer, and fetches
// one page.
func serve(w io.Writer, signer *keys.Signer) error {
	// A self-signed certificate, signed through the arena-held key.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), crypto.Signer(signer))
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(rw, "hello over %s, signed by a key no other code can read (%v)\n", tls.VersionName(r.TLS.Version), signer.Algorithm())
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: signer, Leaf: cert}}},
	}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		Timeout:   10 * time.Second,
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s", body)
	return nil
}
