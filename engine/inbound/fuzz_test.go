package inbound

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/spool"
)

var (
	fuzzOnce sync.Once
	fuzzAddr string
	fuzzLoop iouring.Reactor
)

// FuzzLiveSession feeds arbitrary byte streams to a live session on a real
// reactor and spool: whatever arrives, the session answers, closes cleanly
// and the service goes on serving (a later well-formed session works).
func FuzzLiveSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
		"HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<d@e.f> NOTIFY=NEVER\r\nBDAT 5 LAST\r\nhello",
		"AUTH PLAIN AGFsaWNlAHdyb25n\r\nRSET\r\nNOOP\r\nVRFY x\r\nHELP\r\n",
		"\x00\xff\r\n\r\n.\r\nDATA\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.c> SIZE=99999999999999999999\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<a@e.f>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nX-C: y\r\n\r\nsplit\r\n.\r\nQUIT\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzOnce.Do(func() {
			sp, err := spool.Open("s", spool.Options{FS: vfs.NewMem()})
			if err != nil {
				t.Fatal(err)
			}
			// The service outlives this iteration's t: it serves the whole run.
			// A pattern-list that splits messages by recipient and a bcc
			// copy, so the fuzzer reaches the several-messages path too.
			fuzzAddr, fuzzLoop = serveForever(t, baseConfig+"    pattern-list p\n    bcc archive@x.test\n</source>\n"+
				"<virtual-mta v1>\n</virtual-mta>\n<pattern-list p>\n    header X-C /x/ virtual-mta=v1\n    rcpt-to /^a/ virtual-mta=v1\n</pattern-list>\n", sp)
		})
		c, err := net.DialTimeout("tcp", fuzzAddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(in); err != nil {
			return // the session may close early (too many errors): fine
		}
		_ = c.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("session did not end cleanly: %v", err)
		}
		cl := dialNoCleanup(t, fuzzAddr)
		cl.send("NOOP\r\nQUIT\r\n")
		cl.expect("250 ")
		cl.expect("221 ")
		cl.c.Close()
		if p := fuzzLoop.Stats().Panics; p != 0 {
			t.Fatalf("%d handler panics", p)
		}
	})
}
