package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// One Blast connection: a worker dials, greets, and sends messages until
// none is left, then dials again if the server closed on it. Each message's
// final reply is the first refusal among MAIL, every RCPT and DATA, else the
// reply after the data; after a refusal before the data it sends RSET.

// worker is one connection slot of a Blast and its tallies.
type worker struct {
	b     *blastRun
	c     net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	ext   extensions
	noTLS bool        // a handshake failed: go on in plaintext
	stop  func() bool // ends the connection's context.AfterFunc

	sent, accepted, refused, failed int
	rcptOK, rcptNo, errors          int
	connErrs                        map[string]int
	codes                           [1000]int
	lat                             []time.Duration

	hdr  []byte   // scratch: the message header
	to   []string // scratch: the message's recipients
	line []byte   // scratch: the MAIL command
	cmd  []byte   // scratch: other command lines, written out before the next is built
}

// extensions are the EHLO keywords Blast acts on.
type extensions struct {
	pipelining, starttls, size bool
}

var (
	// errProtocol marks a reply Blast cannot read.
	errProtocol = errors.New("loadgen: blast: bad reply")
	// errTLS marks a failed TLS handshake.
	errTLS = errors.New("loadgen: blast: tls handshake")
)

// refusal is a session step (greeting, EHLO) the server refused.
type refusal struct {
	step string
	code int
}

func (r *refusal) Error() string { return r.step + " " + strconv.Itoa(r.code) }

func (w *worker) run(ctx context.Context) {
	w.connErrs = map[string]int{}
	fails := 0
	for ctx.Err() == nil && w.b.next.Load() < int64(w.b.o.Messages) {
		progressed, more := false, true
		if w.connect(ctx) {
			progressed, more = w.session(ctx)
			w.close()
		}
		if !more {
			return
		}
		if progressed {
			fails = 0
			continue
		}
		if fails++; fails >= maxConnFailures {
			return
		}
		pause(ctx, time.Duration(fails)*10*time.Millisecond)
	}
}

// connect dials, reads the greeting and says EHLO (and STARTTLS); it counts
// a failure and returns false when the connection is not ready.
func (w *worker) connect(ctx context.Context) bool {
	o := &w.b.o
	d := net.Dialer{Timeout: o.Timeout}
	c, err := d.DialContext(ctx, "tcp", o.Server)
	if err != nil {
		if ctx.Err() == nil {
			w.connErr("dial")
		}
		return false
	}
	w.c = c
	w.stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	if w.r == nil {
		w.r, w.w = bufio.NewReaderSize(c, 8<<10), bufio.NewWriterSize(c, 64<<10)
	} else {
		w.r.Reset(c)
		w.w.Reset(c)
	}
	c.SetDeadline(time.Now().Add(o.Timeout))
	code, err := w.reply(nil)
	if err == nil && code != 220 {
		err = &refusal{"greeting", code}
	}
	if err == nil {
		err = w.hello()
	}
	if err == nil && o.StartTLS && w.ext.starttls && !w.noTLS {
		err = w.startTLS()
	}
	if err != nil {
		w.ioErr(ctx, err)
		w.close()
		return false
	}
	return true
}

// close closes the connection and forgets its context hook.
func (w *worker) close() {
	w.stop()
	w.c.Close()
}

// hello says EHLO, or HELO when EHLO is refused.
func (w *worker) hello() error {
	w.ext = extensions{}
	code, err := w.command(w.appendLine("EHLO ", w.b.o.Helo, ""), &w.ext)
	if err == nil && code/100 != 2 {
		w.ext = extensions{}
		code, err = w.command(w.appendLine("HELO ", w.b.o.Helo, ""), nil)
	}
	if err == nil && code/100 != 2 {
		return &refusal{"ehlo", code}
	}
	return err
}

