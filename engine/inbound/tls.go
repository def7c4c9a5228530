package inbound

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
)

// STARTTLS (RFC 3207). crypto/tls blocks, so after the 220 the session's
// ciphertext goes through an iouring.NetConn to two goroutines: a reader
// that decrypts and posts plaintext to the loop, and a writer that
// encrypts the replies the loop hands it. The SMTP session itself stays on
// the loop, the same code as in plaintext (DESIGN.md, TLS).
//
// Flow control: the reader posts one chunk, then waits for credit, which
// the loop grants once it has fed the chunk and is not waiting for a
// commit; so a client cannot pipeline more than one chunk ahead, as
// PauseRecv bounds a plaintext client.

// tlsPump carries one TLS session's plaintext between the loop and crypto/tls.
type tlsPump struct {
	nc *iouring.NetConn
	// out carries replies to the writer; the loop only sends (never
	// blocking) and closes it when the connection closes.
	out chan tlsWrite
	// credit lets the reader read one more chunk.
	credit chan struct{}
	// done is closed with the connection, releasing a reader waiting for credit.
	done chan struct{}
}

// tlsWrite is a reply for the writer, then closeAfter to end the session.
type tlsWrite struct {
	data       []byte
	closeAfter bool
}

// tlsOutDepth bounds replies queued for the writer. The reader's credit
// keeps the loop at one chunk of input, so a handful of replies at most is
// ever in flight; running out means a stuck client, and the session closes.
const tlsOutDepth = 64

// tlsHandshakeTimeout bounds the handshake when the source sets no command timeout.
const tlsHandshakeTimeout = 5 * time.Minute

var replyTLSUnavailable = smtpwire.Reply{Code: smtpwire.C454TempAuthFailure, Enh: smtpwire.E470SecurityOther, Text: "TLS not available"}

// loadTLS builds the server TLS config of smtp-server-tls-certificate: one
// PEM file holding the certificate chain and the private key (encrypted
// with PASSWORD when one is given, as PowerMTA allows). TLS 1.2 is the
// oldest version offered.
func loadTLS(file, password string) (*tls.Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("smtp-server-tls-certificate: %w", err)
	}
	var certPEM, keyPEM []byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			certPEM = append(certPEM, pem.EncodeToMemory(b)...)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			//lint:ignore SA1019 legacy encrypted PEM is what PowerMTA's password refers to
			if x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck
				if password == "" {
					return nil, fmt.Errorf("smtp-server-tls-certificate %s: the private key is encrypted and no password is given", file)
				}
				der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck
				if err != nil {
					return nil, fmt.Errorf("smtp-server-tls-certificate %s: decrypting the private key: %w", file, err)
				}
				b = &pem.Block{Type: b.Type, Bytes: der}
			}
			keyPEM = pem.EncodeToMemory(b)
		}
	}
	if certPEM == nil || keyPEM == nil {
		return nil, fmt.Errorf("smtp-server-tls-certificate %s: want a PEM certificate and private key in the file", file)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("smtp-server-tls-certificate %s: %w", file, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// startTLS answers STARTTLS and hands the connection to the TLS goroutines.
func (ss *session) startTLS() {
	cfg := ss.svc.tls
	if cfg == nil {
		ss.srv.Reply(replyTLSUnavailable)
		return
	}
	ss.srv.Accept()
	ss.flush() // the 220 goes out in the clear
	// RFC 3207 §5: whatever the client sent after STARTTLS is discarded.
	ss.discard = true
	ss.waiting = true // until the handshake is done
	nc := iouring.NewNetConn(ss.r, nil)
	nc.OnOpen(ss.r, ss.c, nil)
	p := &tlsPump{nc: nc, out: make(chan tlsWrite, tlsOutDepth), credit: make(chan struct{}, 1), done: make(chan struct{})}
	ss.tlsp = p
	timeout := ss.src.SMTPCommandTimeout
	if timeout <= 0 {
		timeout = tlsHandshakeTimeout
	}
	go p.serve(ss, cfg, timeout)
}

// serve runs the handshake, starts the writer and becomes the reader.
func (p *tlsPump) serve(ss *session, cfg *tls.Config, timeout time.Duration) {
	tc := tls.Server(p.nc, cfg)
	_ = tc.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		_ = ss.r.Post(func() { ss.tlsFailed(err) })
		_ = p.nc.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{})
	state := tc.ConnectionState()
	go p.write(tc)
	if ss.r.Post(func() { ss.tlsStarted(&state) }) != nil {
		return
	}
	p.read(ss, tc)
}

// read decrypts the client's input, one chunk per credit.
func (p *tlsPump) read(ss *session, tc *tls.Conn) {
	buf := make([]byte, 16<<10)
	for {
		select {
		case <-p.credit:
		case <-p.done:
			return
		}
		n, err := tc.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if ss.r.Post(func() { ss.tlsInput(data) }) != nil {
				return
			}
		}
		if err != nil {
			_ = ss.r.Post(func() { ss.tlsEOF(err) })
			return
		}
		if n == 0 {
			p.grant() // nothing consumed the credit
		}
	}
}

