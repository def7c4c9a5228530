package inbound

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/volleymta/volley/engine/tlspipe"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
)

// STARTTLS (RFC 3207) through engine/tlspipe: the session stays on its loop.

var replyTLSUnavailable = smtpwire.Reply{Code: smtpwire.C454TempAuthFailure, Enh: smtpwire.E470SecurityOther, Text: "TLS not available"}

// LoadTLS builds a server TLS config from a certificate directive
// (smtp-server-tls-certificate, a listener's tls-certificate), named in
// its errors: one PEM file holding the certificate chain and the private
// key (encrypted with PASSWORD when one is given, as PowerMTA allows).
// TLS 1.2 is the oldest version offered.
func LoadTLS(directive, file, password string) (*tls.Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", directive, err)
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
					return nil, fmt.Errorf("%s %s: the private key is encrypted and no password is given", directive, file)
				}
				der, err := x509.DecryptPEMBlock(b, []byte(password)) //nolint:staticcheck
				if err != nil {
					return nil, fmt.Errorf("%s %s: decrypting the private key: %w", directive, file, err)
				}
				b = &pem.Block{Type: b.Type, Bytes: der}
			}
			keyPEM = pem.EncodeToMemory(b)
		}
	}
	if certPEM == nil || keyPEM == nil {
		return nil, fmt.Errorf("%s %s: want a PEM certificate and private key in the file", directive, file)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", directive, file, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// tlsHandshakeTimeout bounds the handshake when the source sets no command timeout.
const tlsHandshakeTimeout = 5 * time.Minute

// startTLS answers STARTTLS and hands the connection to a TLS pipe.
func (ss *session) startTLS() {
	cfg := ss.pol.tlsFor(ss.listener)
	if cfg == nil {
		ss.srv.Reply(replyTLSUnavailable)
		return
	}
	ss.srv.Accept()
	ss.flush() // the 220 goes out in the clear
	// RFC 3207 §5: whatever the client sent after STARTTLS is discarded.
	ss.discard = true
	ss.waiting = true // until the handshake is done
	timeout := ss.src.SMTPCommandTimeout
	if timeout <= 0 {
		timeout = tlsHandshakeTimeout
	}
	ss.tlsp = tlspipe.Start(ss.r, ss.c, func(c net.Conn) *tls.Conn { return tls.Server(c, cfg) }, timeout, ss)
}

// begin greets the client, or on an immediate-tls listener first runs the
// TLS handshake (SMTPS, RFC 8314 §3.3): TLSUp greets, encrypted.
func (ss *session) begin() iouring.Action {
	if !ss.immediateTLS {
		return ss.greet()
	}
	cfg := ss.pol.tlsFor(ss.listener)
	if cfg == nil { // the config check requires a certificate; a reload may have dropped it
		ss.svc.logf("inbound: %s: immediate-tls listener without a certificate; closing", ss.remote)
		return iouring.Close
	}
	ss.tlsGreeting, ss.waiting = true, true
	timeout := ss.src.SMTPCommandTimeout
	if timeout <= 0 {
		timeout = tlsHandshakeTimeout
	}
	ss.tlsp = tlspipe.Start(ss.r, ss.c, func(c net.Conn) *tls.Conn { return tls.Server(c, cfg) }, timeout, ss)
	return iouring.Continue
}

// TLSUp resets the session (RFC 3207 §4.2: forget EHLO, AUTH and the
// envelope) and lets the client speak again, encrypted.
func (ss *session) TLSUp(st *tls.ConnectionState) {
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
	if ss.tlsGreeting {
		// Immediate TLS: now the greeting, then the machine knows it is
		// encrypted (no STARTTLS offered, AUTH allowed as over STARTTLS).
		ss.tlsGreeting = false
		if ss.sh.draining {
			ss.send(ss.pol.shuttingDown, true)
			return
		}
		if ss.greet() != iouring.Continue {
			return // refused: the reply is on its way and the pipe closes
		}
		ss.srv.TLSStarted()
	}
	if ss.sh.draining {
		ss.drainIfIdle()
		return
	}
	ss.tlsp.Grant()
}

// TLSFailed logs a failed handshake; the pipe closes the connection.
func (ss *session) TLSFailed(err error) {
	if !ss.closed {
		ss.svc.logf("inbound: %s: TLS handshake failed: %v", ss.remote, err)
	}
}

// TLSInput feeds decrypted input to the session, as OnData does in the clear.
func (ss *session) TLSInput(data []byte) {
	if ss.closed {
		return
	}
	ss.act(ss.feed(data))
	if !ss.waiting {
		ss.tlsp.Grant()
	}
}

// TLSEOF is the client's end of input (close_notify, EOF or an error):
// answer what is pending, then close.
func (ss *session) TLSEOF(err error) {
	if ss.closed {
		return
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) && ss.src.LogConnections {
		ss.svc.logf("inbound: %s: TLS input ended: %v", ss.remote, err)
	}
	ss.act(iouring.Drain)
}
