package spool

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// The compression benchmark for the spool's body codecs, over the generated
// marketing-mail corpus of corpus_test.go:
//
//	go test -run '^$' -bench Compression -benchtime 20x ./spool
//	VOLLEY_COMPRESSION_REPORT=1 go test -run TestCompressionReport -v ./spool
//
// The report prints ratio, compressed bytes per message, encode and decode
// MB/s per codec, and the real bytes on disk per message of a spool holding
// 2,000 corpus messages under each Codec.

const (
	// dictSmall is the size below which the dictionary codec uses its dictionary.
	dictSmall = 8 << 10
	// dictSeed seeds the training corpus, distinct from every measured corpus.
	dictSeed = 0xd1c7
	// tagZstdDictTest tags dictionary-compressed bodies in these tests only.
	tagZstdDictTest byte = 0xfd
)

// codecCase is one way to store a body: encode appends the stored form
// (tag byte first, as the spool stores it) and decode reverses it.
type codecCase struct {
	name   string
	encode func(dst, body []byte) []byte
	decode func(v []byte) ([]byte, error)
}

var trainedDict struct {
	once sync.Once
	dict []byte
	err  error
}

// corpusDict returns a zstd dictionary trained on a corpus sample that no
// benchmark measures (built once per process).
func corpusDict() ([]byte, error) {
	d := &trainedDict
	d.once.Do(func() {
		// 100 samples cut to 8 KB train in under a second and gave the best
		// dictionary of the sample sizes tried (300 x 32 KB, 150 x 16 KB,
		// 100 x 4 KB, 60 x 8 KB: 2-3% larger output on messages < 8 KB).
		sample := genCorpus(100, dictSeed)
		for i, msg := range sample {
			sample[i] = msg[:min(len(msg), dictSmall)]
		}
		d.dict, d.err = dict.BuildZstdDict(sample, dict.Options{MaxDictSize: 64 << 10, HashBytes: 6,
			ZstdDictID: 0x566f6c31, ZstdLevel: zstd.SpeedFastest})
	})
	return d.dict, d.err
}

// newCodecCases returns the benchmarked codecs: the spool's compressor for
// zstd (fastest) and S2, plus zstd default, S2 better and zstd fastest with
// a trained dictionary for bodies under dictSmall. Resources are released
// at the end of tb.
func newCodecCases(tb testing.TB) []codecCase {
	tb.Helper()
	zc, sc := mustCompressor(tb, CodecZstd), mustCompressor(tb, CodecS2)
	zdef, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(true), zstd.WithLowerEncoderMem(true))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = zdef.Close() })
	dictEnc, dictDec := dictCodec(tb)
	return []codecCase{
		{name: "zstd-fastest", encode: zc.encode, decode: zc.decode},
		{name: "zstd-default", decode: zc.decode, encode: func(dst, body []byte) []byte {
			if len(body) < minCompress {
				return zc.encode(dst, body)
			}
			return zdef.EncodeAll(body, append(dst, tagZstd))
		}},
		{name: "s2", encode: sc.encode, decode: sc.decode},
		{name: "s2-better", decode: sc.decode, encode: func(dst, body []byte) []byte {
			if len(body) < minCompress {
				return sc.encode(dst, body)
			}
			return append(append(dst, tagS2), s2.EncodeBetter(nil, body)...)
		}},
		{name: "zstd-fastest+dict<8K", encode: func(dst, body []byte) []byte {
			if len(body) < minCompress || len(body) >= dictSmall {
				return zc.encode(dst, body)
			}
			return dictEnc.EncodeAll(body, append(dst, tagZstdDictTest))
		}, decode: func(v []byte) ([]byte, error) {
			if len(v) > 0 && v[0] == tagZstdDictTest {
				return dictDec.DecodeAll(v[1:], nil)
			}
			return zc.decode(v)
		}},
	}
}

func mustCompressor(tb testing.TB, c Codec) *compressor {
	tb.Helper()
	comp, err := newCompressor(c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(comp.close)
	return comp
}

// dictCodec returns a zstd fastest encoder and a decoder using corpusDict.
func dictCodec(tb testing.TB) (*zstd.Encoder, *zstd.Decoder) {
	tb.Helper()
	d, err := corpusDict()
	if err != nil {
		tb.Fatalf("training the dictionary: %v", err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true),
		zstd.WithLowerEncoderMem(true), zstd.WithEncoderDict(d))
	if err != nil {
		tb.Fatal(err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderDicts(d))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = enc.Close(); dec.Close() })
	return enc, dec
}

