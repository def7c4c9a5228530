package spool

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// recordMessages are meta records' edge cases: empty and long strings,
// zero, epoch and far times, n recipients (1<<16 is the limit). The fuzz
// seeds use shorter strings and fewer recipients, which fuzz faster.
func recordMessages(long string, n int) []*Message {
	return []*Message{
		{Recipients: make([]Recipient, 1)},
		{From: "a@b", EnvID: "e", Ret: RetFull, Body: BodyBinaryMIME, SMTPUTF8: true, Job: "j", VMTA: "v",
			Origin: "smtp 192.0.2.1", Received: time.Unix(1_700_000_000, 123456789), Size: 12345,
			Recipients: make([]Recipient, 3)},
		{From: long, EnvID: long, Job: long, VMTA: long, Origin: long, Ret: RetHdrs, Body: Body8BitMIME,
			Received: time.Unix(0, 1<<63-1), Size: 1<<63 - 1, Recipients: make([]Recipient, n)},
		{From: "π@例え.jp", Received: time.Unix(0, 1), Size: 1, Recipients: make([]Recipient, 2)},
	}
}

func recordRecipients(long string) []*Recipient {
	return []*Recipient{
		{},
		{Addr: "r@example.com", ORCPT: "rfc822;r@example.com", Notify: NotifyFailure | NotifyDelay, Attempts: 3,
			NextAttempt: time.Unix(1_900_000_000, 5), LastReply: "451 4.7.1 later"},
		{Addr: long, ORCPT: long, LastReply: long, Notify: 0xff, Attempts: 1<<32 - 1, NextAttempt: time.Unix(0, 1<<63-1)},
		{Addr: "x", NextAttempt: time.Unix(0, 1)},
	}
}

// TestRecordRoundTrip checks every field of both records survives
// encoding, including the times that read back as zero.
func TestRecordRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 70000)
	for i, m := range recordMessages(long, 1<<16) {
		var got Message
		if err := decodeMeta(encodeMeta(nil, m), &got); err != nil {
			t.Fatalf("meta %d: %v", i, err)
		}
		if got.From != m.From || got.EnvID != m.EnvID || got.Ret != m.Ret || got.Body != m.Body ||
			got.SMTPUTF8 != m.SMTPUTF8 || got.Job != m.Job || got.VMTA != m.VMTA || got.Origin != m.Origin ||
			!got.Received.Equal(m.Received) || got.Size != m.Size || cap(got.Recipients) != len(m.Recipients) {
			t.Fatalf("meta %d:\n got %+v\nwant %+v", i, got, *m)
		}
	}
	for i, r := range recordRecipients(long) {
		var got Recipient
		if err := decodeRcpt(encodeRcpt(nil, r), &got); err != nil {
			t.Fatalf("recipient %d: %v", i, err)
		}
		if got != *r && !(got.NextAttempt.Equal(r.NextAttempt) && got.Addr == r.Addr && got.ORCPT == r.ORCPT &&
			got.Notify == r.Notify && got.Attempts == r.Attempts && got.LastReply == r.LastReply) {
			t.Fatalf("recipient %d:\n got %+v\nwant %+v", i, got, *r)
		}
	}
	// Times at or before the epoch are stored as "no time".
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(-1, 0), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)} {
		var got Recipient
		if err := decodeRcpt(encodeRcpt(nil, &Recipient{NextAttempt: tm}), &got); err != nil || !got.NextAttempt.IsZero() {
			t.Fatalf("NextAttempt %v read back as %v (%v), want zero", tm, got.NextAttempt, err)
		}
	}
}

// TestRecordRejectsNonCanonical checks the inputs decoding refuses so that
// records stay canonical: padded varints, unknown flags, times past int64.
func TestRecordRejectsNonCanonical(t *testing.T) {
	var m Message
	padded := []byte{recordV1, 0, 0, 0, 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0} // received as a 2-byte zero
	if decodeMeta(padded, &m) == nil {
		t.Error("decodeMeta accepted a non-minimal varint")
	}
	if decodeMeta([]byte{recordV1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}, &m) == nil {
		t.Error("decodeMeta accepted unknown flag bits")
	}
	if decodeMeta([]byte{recordV1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}, &m) != nil {
		t.Error("decodeMeta refused a minimal record")
	}
	big := binary.AppendUvarint([]byte{recordV1, 0}, 1<<63)
	var r Recipient
	if decodeRcpt(append(big, 0, 0, 0, 0), &r) == nil {
		t.Error("decodeRcpt accepted a time past int64")
	}
}

func FuzzDecodeMeta(f *testing.F) {
	for _, m := range recordMessages(strings.Repeat("x", 200), 300) {
		f.Add(encodeMeta(nil, m))
	}
	f.Add([]byte{})
	f.Add([]byte{recordV1, 0, 0, 0, 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0})
	f.Add([]byte{recordV1, 1, 2, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if decodeMeta(b, &m) != nil {
			return
		}
		// The recipient count is recorded as the capacity of m.Recipients.
		m.Recipients = make([]Recipient, cap(m.Recipients))
		if enc := encodeMeta(nil, &m); !bytes.Equal(enc, b) {
			t.Fatalf("decode then encode changed the record:\n in %x\nout %x", b, enc)
		}
	})
}

func FuzzDecodeRcpt(f *testing.F) {
	for _, r := range recordRecipients(strings.Repeat("y", 200)) {
		f.Add(encodeRcpt(nil, r))
	}
	f.Add([]byte{})
	f.Add([]byte{recordV1, 0, 0x80, 0x00, 0, 0, 0, 0})
	f.Add(binary.AppendUvarint([]byte{recordV1, 9, 0xff, 0xff, 0xff, 0xff, 0x0f}, 1<<63-1))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Recipient
		if decodeRcpt(b, &r) != nil {
			return
		}
		if enc := encodeRcpt(nil, &r); !bytes.Equal(enc, b) {
			t.Fatalf("decode then encode changed the record:\n in %x\nout %x", b, enc)
		}
	})
}