// startTLS upgrades the connection (RFC 3207); a refused STARTTLS leaves it
// in plaintext.
func (w *worker) startTLS() error {
	code, err := w.command([]byte("STARTTLS\r\n"), nil)
	if err != nil || code != 220 {
		return err
	}
	host, _, _ := net.SplitHostPort(w.b.o.Server)
	// A load tool: the server's certificate is not checked (see BlastOptions.StartTLS).
	tc := tls.Client(w.c, &tls.Config{InsecureSkipVerify: true, ServerName: host})
	if err := tc.Handshake(); err != nil {
		w.noTLS = true
		return fmt.Errorf("%w: %w", errTLS, err)
	}
	w.c = tc
	w.r.Reset(tc)
	w.w.Reset(tc)
	return w.hello() // RFC 3207 §4.2: EHLO again
}

// session sends messages until none is left (more false) or the
// connection ends; progressed reports whether any message got a reply.
func (w *worker) session(ctx context.Context) (progressed, more bool) {
	for {
		seq, ok := w.b.take(ctx)
		if !ok {
			w.quit()
			return progressed, false
		}
		closing, err := w.send(seq)
		if err != nil {
			w.failed++
			w.b.finish()
			w.ioErr(ctx, err)
			return progressed, true
		}
		progressed = true
		if closing {
			return true, true
		}
	}
}

// send sends message seq and records its outcome. closing reports a 421:
// the server closes the connection.
func (w *worker) send(seq int) (closing bool, err error) {
	now := time.Now()
	w.to = w.b.rcptsOf(w.to[:0], seq)
	w.hdr = w.b.appendHeader(w.hdr[:0], seq, w.to, now)
	w.c.SetDeadline(now.Add(w.b.o.Timeout))
	w.line = append(append(append(w.line[:0], "MAIL FROM:<"...), w.b.o.From...), '>')
	if w.ext.size {
		w.line = append(w.line, " SIZE="...)
		w.line = strconv.AppendInt(w.line, int64(len(w.hdr)+len(w.b.body)), 10)
	}
	w.line = append(w.line, "\r\n"...)
	w.sent++
	var code int
	if w.ext.pipelining {
		code, err = w.txPipelined()
	} else {
		code, err = w.txLockstep()
	}
	if err != nil {
		return false, err
	}
	w.lat = append(w.lat, time.Since(now))
	w.codes[code]++
	if code/100 == 2 {
		w.accepted++
	} else {
		w.refused++
	}
	w.b.finish()
	return code == 421, nil
}

// txPipelined writes MAIL, every RCPT and DATA at once (RFC 2920 §3.1),
// then reads their replies in order.
func (w *worker) txPipelined() (int, error) {
	w.w.Write(w.line)
	for _, t := range w.to {
		w.w.Write(w.appendLine("RCPT TO:<", t, ">"))
	}
	w.w.WriteString("DATA\r\n")
	if err := w.w.Flush(); err != nil {
		return 0, err
	}
	mail, err := w.reply(nil)
	if err != nil || mail == 421 {
		return mail, err
	}
	ok, first := 0, 0
	for range w.to {
		code, err := w.reply(nil)
		if err != nil || code == 421 {
			return code, err
		}
		if mail/100 != 2 {
			continue
		}
		if code/100 == 2 {
			ok++
		} else if first == 0 {
			first = code
		}
	}
	w.tallyRcpts(mail, ok)
	data, err := w.reply(nil)
	if err != nil || data == 421 {
		return data, err
	}
	final := data
	switch {
	case mail/100 != 2:
		final = mail
	case ok == 0:
		final = first
	}
	if data == 354 && final == 354 {
		return w.message()
	}
	if data == 354 { // a server that took DATA without recipients: end it empty
		if code, err := w.command([]byte(".\r\n"), nil); err != nil || code == 421 {
			return final, err
		}
	}
	return w.rset(final)
}

// txLockstep sends one command at a time, for servers without PIPELINING.
func (w *worker) txLockstep() (int, error) {
	mail, err := w.command(w.line, nil)
	if err != nil || mail == 421 {
		return mail, err
	}
	if mail/100 != 2 {
		return w.rset(mail)
	}
	ok, first := 0, 0
	for _, t := range w.to {
		code, err := w.command(w.appendLine("RCPT TO:<", t, ">"), nil)
		if err != nil || code == 421 {
			return code, err
		}
		if code/100 == 2 {
			ok++
		} else if first == 0 {
			first = code
		}
	}
	w.tallyRcpts(mail, ok)
	if ok == 0 {
		return w.rset(first)
	}
	data, err := w.command([]byte("DATA\r\n"), nil)
	if err != nil || data == 421 {
		return data, err
	}
	if data != 354 {
		return w.rset(data)
	}
	return w.message()
}