var benchCorpusOnce = sync.OnceValue(func() [][]byte { return genCorpus(300, 1) })

// smallOnly returns the messages under dictSmall.
func smallOnly(corpus [][]byte) [][]byte {
	var small [][]byte
	for _, msg := range corpus {
		if len(msg) < dictSmall {
			small = append(small, msg)
		}
	}
	return small
}

func corpusBytes(corpus [][]byte) int64 {
	var n int64
	for _, msg := range corpus {
		n += int64(len(msg))
	}
	return n
}

// BenchmarkCompression encodes and decodes the whole corpus per operation
// (b.SetBytes is the corpus size, so MB/s is the codec's throughput), over
// all messages and over the small ones (< 8 KB) the dictionary targets.
func BenchmarkCompression(b *testing.B) {
	all := benchCorpusOnce()
	for _, set := range []struct {
		name   string
		corpus [][]byte
	}{{"all", all}, {"small", smallOnly(all)}} {
		for _, cc := range newCodecCases(b) {
			b.Run(set.name+"/"+cc.name+"/encode", func(b *testing.B) { benchEncode(b, cc, set.corpus) })
			b.Run(set.name+"/"+cc.name+"/decode", func(b *testing.B) { benchDecode(b, cc, set.corpus) })
		}
	}
}

func benchEncode(b *testing.B, cc codecCase, corpus [][]byte) {
	b.ReportAllocs()
	b.SetBytes(corpusBytes(corpus))
	var dst []byte
	var stored int64
	for b.Loop() {
		stored = 0
		for _, msg := range corpus {
			dst = cc.encode(dst[:0], msg)
			stored += int64(len(dst))
		}
	}
	b.ReportMetric(float64(corpusBytes(corpus))/float64(stored), "ratio")
	b.ReportMetric(float64(stored)/float64(len(corpus)), "B/msg")
}

