package outbound

import "testing"

// BenchmarkBegin is the per-transaction work of a delivery before the
// first byte is written: filling the transaction from queued entries
// (0 allocs once the session's arena is warm).
func BenchmarkBegin(b *testing.B) {
	entries := message("sender@example.test", "Subject: x\r\n\r\nbody\r\n", "a@example.com", "b@example.com", "c@example.com")
	entries[0].Msg.EnvID = "env-1"
	s := &Session{opts: &Options{}}
	s.begin(entries)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.begin(entries)
	}
}

// TestBeginNoAllocs keeps the warm transaction fill free of allocations,
// and its fields right.
func TestBeginNoAllocs(t *testing.T) {
	entries := message("sender@example.test", "x\r\n", "a@example.com", "b@example.com")
	entries[0].Msg.EnvID = "env 1"
	s := &Session{opts: &Options{}}
	s.begin(entries)
	if n := testing.AllocsPerRun(100, func() { s.begin(entries) }); n != 0 {
		t.Errorf("begin: %v allocs, want 0", n)
	}
	tx := &s.tx
	if string(tx.From) != "sender@example.test" || string(tx.Mail.EnvID) != "env+201" || len(tx.To) != 2 ||
		string(tx.To[1]) != "b@example.com" || string(tx.Rcpt[1].ORCPTType) != "rfc822" || string(tx.Rcpt[1].ORCPT) != "b@example.com" {
		t.Fatalf("transaction %+v %+v", tx, tx.Rcpt)
	}
}
