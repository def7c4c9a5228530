package msgauth

import (
	"bytes"
	"testing"

	"github.com/volleymta/volley/engine/msgauth/arc"
)

// FuzzHeaderFields: the header walker and the From parse never panic, and
// every field the walker yields is a piece of the header, in order.
func FuzzHeaderFields(f *testing.F) {
	for _, s := range []string{
		testMsg,
		"From: a@b\r\n\tfolded@c\r\n\r\n",
		"From:\r\n\r\n",
		": no name\r\nX:\r\n",
		"From: \"q\\\"uote\" <x@[127.0.0.1]>\r\nSender: <>\r\n\r\nbody",
		"no colon at all",
		"From: =?utf-8?b?w7Y=?= <a@ü.test>\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		head := Header(msg)
		if !bytes.HasPrefix(msg, head) {
			t.Fatalf("Header is not a prefix of the message")
		}
		at := 0
		arc.EachField(head, func(name, value []byte) bool {
			i := bytes.Index(head[at:], name)
			if i < 0 {
				t.Fatalf("field name %q not found after offset %d", name, at)
			}
			at += i + len(name)
			if len(value) > 0 {
				j := bytes.Index(head[at:], value)
				if j < 0 {
					t.Fatalf("value %q of %q not in the header", value, name)
				}
				at += j + len(value)
			}
			return true
		})
		_ = IdentityDomain(msg, "")
		_ = IdentityDomain(msg, "from")
		_ = signedHeaders(msg, nil, nil)
	})
}
