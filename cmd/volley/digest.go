package main

// `volley digest`: the digest of an address as hashed suppression lists hold it
// (hashed-address-file: the lower-cased address, a hex digest per line), so an operator can
// check or build such a list by hand. It works offline.

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/volleymta/volley/internal/siphash"
)

// runDigest is `digest [--md5|--hmac-sha256|--siphash] [--key K] STRING`. The string is
// trimmed and lower-cased first, as addresses are before hashing. Default SHA-256; --md5
// for PowerMTA-style files; --hmac-sha256 keyed with --key (any text); --siphash is
// SipHash-2-4 keyed with --key as 32 hex digits (16 bytes), printed as 16 hex digits.
func runDigest(o options, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useMD5 := fs.Bool("md5", false, "MD5 instead of SHA-256")
	useHMAC := fs.Bool("hmac-sha256", false, "HMAC-SHA-256 keyed with --key")
	useSip := fs.Bool("siphash", false, "SipHash-2-4 keyed with --key (32 hex digits)")
	key := fs.String("key", "", "the `KEY` of --hmac-sha256 or --siphash")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: volley digest [--md5|--hmac-sha256|--siphash] [--key KEY] STRING")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	n := 0
	for _, b := range []bool{*useMD5, *useHMAC, *useSip} {
		if b {
			n++
		}
	}
	if fs.NArg() != 1 || n > 1 {
		fs.Usage()
		return exitUsage
	}
	s := []byte(strings.ToLower(strings.TrimSpace(fs.Arg(0))))
	var sum string
	switch {
	case *useMD5:
		d := md5.Sum(s)
		sum = hex.EncodeToString(d[:])
	case *useHMAC:
		if *key == "" {
			fmt.Fprintln(stderr, "volley: digest --hmac-sha256 needs --key")
			return exitUsage
		}
		m := hmac.New(sha256.New, []byte(*key))
		m.Write(s)
		sum = hex.EncodeToString(m.Sum(nil))
	case *useSip:
		k, err := hex.DecodeString(*key)
		if err != nil || len(k) != 16 {
			fmt.Fprintln(stderr, "volley: digest --siphash needs --key of 32 hex digits (16 bytes)")
			return exitUsage
		}
		sum = fmt.Sprintf("%016x", siphash.Sum24(binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:]), string(s)))
	default:
		d := sha256.Sum256(s)
		sum = hex.EncodeToString(d[:])
	}
	if o.json {
		fmt.Fprintf(stdout, "{\"input\": %q, \"digest\": %q}\n", s, sum)
		return exitOK
	}
	fmt.Fprintln(stdout, sum)
	return exitOK
}
