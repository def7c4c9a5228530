package loadgen

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"time"
)

// The sink's side of one connection. Replies go into a buffered writer that
// is flushed only when the reader has no more client input buffered, so a
// pipelined group (RFC 2920) gets its replies in one write and a lock-step
// client gets each reply at once.

// Fixed replies of the sink's normal answers.
var (
	replyMailOK    = []byte("250 2.1.0 ok\r\n")
	replyRcptOK    = []byte("250 2.1.5 ok\r\n")
	replyDataGo    = []byte("354 go ahead, end with <CRLF>.<CRLF>\r\n")
	replyQueued    = []byte("250 2.0.0 ok: queued\r\n")
	replyOK        = []byte("250 2.0.0 ok\r\n")
	replyBye       = []byte("221 2.0.0 bye\r\n")
	replyVrfy      = []byte("252 2.5.0 cannot verify, send mail\r\n")
	replyHelp      = []byte("214 2.0.0 see RFC 5321\r\n")
	replyTLSGo     = []byte("220 2.0.0 ready to start TLS\r\n")
	replyUnknown   = []byte("500 5.5.2 command not recognized\r\n")
	replyTooLong   = []byte("500 5.5.2 line too long\r\n")
	replyNoImpl    = []byte("502 5.5.1 command not implemented\r\n")
	replyNeedHello = []byte("503 5.5.1 send EHLO first\r\n")
	replyNeedMail  = []byte("503 5.5.1 send MAIL first\r\n")
	replyNested    = []byte("503 5.5.1 MAIL already given\r\n")
	replyNoRcpts   = []byte("554 5.5.1 no valid recipients\r\n")
	replyMixed     = []byte("503 5.5.1 DATA after BDAT\r\n")
	replyTLSAgain  = []byte("503 5.5.1 TLS already active\r\n")
	replySyntax    = []byte("501 5.5.4 syntax error in parameters\r\n")
	replyNoName    = []byte("501 5.5.4 give a name\r\n")
	replyBadBDAT   = []byte("501 5.5.4 bad BDAT size, closing\r\n")
	replyTooMany   = []byte("452 4.5.3 too many recipients\r\n")
	replyTooBig    = []byte("552 5.3.4 message too big\r\n")
	replySaveFail  = []byte("451 4.3.0 could not save the message\r\n")
)

const (
	// maxRcpts is the recipients one transaction may have (RFC 5321
	// §4.5.3.1.8 asks for at least 100).
	maxRcpts = 10000
	// idleTimeout ends a silent connection (RFC 5321 §4.5.3.2.7).
	idleTimeout = 5 * time.Minute
)

type session struct {
	s     *Sink
	c     net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	hello bool
	tls   bool
	quit  bool // close once the replies so far are flushed
	num   [20]byte

	// The transaction.
	inTx  bool
	from  []byte
	to    [][]byte // accepted recipients, kept only when saving
	nrcpt int
	bdat  bool // a BDAT chunk was received
	body  collector
}

func newSession(s *Sink, c net.Conn) *session {
	ss := &session{s: s, c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 8<<10)}
	ss.body = collector{keep: s.opts.Save != "", hdr: s.keepHdr, max: s.opts.MaxSize}
	ss.body.reset()
	return ss
}

func (ss *session) run() {
	ss.greet()
	for !ss.quit {
		if ss.r.Buffered() == 0 {
			if ss.w.Flush() != nil {
				return
			}
			ss.c.SetReadDeadline(time.Now().Add(idleTimeout))
		}
		line, err := ss.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			ss.skipLine()
			continue
		}
		if err != nil {
			return
		}
		ss.command(trimEOL(line))
	}
	ss.w.Flush()
}

