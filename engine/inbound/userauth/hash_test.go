package userauth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPassword(t *testing.T) {
	cases := []struct {
		kind, pass, prefix string
		want               kind
	}{
		{"bcrypt", "hunter2", "$2a$04$", kindBcrypt},
		{"bcrypt", "", "$2a$04$", kindBcrypt},
		{"bcrypt", pw72, "$2a$04$", kindBcrypt},
		{"argon2id", "hunter2", "$argon2id$v=19$m=19456,t=2,p=1$", kindArgon2id},
		{"argon2id", "", "$argon2id$v=19$m=19456,t=2,p=1$", kindArgon2id},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.pass, func(t *testing.T) {
			h, err := hashPassword(tc.kind, tc.pass, bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, tc.prefix) {
				t.Fatalf("hash %q does not start %q", h, tc.prefix)
			}
			e, err := newEntry(h)
			if err != nil || e.kind != tc.want {
				t.Fatalf("newEntry(%q) = %v, %v", h, e, err)
			}
			if tc.want == kindArgon2id && (len(e.phc.salt) != Argon2SaltLen || len(e.phc.hash) != Argon2HashLen) {
				t.Errorf("salt %d, hash %d bytes", len(e.phc.salt), len(e.phc.hash))
			}
			if !e.verify([]byte(tc.pass)) {
				t.Error("the password does not verify against its hash")
			}
			if e.verify([]byte(tc.pass + "x")) {
				t.Error("a wrong password verifies")
			}
			h2, _ := hashPassword(tc.kind, tc.pass, bcrypt.MinCost)
			if h2 == h {
				t.Error("two hashes of the same password are equal: salt not random")
			}
		})
	}
}

// TestHashPasswordDefault checks the exported defaults once; bcrypt at cost 10 is slow
// under -race.
func TestHashPasswordDefault(t *testing.T) {
	for kind, prefix := range map[string]string{"bcrypt": "$2a$10$", "argon2id": "$argon2id$v=19$m=19456,t=2,p=1$"} {
		h, err := HashPassword(kind, "hunter2")
		if err != nil || !strings.HasPrefix(h, prefix) {
			t.Fatalf("HashPassword(%q) = %q, %v; want prefix %q", kind, h, err, prefix)
		}
		s := mustNew(t, user("u", h, "src", 1))
		if src, ok := s.Check([]byte("u"), []byte("hunter2")); !ok || src != "src" {
			t.Errorf("%s: Check = %q, %v", kind, src, ok)
		}
	}
}

func TestHashPasswordErrors(t *testing.T) {
	if _, err := HashPassword("md5", "x"); !errors.Is(err, errUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := HashPassword("plain", "x"); !errors.Is(err, errUnknownKind) {
		t.Errorf("plain: %v", err)
	}
	if _, err := HashPassword("bcrypt", pw72+"x"); !errors.Is(err, bcrypt.ErrPasswordTooLong) {
		t.Errorf("73 bytes: %v", err)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		in   string
		want kind
		err  error
	}{
		{"secret", kindPlain, nil},
		{"$", kindPlain, nil},
		{"$1$salt$hash", kindPlain, nil}, // not a form userauth knows: plain text
		{"$2", kindPlain, nil},
		{"$2c$", kindPlain, nil},
		{kaBcrypt, kindBcrypt, nil},
		{"$2y$" + kaBcrypt[4:], kindBcrypt, nil},
		{"$2x$" + kaBcrypt[4:], kindBcrypt, errBcryptVariant},
		{kaArgon2id, kindArgon2id, nil},
		{"$argon2", kindArgon2id, errArgonVariant},
	}
	for _, tc := range cases {
		k, err := classify(tc.in)
		if k != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("classify(%q) = %v, %v; want %v, %v", tc.in, k, err, tc.want, tc.err)
		}
	}
}
