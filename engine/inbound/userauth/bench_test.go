package userauth

import "testing"

// BenchmarkCheck measures the plain text path, which runs on the shard's event loop.
func BenchmarkCheck(b *testing.B) {
	s := mustNew(b, user("alice", "correct horse battery staple", "mta1", 1), user("bob", "pw", "", 2))
	for _, bc := range []struct{ name, user, pass string }{
		{"good", "alice", "correct horse battery staple"},
		{"wrong", "alice", "correct horse battery stapler"},
		{"unknown", "mallory", "correct horse battery staple"},
	} {
		u, p := []byte(bc.user), []byte(bc.pass)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				s.Check(u, p)
			}
		})
	}
}