// greet sends the greeting; a refusing rule closes the connection after it
// (RFC 5321 §3.1).
func (ss *session) greet() {
	var ip []byte
	if ss.s.needArg[StageConnect] {
		ip = []byte(remoteIP(ss.c))
	}
	if r := ss.s.decide(StageConnect, ip); r != nil {
		ss.scripted(StageConnect, r)
		ss.quit = ss.quit || r.Code/100 != 2
		return
	}
	ss.reply(StageConnect, 220, ss.s.greet)
}

// command handles one command line (without its line ending). The
// borrowed line is valid until the next read.
func (ss *session) command(line []byte) {
	verb, arg, _ := bytes.Cut(line, []byte(" "))
	var v [8]byte
	n := copy(v[:], verb)
	if len(verb) > len(v) {
		n = 0
	}
	upper(v[:n])
	switch string(v[:n]) {
	case "EHLO", "HELO":
		ss.helloCmd(n > 0 && v[0] == 'E', bytes.TrimSpace(arg))
	case "MAIL":
		ss.mail(arg)
	case "RCPT":
		ss.rcpt(arg)
	case "DATA":
		ss.data()
	case "BDAT":
		ss.bdatCmd(arg)
	case "RSET":
		ss.reset()
		ss.w.Write(replyOK)
	case "NOOP":
		ss.w.Write(replyOK)
	case "QUIT":
		ss.w.Write(replyBye)
		ss.quit = true
	case "VRFY":
		ss.w.Write(replyVrfy)
	case "HELP":
		ss.w.Write(replyHelp)
	case "STARTTLS":
		ss.startTLS()
	case "EXPN", "AUTH", "TURN", "ETRN":
		ss.w.Write(replyNoImpl)
	default:
		ss.w.Write(replyUnknown)
	}
}

func (ss *session) helloCmd(ehlo bool, name []byte) {
	if len(name) == 0 {
		ss.w.Write(replyNoName)
		return
	}
	ss.reset()
	if r := ss.s.decide(StageEHLO, name); r != nil {
		ss.hello = r.Code/100 == 2
		ss.scripted(StageEHLO, r)
		return
	}
	ss.hello = true
	if ehlo {
		ss.reply(StageEHLO, 250, ss.s.ehlo)
	} else {
		ss.reply(StageEHLO, 250, ss.s.helo)
	}
}

func (ss *session) mail(arg []byte) {
	switch {
	case !ss.hello:
		ss.w.Write(replyNeedHello)
		return
	case ss.inTx:
		ss.w.Write(replyNested)
		return
	}
	addr, params, ok := cutPath(arg, "FROM:")
	if !ok {
		ss.w.Write(replySyntax)
		return
	}
	if size, ok := sizeParam(params); ok && size > ss.s.opts.MaxSize {
		ss.reply(StageMail, 552, replyTooBig) // RFC 1870 §6.1
		return
	}
	if r := ss.s.decide(StageMail, addr); r != nil {
		ss.scripted(StageMail, r)
		if r.Code/100 != 2 {
			return
		}
	} else {
		ss.reply(StageMail, 250, replyMailOK)
	}
	ss.inTx = true
	ss.from = append(ss.from[:0], addr...)
}

func (ss *session) rcpt(arg []byte) {
	if !ss.inTx {
		ss.w.Write(replyNeedMail)
		return
	}
	addr, _, ok := cutPath(arg, "TO:")
	if !ok || len(addr) == 0 {
		ss.w.Write(replySyntax)
		return
	}
	if ss.nrcpt >= maxRcpts {
		ss.reply(StageRcpt, 452, replyTooMany)
		return
	}
	if r := ss.s.decide(StageRcpt, addr); r != nil {
		ss.scripted(StageRcpt, r)
		if r.Code/100 != 2 {
			return
		}
	} else {
		ss.reply(StageRcpt, 250, replyRcptOK)
	}
	ss.nrcpt++
	if ss.body.keep {
		ss.to = append(ss.to, append([]byte(nil), addr...))
	}
}

