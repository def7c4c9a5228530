package inbound

import (
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

func TestHasHeader(t *testing.T) {
	msg := []byte("Subject: x\r\nmessage-id: <a@b>\r\n\r\nDate: not a header\r\n")
	h := msg[:headerEnd(msg)]
	if !hasHeader(h, "Message-ID:") {
		t.Error("Message-ID not found (case-insensitive)")
	}
	if hasHeader(h, "Date:") {
		t.Error("a body line was taken for a header")
	}
	if headerEnd([]byte("\r\nbody")) != 2 || headerEnd([]byte("Subject: x\r\n")) != 12 {
		t.Error("headerEnd edge cases")
	}
}

// TestAddMissingHeaders: with add-message-id-header and add-date-header on,
// a message without them gets both (the Message-ID with host-id in it);
// one that has them is left alone.
func TestAddMissingHeaders(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, "host-id 7\n"+baseConfig+"    add-message-id-header yes\n    add-date-header yes\n</source>\n", sp)
	cl := dial(t, addr)
	for _, msg := range []string{"Subject: bare\r\n\r\nhi\r\n", "Subject: full\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhi\r\n"} {
		cl.send("HELO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
		cl.expect("250 ")
		cl.expect("250 ")
		cl.expect("250 ")
		cl.expect("354 ")
		cl.send(msg + ".\r\n")
		cl.expect("250 ")
	}
	var bodies []string
	_ = sp.Scan(func(m *spool.Message) error {
		b, err := sp.Body(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(b))
		return nil
	})
	if len(bodies) != 2 {
		t.Fatalf("%d messages", len(bodies))
	}
	if strings.Count(bodies[0], "Message-ID: <") != 1 || strings.Count(bodies[0], "\r\nDate: ") != 1 ||
		!strings.Contains(bodies[0], ".7@mx.volley.test>") {
		t.Errorf("bare message not completed:\n%s", bodies[0])
	}
	if strings.Count(bodies[1], "Message-ID:") != 1 || strings.Count(bodies[1], "\r\nDate: ") != 1 {
		t.Errorf("complete message changed:\n%s", bodies[1])
	}
}

// TestAddDateHeaderOverride: under add-date-header override the message's
// own Date (and any duplicate) is replaced by the time Volley received it.
func TestAddDateHeaderOverride(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, baseConfig+"    add-date-header override\n</source>\n", sp)
	cl := dial(t, addr)
	cl.send("HELO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	for _, want := range []string{"250 ", "250 ", "250 ", "354 "} {
		cl.expect(want)
	}
	cl.send("Subject: old\r\nDate: Mon, 1 Jan 2024\r\n 00:00:00 +0000\r\ndate: Tue, 2 Jan 2024 00:00:00 +0000\r\n\r\nDate: in the body stays\r\n.\r\n")
	cl.expect("250 ")
	var body string
	_ = sp.Scan(func(m *spool.Message) error {
		b, err := sp.Body(m.ID)
		body = string(b)
		return err
	})
	if strings.Contains(body, "2024") || strings.Count(body, "\r\nDate: ") != 2 || !strings.Contains(body, "\r\n\r\nDate: in the body stays\r\n") {
		t.Fatalf("body after override:\n%s", body)
	}
}