// message writes the header, the shared body and the final dot, and reads
// the reply after the data.
func (w *worker) message() (int, error) {
	w.c.SetDeadline(time.Now().Add(w.b.o.Timeout))
	w.w.Write(w.hdr)
	w.w.Write(w.b.body)
	w.w.WriteString(".\r\n")
	if err := w.w.Flush(); err != nil {
		return 0, err
	}
	return w.reply(nil)
}

func (w *worker) tallyRcpts(mail, ok int) {
	if mail/100 == 2 {
		w.rcptOK += ok
		w.rcptNo += len(w.to) - ok
	}
}

// rset resets the session after a refusal and returns the refusal's code
// (or 421 when the server answers RSET by closing).
func (w *worker) rset(code int) (int, error) {
	rc, err := w.command([]byte("RSET\r\n"), nil)
	if err == nil && rc == 421 {
		return 421, nil
	}
	return code, err
}

// quit says QUIT and waits briefly for the reply.
func (w *worker) quit() {
	w.c.SetDeadline(time.Now().Add(min(w.b.o.Timeout, time.Second)))
	w.w.WriteString("QUIT\r\n")
	if w.w.Flush() == nil {
		w.reply(nil)
	}
}

// command writes one command line, flushes it and reads its reply.
func (w *worker) command(line []byte, ext *extensions) (int, error) {
	w.w.Write(line)
	if err := w.w.Flush(); err != nil {
		return 0, err
	}
	return w.reply(ext)
}

// appendLine builds "prefix arg suffix CRLF" in the scratch command buffer;
// the line is valid until the next call.
func (w *worker) appendLine(prefix, arg, suffix string) []byte {
	w.cmd = append(append(append(append(w.cmd[:0], prefix...), arg...), suffix...), "\r\n"...)
	return w.cmd
}

// reply reads one reply, possibly multi-line (RFC 5321 §4.2.1), and returns
// its code; with ext it notes the EHLO keywords Blast uses.
func (w *worker) reply(ext *extensions) (int, error) {
	for {
		line, err := w.r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, errProtocol
			}
			return 0, err
		}
		line = trimEOL(line)
		if len(line) < 3 || !isDigits(string(line[:3])) || len(line) > 3 && line[3] != ' ' && line[3] != '-' {
			return 0, errProtocol
		}
		if len(line) > 3 && ext != nil {
			ext.note(line[4:])
		}
		if len(line) > 3 && line[3] == '-' {
			continue
		}
		return int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0'), nil
	}
}

// note records an EHLO keyword.
func (e *extensions) note(kw []byte) {
	word := kw
	for i, c := range kw {
		if c == ' ' {
			word = kw[:i]
			break
		}
	}
	var up [16]byte
	if len(word) > len(up) {
		return
	}
	n := copy(up[:], word)
	upper(up[:n])
	switch string(up[:n]) {
	case "PIPELINING":
		e.pipelining = true
	case "STARTTLS":
		e.starttls = true
	case "SIZE":
		e.size = true
	}
}

// connErr counts a connection-level failure by reason.
func (w *worker) connErr(reason string) {
	w.errors++
	w.connErrs[reason]++
}

// ioErr counts err by a short reason.
func (w *worker) ioErr(ctx context.Context, err error) {
	var rf *refusal
	switch {
	case ctx.Err() != nil:
		w.connErr("canceled")
	case errors.As(err, &rf):
		w.connErr(rf.Error())
	case errors.Is(err, errTLS):
		w.connErr("tls")
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.connErr("timeout")
	case errors.Is(err, errProtocol):
		w.connErr("protocol")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		w.connErr("closed")
	default:
		w.connErr("io")
	}
}

// pause sleeps for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