// ready reports whether the transaction may take its message, answering
// the DATA or BDAT command when it may not. Without recipients that ends
// the transaction, as RFC 3030 §4.2 has it for BDAT, so that a client may
// start the next without RSET.
func (ss *session) ready() bool {
	switch {
	case !ss.inTx:
		ss.w.Write(replyNeedMail)
	case ss.nrcpt == 0:
		ss.w.Write(replyNoRcpts) // RFC 2920 §3.1: DATA after every RCPT failed
		ss.reset()
	default:
		return true
	}
	return false
}

func (ss *session) data() {
	if ss.bdat {
		ss.w.Write(replyMixed) // RFC 3030 §4.2
		return
	}
	if !ss.ready() {
		return
	}
	ss.w.Write(replyDataGo)
	if ss.w.Flush() != nil || ss.readData() != nil {
		ss.quit = true
		return
	}
	ss.endMessage()
}

// readData reads the message up to the line holding only a dot, undoing
// the dot-stuffing (RFC 5321 §4.5.2). A line longer than the buffer comes
// in pieces; only a piece that starts a line can end the data.
func (ss *session) readData() error {
	atStart := true
	for {
		line, err := ss.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if atStart && len(line) > 0 && line[0] == '.' {
			if s := string(line); s == ".\r\n" || s == ".\n" {
				return nil
			}
			line = line[1:]
		}
		atStart = err == nil
		ss.body.write(line)
	}
}

// bdatCmd handles "BDAT SIZE [LAST]" and reads its chunk (RFC 3030 §2).
func (ss *session) bdatCmd(arg []byte) {
	sizeArg, last, _ := bytes.Cut(bytes.TrimSpace(arg), []byte(" "))
	size, err := strconv.ParseInt(string(sizeArg), 10, 64)
	isLast := bytes.EqualFold(bytes.TrimSpace(last), []byte("LAST"))
	if err != nil || size < 0 || len(bytes.TrimSpace(last)) > 0 && !isLast {
		// Without a size the chunk cannot be told from the next command.
		ss.w.Write(replyBadBDAT)
		ss.quit = true
		return
	}
	ok := ss.ready()
	var sink *collector
	if ok {
		sink = &ss.body
	}
	if err := ss.readChunk(size, sink); err != nil {
		ss.quit = true
		return
	}
	switch {
	case !ok:
	case isLast:
		ss.endMessage()
	default:
		ss.bdat = true
		ss.w.WriteString("250 2.0.0 ")
		ss.w.Write(strconv.AppendInt(ss.num[:0], size, 10))
		ss.w.WriteString(" octets received\r\n")
	}
}

// readChunk reads n bytes of a BDAT chunk into c, or discards them when c
// is nil.
func (ss *session) readChunk(n int64, c *collector) error {
	for n > 0 {
		if ss.r.Buffered() == 0 {
			if _, err := ss.r.Peek(1); err != nil {
				return err
			}
		}
		k := int(min(n, int64(ss.r.Buffered())))
		if c != nil {
			p, _ := ss.r.Peek(k)
			c.write(p)
		}
		ss.r.Discard(k)
		n -= int64(k)
	}
	return nil
}

// endMessage answers a complete message: SIZE, then the rules, then saving.
func (ss *session) endMessage() {
	defer ss.reset()
	if ss.body.tooBig {
		ss.s.refused.Add(1)
		ss.reply(StageData, 552, replyTooBig)
		return
	}
	r := ss.s.decide(StageData, ss.body.header())
	if d := ss.s.opts.Delay; d > 0 {
		if ss.w.Flush() != nil {
			ss.quit = true
			return
		}
		ss.s.wait(d)
	}
	if r != nil && r.Code/100 != 2 {
		ss.s.refused.Add(1)
		ss.scripted(StageData, r)
		return
	}
	if ss.body.keep && ss.s.save(ss.from, ss.to, ss.body.buf) != nil {
		ss.s.saveFails.Add(1)
		ss.s.refused.Add(1)
		ss.reply(StageData, 451, replySaveFail)
		return
	}
	ss.s.rcpts.Add(int64(ss.nrcpt))
	ss.s.bytes.Add(ss.body.n)
	n := ss.s.messages.Add(1)
	if r != nil {
		ss.scripted(StageData, r)
	} else {
		ss.reply(StageData, 250, replyQueued)
	}
	if f := ss.s.opts.OnMessage; f != nil {
		f(n)
	}
}

