package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// collector takes in a message's bytes as they arrive, keeping only what
// the sink needs: the whole message when it saves messages, the header
// section when a data rule reads it, else nothing but the count.
type collector struct {
	keep   bool  // keep the whole message
	hdr    bool  // keep the header section
	max    int64 // SIZE limit
	n      int64 // bytes so far
	tooBig bool
	buf    []byte
	hdrEnd int // length of the header section in buf; -1 until found
}

// maxHeader bounds the header section kept for rules when the message is
// not saved; a longer one is cut there.
const maxHeader = 1 << 20

func (c *collector) reset() {
	c.n, c.tooBig, c.buf, c.hdrEnd = 0, false, c.buf[:0], -1
}

// write adds p; p is borrowed for the call only.
func (c *collector) write(p []byte) {
	c.n += int64(len(p))
	if c.n > c.max {
		c.tooBig = true
	}
	if c.tooBig || !c.keep && (!c.hdr || c.hdrEnd >= 0) {
		return
	}
	from := max(len(c.buf)-3, 0)
	c.buf = append(c.buf, p...)
	if c.hdrEnd < 0 {
		c.findHeaderEnd(from)
	}
}

// findHeaderEnd looks for the blank line that ends the header section
// (RFC 5322 §2.1), searching buf from from.
func (c *collector) findHeaderEnd(from int) {
	b := c.buf
	switch {
	case bytes.HasPrefix(b, []byte("\r\n")) || bytes.HasPrefix(b, []byte("\n")):
		c.hdrEnd = 0
	case bytes.Contains(b[from:], []byte("\r\n\r\n")):
		c.hdrEnd = from + bytes.Index(b[from:], []byte("\r\n\r\n")) + 2
	case bytes.Contains(b[from:], []byte("\n\n")):
		c.hdrEnd = from + bytes.Index(b[from:], []byte("\n\n")) + 1
	case !c.keep && len(b) > maxHeader:
		c.hdrEnd = len(b)
	}
}

// header returns the header section (all that was kept when it had no end).
func (c *collector) header() []byte {
	if c.hdrEnd >= 0 {
		return c.buf[:c.hdrEnd]
	}
	return c.buf
}

// save writes one accepted message into the Save directory: the envelope
// as X-Sink-From and X-Sink-To lines, then the message. It writes a
// temporary file and renames it, so that a reader of the directory sees
// whole files only.
func (s *Sink) save(from []byte, to [][]byte, msg []byte) error {
	var b bytes.Buffer
	b.Grow(len(msg) + 64*(len(to)+1))
	fmt.Fprintf(&b, "X-Sink-From: <%s>\r\n", from)
	for _, t := range to {
		fmt.Fprintf(&b, "X-Sink-To: <%s>\r\n", t)
	}
	b.Write(msg)
	f, err := os.CreateTemp(s.opts.Save, ".sink-*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		name := fmt.Sprintf("%s-%08d.eml", s.savePfx, s.saveSeq.Add(1))
		err = os.Rename(f.Name(), filepath.Join(s.opts.Save, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("loadgen: save message: %w", err)
	}
	s.saved.Add(1)
	return nil
}
