package spool

import (
	"errors"
	"slices"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Codec names how bodies are compressed. The first byte of every stored body
// is its codec, so a spool written with one codec reads under another.
type Codec uint8

const (
	// CodecAuto, the default, is zstd at its fastest level for bodies of
	// autoZstdMin bytes or more and S2 below. Measured on the generated
	// corpus (compress_bench_test.go): zstd stores 22% fewer bytes than S2
	// overall, but under 8 KB it encodes at ~100 MB/s against S2's ~600
	// (a fixed cost per call), while those messages hold 3% of the bytes:
	// S2 there costs under 1% of disk and a sixth of the CPU.
	CodecAuto Codec = iota
	// CodecZstd is zstd at its fastest level for every body.
	CodecZstd
	// CodecS2 is S2 (Snappy-compatible, faster, larger).
	CodecS2
	// CodecNone stores bodies as they are.
	CodecNone
	codecCount
)

// Stored body tags (the first byte of a body value).
const (
	tagRaw  byte = 0
	tagZstd byte = 1
	tagS2   byte = 2
)

// minCompress is the body size below which compressing is not worth its
// cost; autoZstdMin is where CodecAuto switches from S2 to zstd.
const (
	minCompress = 256
	autoZstdMin = 8 << 10
)

// compressor encodes and decodes bodies; safe for concurrent use (zstd's
// EncodeAll and DecodeAll are).
type compressor struct {
	codec Codec
	enc   *zstd.Encoder
	dec   *zstd.Decoder
}

func newCompressor(c Codec) (*compressor, error) {
	if c >= codecCount {
		return nil, errors.New("spool: unknown codec")
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(true), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return nil, err
	}
	return &compressor{codec: c, enc: enc, dec: dec}, nil
}

// encode appends the stored form of body to dst.
func (c *compressor) encode(dst, body []byte) []byte {
	if len(body) < minCompress || c.codec == CodecNone {
		return append(append(dst, tagRaw), body...)
	}
	codec := c.codec
	if codec == CodecAuto {
		codec = CodecZstd
		if len(body) < autoZstdMin {
			codec = CodecS2
		}
	}
	switch codec {
	case CodecS2:
		// Straight into dst (a pooled buffer): s2.Encode writes in place
		// when given room for its worst case, so no body-sized garbage.
		dst = append(dst, tagS2)
		n := len(dst)
		dst = slices.Grow(dst, s2.MaxEncodedLen(len(body)))
		return dst[:n+len(s2.Encode(dst[n:cap(dst)], body))]
	default:
		return c.enc.EncodeAll(body, append(dst, tagZstd))
	}
}

// decode returns the body a stored value holds.
func (c *compressor) decode(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, ErrCorrupt
	}
	switch v[0] {
	case tagRaw:
		return append([]byte(nil), v[1:]...), nil
	case tagZstd:
		b, err := c.dec.DecodeAll(v[1:], nil)
		if err != nil {
			return nil, ErrCorrupt
		}
		return b, nil
	case tagS2:
		b, err := s2.Decode(nil, v[1:])
		if err != nil {
			return nil, ErrCorrupt
		}
		return b, nil
	}
	return nil, ErrCorrupt
}

func (c *compressor) close() {
	_ = c.enc.Close()
	c.dec.Close()
}