// startTLS answers STARTTLS and runs the handshake (RFC 3207). Commands
// the client pipelined after STARTTLS are dropped with the old reader
// (RFC 3207 §4.2 forbids acting on them).
func (ss *session) startTLS() {
	switch {
	case ss.s.opts.TLS == nil:
		ss.w.Write(replyNoImpl)
		return
	case ss.tls:
		ss.w.Write(replyTLSAgain)
		return
	}
	ss.w.Write(replyTLSGo)
	if ss.w.Flush() != nil {
		ss.quit = true
		return
	}
	tc := tls.Server(ss.c, ss.s.opts.TLS)
	ss.c.SetDeadline(time.Now().Add(time.Minute))
	if err := tc.Handshake(); err != nil {
		ss.quit = true
		return
	}
	ss.c.SetDeadline(time.Time{})
	ss.s.tlsConns.Add(1)
	ss.c, ss.tls, ss.hello = tc, true, false // RFC 3207 §4.2: forget the EHLO
	ss.r.Reset(tc)
	ss.w.Reset(tc)
	ss.reset()
}

// reset ends the transaction (RSET, a new EHLO, the end of a message).
func (ss *session) reset() {
	ss.inTx, ss.nrcpt, ss.bdat = false, 0, false
	ss.from, ss.to = ss.from[:0], ss.to[:0]
	ss.body.reset()
}

// reply sends one of the sink's own replies at a rule stage, counting it.
func (ss *session) reply(st Stage, code int, line []byte) {
	ss.s.count(st, code)
	ss.w.Write(line)
}

// scripted sends a rule's reply; a 421 closes the connection after it
// (RFC 5321 §3.8).
func (ss *session) scripted(st Stage, r *Rule) {
	ss.reply(st, r.Code, r.line)
	if r.Code == 421 {
		ss.quit = true
	}
}

// skipLine answers a command line longer than the read buffer after
// reading the rest of it.
func (ss *session) skipLine() {
	for {
		_, err := ss.r.ReadSlice('\n')
		if err == nil {
			ss.w.Write(replyTooLong)
			return
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			ss.quit = true
			return
		}
	}
}

// cutPath parses `PREFIX<path> params` (RFC 5321 §4.1.2), tolerating spaces
// after the colon and a path without brackets. The slices borrow arg.
func cutPath(arg []byte, prefix string) (addr, params []byte, ok bool) {
	arg = bytes.TrimLeft(arg, " ")
	if len(arg) < len(prefix) || !bytes.EqualFold(arg[:len(prefix)], []byte(prefix)) {
		return nil, nil, false
	}
	arg = bytes.TrimLeft(arg[len(prefix):], " ")
	if len(arg) > 0 && arg[0] == '<' {
		end := bytes.IndexByte(arg, '>')
		if end < 0 {
			return nil, nil, false
		}
		return arg[1:end], bytes.TrimSpace(arg[end+1:]), true
	}
	addr, params, _ = bytes.Cut(arg, []byte(" "))
	return addr, bytes.TrimSpace(params), len(addr) > 0
}

// sizeParam finds SIZE=N among MAIL parameters (RFC 1870 §6).
func sizeParam(params []byte) (int64, bool) {
	for len(params) > 0 {
		var p []byte
		p, params, _ = bytes.Cut(params, []byte(" "))
		if len(p) > 5 && bytes.EqualFold(p[:5], []byte("SIZE=")) {
			n, err := strconv.ParseInt(string(p[5:]), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// upper folds ASCII letters to upper case in place.
func upper(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}
