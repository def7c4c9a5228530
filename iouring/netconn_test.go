package iouring

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/netip"
	"testing"
	"time"
)

// selfSigned returns a TLS certificate for 127.0.0.1, made for this test.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "volley test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestNetConnTLS runs a real TLS 1.3 handshake over NetConn on both sides
// (server and client each on a reactor of the engine under test), then moves
// 10 MB each way and compares SHA-256 digests.
func TestNetConnTLS(t *testing.T) {
	const size = 10 << 20
	for _, eng := range engines(t) {
		t.Run(eng.String(), func(t *testing.T) {
			srv := startReactor(t, eng, Options{})
			cli := startReactor(t, eng, Options{})
			cert := selfSigned(t)
			served := make(chan error, 1)
			serve := func(nc *NetConn) {
				go func() {
					tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
					defer tc.Close()
					h := sha256.New()
					if _, err := io.CopyN(h, tc, size); err != nil {
						served <- err
						return
					}
					if _, err := tc.Write(h.Sum(nil)); err != nil {
						served <- err
						return
					}
					if _, err := tc.Write(pattern(size, 7)); err != nil {
						served <- err
						return
					}
					served <- nil
					// Close only after the client has closed: closing
					// first could race the client's last reads.
					_, _ = io.Copy(io.Discard, tc)
				}()
			}
			var addr netip.AddrPort
			srv.do(func() {
				var err error
				addr, err = srv.r.Listen(netip.MustParseAddrPort("127.0.0.1:0"),
					func(r Reactor, _ Conn, _, _ netip.AddrPort) ConnHandler { return NewNetConn(r, serve) })
				if err != nil {
					t.Errorf("Listen: %v", err)
				}
			})
			nc, err := DialNetConn(cli.r, addr, netip.Addr{}, 5*time.Second)
			if err != nil {
				t.Fatalf("DialNetConn: %v", err)
			}
			roots := x509.NewCertPool()
			leaf, _ := x509.ParseCertificate(cert.Certificate[0])
			roots.AddCert(leaf)
			tc := tls.Client(nc, &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS13})
			defer tc.Close()
			_ = tc.SetDeadline(time.Now().Add(60 * time.Second))
			if err := tc.Handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
				t.Fatalf("negotiated TLS version %x, want 1.3", v)
			}
			up := pattern(size, 3)
			go func() { _, _ = tc.Write(up) }()
			want := sha256.Sum256(up)
			got := make([]byte, sha256.Size)
			if _, err := io.ReadFull(tc, got); err != nil {
				t.Fatalf("reading the server's digest: %v", err)
			}
			if string(got) != string(want[:]) {
				t.Fatalf("server saw different bytes: digest %x, want %x", got, want)
			}
			h := sha256.New()
			if _, err := io.CopyN(h, tc, size); err != nil {
				t.Fatalf("reading 10 MB from the server: %v", err)
			}
			if wantDown := sha256.Sum256(pattern(size, 7)); string(h.Sum(nil)) != string(wantDown[:]) {
				t.Fatal("client received different bytes from the server")
			}
			select {
			case err := <-served:
				if err != nil {
					t.Fatalf("server: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("server did not finish")
			}
		})
	}
}