// write encrypts replies in order; closeAfter sends close_notify and
// closes the connection after the queued output.
func (p *tlsPump) write(tc *tls.Conn) {
	for w := range p.out {
		if len(w.data) > 0 {
			if _, err := tc.Write(w.data); err != nil {
				_ = p.nc.Close()
				return
			}
		}
		if w.closeAfter {
			_ = tc.Close()
			return
		}
	}
}

// grant lets the reader go on; never blocks.
func (p *tlsPump) grant() {
	select {
	case p.credit <- struct{}{}:
	default:
	}
}

// send queues a reply for the writer, on the loop, without blocking: a
// writer that far behind belongs to a client that does not read, and the
// session is closed.
func (ss *session) sendTLS(data []byte, closeAfter bool) {
	select {
	case ss.tlsp.out <- tlsWrite{data: data, closeAfter: closeAfter}:
	default:
		ss.svc.logf("inbound: %s: TLS client does not read its replies; closing", ss.remote)
		_ = ss.r.Close(ss.c)
	}
}

// tlsStarted resets the session (RFC 3207 §4.2: forget EHLO, AUTH and the
// envelope) and lets the client speak again, encrypted.
func (ss *session) tlsStarted(st *tls.ConnectionState) {
	if ss.closed {
		return
	}
	ss.srv.TLSStarted()
	// "TLSv1.3", as OpenSSL and so Postfix write it in Received headers.
	ss.tlsVersion = strings.Replace(tls.VersionName(st.Version), "TLS ", "TLSv", 1)
	ss.tlsCipher = tls.CipherSuiteName(st.CipherSuite)
	if ss.src.LogTLS || ss.src.LogConnections {
		ss.svc.logf("inbound: %s: TLS started: %s %s", ss.remote, ss.tlsVersion, ss.tlsCipher)
	}
	ss.svc.Counters.TLS.Add(1)
	ss.in = ss.in[:0]
	ss.armTimeout(ss.src.SMTPCommandTimeout)
	ss.waiting = false
	if ss.sh.draining {
		ss.drainIfIdle()
		return
	}
	ss.tlsp.grant()
}

func (ss *session) tlsFailed(err error) {
	if !ss.closed {
		ss.svc.logf("inbound: %s: TLS handshake failed: %v", ss.remote, err)
	}
}

// tlsInput feeds decrypted input to the session, as OnData does in the clear.
func (ss *session) tlsInput(data []byte) {
	if ss.closed {
		return
	}
	ss.act(ss.feed(data))
	if !ss.waiting {
		ss.tlsp.grant()
	}
}

// tlsEOF is the client's end of input (close_notify, EOF or an error):
// answer what is pending, then close.
func (ss *session) tlsEOF(err error) {
	if ss.closed {
		return
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) && ss.src.LogConnections {
		ss.svc.logf("inbound: %s: TLS input ended: %v", ss.remote, err)
	}
	ss.act(iouring.Drain)
}
