package suppress

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func tcheck(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func tcompare[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// mustEntry parses a line-form entry or fails the test.
func mustEntry(t testing.TB, line string) Entry {
	t.Helper()
	e, err := ParseEntry(line)
	tcheck(t, err, "ParseEntry "+line)
	return e
}

// sha256Hex and md5Hex hash as a sender of a hashed file would, without
// the package's helpers.
func sha256Hex(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

func md5Hex(s string) string {
	d := md5.Sum([]byte(s))
	return hex.EncodeToString(d[:])
}