func benchDecode(b *testing.B, cc codecCase, corpus [][]byte) {
	stored := make([][]byte, len(corpus))
	for i, msg := range corpus {
		stored[i] = cc.encode(nil, msg)
	}
	b.ReportAllocs()
	b.SetBytes(corpusBytes(corpus))
	for b.Loop() {
		for _, v := range stored {
			if _, err := cc.decode(v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// codecStats are one codec's measurements over a corpus.
type codecStats struct {
	ratio               float64
	meanBytes, medBytes float64
	encMBs, decMBs      float64
}

// measureCodec encodes and decodes corpus reps times each, keeping the best
// pass (the machine is noisy; the best pass is the least disturbed).
func measureCodec(tb testing.TB, cc codecCase, corpus [][]byte, reps int) codecStats {
	raw := corpusBytes(corpus)
	stored := make([][]byte, len(corpus))
	bestEnc, bestDec := time.Duration(1<<62), time.Duration(1<<62)
	for range reps {
		start := time.Now()
		for i, msg := range corpus {
			stored[i] = cc.encode(stored[i][:0], msg)
		}
		bestEnc = min(bestEnc, time.Since(start))
		start = time.Now()
		for i, v := range stored {
			got, err := cc.decode(v)
			if err != nil || len(got) != len(corpus[i]) {
				tb.Fatalf("%s: message %d does not round-trip: %v", cc.name, i, err)
			}
		}
		bestDec = min(bestDec, time.Since(start))
	}
	sizes := make([]int, len(stored))
	var total int64
	for i, v := range stored {
		sizes[i] = len(v)
		total += int64(len(v))
	}
	slices.Sort(sizes)
	mb := float64(raw) / 1e6
	return codecStats{ratio: float64(raw) / float64(total), meanBytes: float64(total) / float64(len(stored)),
		medBytes: float64(sizes[len(sizes)/2]), encMBs: mb / bestEnc.Seconds(), decMBs: mb / bestDec.Seconds()}
}

// TestCompressionReport prints the compression table. It runs with -v (a
// 300-message corpus) or VOLLEY_COMPRESSION_REPORT=1 (2,000 messages, the
// issue's size); it reports and never fails on the numbers.
func TestCompressionReport(t *testing.T) {
	full := os.Getenv("VOLLEY_COMPRESSION_REPORT") == "1"
	if !full && !testing.Verbose() {
		t.Skip("run with -v or VOLLEY_COMPRESSION_REPORT=1")
	}
	n, reps := 300, 3
	if full {
		n, reps = 2000, 5
	}
	corpus := genCorpus(n, 1)
	raw := corpusBytes(corpus)
	sizes := make([]int, n)
	for i, msg := range corpus {
		sizes[i] = len(msg)
	}
	slices.Sort(sizes)
	small := smallOnly(corpus)
	t.Logf("corpus: %d messages, %.1f MB, mean %d B, median %d B; %d under 8 KB (%.1f%% of bytes)",
		n, float64(raw)/1e6, raw/int64(n), sizes[n/2], len(small), 100*float64(corpusBytes(small))/float64(raw))
	cases := newCodecCases(t)
	for _, set := range []struct {
		name   string
		corpus [][]byte
	}{{"all messages", corpus}, {"messages < 8 KB", small}} {
		var b strings.Builder
		fmt.Fprintf(&b, "%s:\n%-22s %7s %12s %12s %12s %12s\n", set.name, "codec", "ratio", "mean B/msg", "median B/msg", "encode MB/s", "decode MB/s")
		for _, cc := range cases {
			st := measureCodec(t, cc, set.corpus, reps)
			fmt.Fprintf(&b, "%-22s %7.2f %12.0f %12.0f %12.0f %12.0f\n", cc.name, st.ratio, st.meanBytes, st.medBytes, st.encMBs, st.decMBs)
		}
		t.Log("\n" + b.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "spool on disk, %d messages (after a full compaction):\n%-8s %14s %14s %14s %12s\n",
		n, "codec", "stored B/msg", "DiskUsage/msg", "files B/msg", "append MB/s")
	for _, c := range []Codec{CodecAuto, CodecZstd, CodecS2, CodecNone} {
		d := measureDisk(t, c, corpus)
		fmt.Fprintf(&b, "%-8s %14.0f %14.0f %14.0f %12.1f\n", codecName(c), d.stored/float64(n),
			d.usage/float64(n), d.files/float64(n), float64(raw)/1e6/d.appendTime.Seconds())
	}
	t.Log("\n" + b.String())
}

func codecName(c Codec) string {
	return [...]string{CodecAuto: "auto", CodecZstd: "zstd", CodecS2: "s2", CodecNone: "none"}[c]
}

type diskStats struct {
	stored, usage, files float64
	appendTime           time.Duration
}

// measureDisk appends corpus to a fresh spool on disk under codec c (16
// concurrent callers, durable appends), closes and reopens it, compacts the
// whole key space, closes it (letting Pebble delete the obsolete files) and
// measures the files' sizes, then reopens it for Pebble's DiskUsage.
func measureDisk(t *testing.T, c Codec, corpus [][]byte) diskStats {
	dir := t.TempDir()
	s, err := Open(dir, Options{Codec: c})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(corpus)); i = next.Add(1) - 1 {
				m := &Message{From: "news@example.test", Job: "campaign-7", VMTA: "pool-a", Origin: "smtp 192.0.2.1",
					Recipients: []Recipient{{Addr: fmt.Sprintf("r%d@example.com", i), Notify: NotifyFailure}}}
				if _, err := s.Append(context.Background(), m, corpus[i]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	d := diskStats{appendTime: time.Since(start), stored: float64(s.Stats().StoredBytes)}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{Codec: c}); err != nil {
		t.Fatal(err)
	}
	err = s.db.Compact(context.Background(), []byte{0}, []byte{0xff, 0xff}, false)
	if cerr := s.Close(); err == nil {
		err = cerr // Close waits for the obsolete files' deletion
	}
	if err != nil {
		t.Fatal(err)
	}
	d.files = float64(dataFilesSize(t, dir))
	if s, err = Open(dir, Options{Codec: c}); err != nil {
		t.Fatal(err)
	}
	d.usage = float64(s.DiskUsage())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return d
}

// dataFilesSize sums the sizes of the Pebble data files in dir: tables,
// blob files and write-ahead logs.
func dataFilesSize(t *testing.T, dir string) int64 {
	var total int64
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".sst", ".blob", ".log":
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}
