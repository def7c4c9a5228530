package suppress

import (
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

const million = 1_000_000

func benchAddress(i int) string {
	return "user" + strconv.Itoa(i) + "@example" + strconv.Itoa(i%1000) + ".com"
}

// buildList returns a list of n entries of kind k, made from benchAddress.
func buildList(tb testing.TB, n int, k Kind) *List {
	tb.Helper()
	entries := make([]Entry, n)
	for i := range entries {
		switch k {
		case KindSHA256, KindMD5:
			e, err := HashedEntry(k, benchAddress(i))
			tcheck(tb, err, "HashedEntry")
			entries[i] = e
		default:
			entries[i] = Entry{KindAddress, benchAddress(i)}
		}
	}
	l := NewList("bench")
	_, err := l.Add(entries...)
	tcheck(tb, err, "Add")
	return l
}

// sample returns addresses to check, at random positions so that lookups
// miss the CPU caches as they would in production.
func sample(f func(i int) string) []string {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, 4096)
	for i := range out {
		out[i] = f(rng.IntN(million))
	}
	return out
}

func benchCheck(b *testing.B, l *List, addrs []string, wantHit bool) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := l.Check(addrs[i%len(addrs)]); ok != wantHit {
			b.Fatalf("Check(%s) = %v", addrs[i%len(addrs)], ok)
		}
	}
}

// BenchmarkCheck1M checks addresses against lists of a million entries.
func BenchmarkCheck1M(b *testing.B) {
	plain := buildList(b, million, KindAddress)
	var wild []Entry
	for i := range 1000 {
		wild = append(wild, Entry{KindDomain, "blocked" + strconv.Itoa(i) + ".example"},
			Entry{KindSubdomain, "wild" + strconv.Itoa(i) + ".example"})
	}
	_, err := plain.Add(wild...)
	tcheck(b, err, "Add")
	hashed := buildList(b, million, KindSHA256)
	hashedMD5 := buildList(b, million, KindMD5)

	b.Run("plain-hit", func(b *testing.B) {
		benchCheck(b, plain, sample(benchAddress), true)
	})
	b.Run("plain-hit-upper-case", func(b *testing.B) {
		benchCheck(b, plain, sample(func(i int) string { return "User" + strconv.Itoa(i) + "@Example" + strconv.Itoa(i%1000) + ".COM" }), true)
	})
	b.Run("plain-miss", func(b *testing.B) {
		benchCheck(b, plain, sample(func(i int) string { return "other" + strconv.Itoa(i) + "@mail.example" + strconv.Itoa(i%1000) + ".com" }), false)
	})
	b.Run("domain-hit", func(b *testing.B) {
		benchCheck(b, plain, sample(func(i int) string { return "x" + strconv.Itoa(i) + "@blocked" + strconv.Itoa(i%1000) + ".example" }), true)
	})
	b.Run("subdomain-hit", func(b *testing.B) {
		benchCheck(b, plain, sample(func(i int) string { return "x" + strconv.Itoa(i) + "@mx.eu.wild" + strconv.Itoa(i%1000) + ".example" }), true)
	})
	b.Run("sha256-hit", func(b *testing.B) {
		benchCheck(b, hashed, sample(benchAddress), true)
	})
	b.Run("sha256-miss", func(b *testing.B) {
		benchCheck(b, hashed, sample(func(i int) string { return "other" + strconv.Itoa(i) + "@example.com" }), false)
	})
	b.Run("md5-hit", func(b *testing.B) {
		benchCheck(b, hashedMD5, sample(benchAddress), true)
	})
	plain.name, hashed.name, hashedMD5.name = "plain", "sha256", "md5"
	set, err := NewSet([]*List{plain, hashed}, []*List{hashedMD5})
	tcheck(b, err, "NewSet")
	b.Run("set-3x1M-miss", func(b *testing.B) {
		addrs := sample(func(i int) string { return "other" + strconv.Itoa(i) + "@mail.example.com" })
		names := []string{"md5"}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := set.Check(addrs[i%len(addrs)], names); ok {
				b.Fatal("hit")
			}
		}
	})
}

// BenchmarkAdd adds entries one at a time (as hard bounces and the API
// do) into lists of several sizes; ns/op is the amortised cost of one.
func BenchmarkAdd(b *testing.B) {
	for _, size := range []int{0, million} {
		b.Run("single-into-"+strconv.Itoa(size), func(b *testing.B) {
			l := buildList(b, size, KindAddress)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := l.Add(Entry{KindAddress, "new" + strconv.Itoa(i) + "@example.com"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("1000-singles-into-1M", func(b *testing.B) {
		l := buildList(b, million, KindAddress)
		b.ReportAllocs()
		for n := 0; b.Loop(); n++ {
			for i := range 1000 {
				l.Add(Entry{KindAddress, "new" + strconv.Itoa(n*1000+i) + "@example.com"})
			}
		}
	})
	b.Run("remove-single-from-1M", func(b *testing.B) {
		l := buildList(b, million, KindAddress)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l.Remove(Entry{KindAddress, benchAddress(i % million)})
		}
	})
}

// BenchmarkBuild1M builds a list of a million addresses (25 bytes on
// average) in one batch and reports the heap it holds per entry.
func BenchmarkBuild1M(b *testing.B) {
	entries := make([]Entry, million)
	for i := range entries {
		entries[i] = Entry{KindAddress, benchAddress(i)}
	}
	b.ReportAllocs()
	var perEntry float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		l := NewList("b")
		l.Add(entries...)
		runtime.GC()
		runtime.ReadMemStats(&after)
		// The list copies the keys into its arena, so this is all it holds.
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / million
		runtime.KeepAlive(l)
	}
	b.ReportMetric(perEntry, "bytes/entry")
}

// BenchmarkStoreAdd adds one entry durably per op: a journal write and an
// fsync.
func BenchmarkStoreAdd(b *testing.B) {
	s, err := OpenStore(filepath.Join(b.TempDir(), "j"))
	tcheck(b, err, "OpenStore")
	defer s.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Add(Entry{KindAddress, "new" + strconv.Itoa(i) + "@example.com"}); err != nil {
			b.Fatal(err)
		}
	}
}
