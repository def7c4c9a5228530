package userauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/config"
	"golang.org/x/crypto/bcrypt"
)

// Known-answer hashes, so the tests do not only check this package against itself.
const (
	// kaBcrypt is "U*U" at cost 5, from the crypt_blowfish test vectors.
	kaBcrypt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	// kaArgon2id is "password" with salt "somesalt", t=2, m=64, p=1, from the Argon2
	// reference CLI (the vector x/crypto/argon2 tests with).
	kaArgon2id = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3"
)

// pw72 is a password of bcrypt's maximum length.
var pw72 = strings.Repeat("0123456789ab", 6)

func user(name, password, source string, line int) *config.SMTPUser {
	return &config.SMTPUser{Name: name, Password: password, Source: source, Pos: config.Pos{File: "cfg", Line: line}}
}

func mustNew(t testing.TB, users ...*config.SMTPUser) *Store {
	t.Helper()
	s, err := New(users)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func mustBcrypt(t testing.TB, pass string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestCheck(t *testing.T) {
	genArgon, err := HashPassword("argon2id", "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	s := mustNew(t,
		user("alice", "s3cret", "mta1", 1),
		user("bob", "pw with spaces", "", 2),
		user("carol", kaBcrypt, "bulk", 3),
		user("dave", "$2b$"+kaBcrypt[4:], "", 4),
		user("erin", "$2y$"+kaBcrypt[4:], "", 5),
		user("frank", kaArgon2id, "{auth}", 6),
		user("gina", genArgon, "g", 7),
		user("hank", mustBcrypt(t, pw72), "h", 8),
		user("ivan", "$ecret that is not a hash", "", 9),
		user("Δ", "ünïcode", "u", 10),
	)
	cases := []struct {
		name, user, pass string
		ok               bool
		source           string
	}{
		{"plain", "alice", "s3cret", true, "mta1"},
		{"plain wrong", "alice", "s3creT", false, ""},
		{"plain prefix", "alice", "s3cre", false, ""},
		{"plain longer", "alice", "s3cret!", false, ""},
		{"plain empty", "alice", "", false, ""},
		{"user case-sensitive", "Alice", "s3cret", false, ""},
		{"no source", "bob", "pw with spaces", true, ""},
		{"dollar plain", "ivan", "$ecret that is not a hash", true, ""},
		{"utf8", "Δ", "ünïcode", true, "u"},
		{"bcrypt 2a", "carol", "U*U", true, "bulk"},
		{"bcrypt wrong", "carol", "U*V", false, ""},
		{"bcrypt empty", "carol", "", false, ""},
		{"bcrypt 2b", "dave", "U*U", true, ""},
		{"bcrypt 2y", "erin", "U*U", true, ""},
		{"bcrypt 72", "hank", pw72, true, "h"},
		{"bcrypt 73 truncation refused", "hank", pw72 + "x", false, ""},
		{"argon2id", "frank", "password", true, "{auth}"},
		{"argon2id wrong", "frank", "Password", false, ""},
		{"argon2id generated", "gina", "hunter2", true, "g"},
		{"argon2id generated wrong", "gina", "hunter3", false, ""},
		{"unknown", "zed", "s3cret", false, ""},
		{"unknown with hash text", "zed", kaBcrypt, false, ""},
		{"empty user", "", "", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, ok := s.Check([]byte(tc.user), []byte(tc.pass))
			if ok != tc.ok || src != tc.source {
				t.Fatalf("Check(%q, %q) = %q, %v; want %q, %v", tc.user, tc.pass, src, ok, tc.source, tc.ok)
			}
		})
	}
}

func TestNeedsWorker(t *testing.T) {
	s := mustNew(t,
		user("plain", "x", "", 1),
		user("bc", kaBcrypt, "", 2),
		user("ar", kaArgon2id, "", 3),
		user("bc2", "$2b$"+kaBcrypt[4:], "", 4),
	)
	for name, want := range map[string]bool{"plain": false, "bc": true, "ar": true, "bc2": true, "nobody": true} {
		if got := s.NeedsWorker([]byte(name)); got != want {
			t.Errorf("NeedsWorker(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestDummy checks that an unknown user is verified against the most common shape.
func TestDummy(t *testing.T) {
	bc4a, bc4b := mustBcrypt(t, "a"), mustBcrypt(t, "b")
	cases := []struct {
		name  string
		pws   []string
		want  kind
		check func(t *testing.T, d *entry)
	}{
		{"none", nil, kindPlain, nil},
		{"all plain", []string{"a", "b", kaBcrypt}, kindPlain, nil},
		{"bcrypt majority", []string{"a", kaBcrypt, bc4a, bc4b}, kindBcrypt, func(t *testing.T, d *entry) {
			if c, err := bcrypt.Cost(d.bcrypt); err != nil || c != bcrypt.MinCost {
				t.Errorf("dummy cost %d, %v; want %d", c, err, bcrypt.MinCost)
			}
			if err := checkBcrypt(string(d.bcrypt)); err != nil {
				t.Errorf("dummy %q: %v", d.bcrypt, err)
			}
		}},
		{"tie goes to the first", []string{kaArgon2id, kaBcrypt, "x"}, kindArgon2id, func(t *testing.T, d *entry) {
			p, _ := parsePHC(kaArgon2id)
			if d.phc.memory != p.memory || d.phc.time != p.time || d.phc.threads != p.threads ||
				len(d.phc.salt) != len(p.salt) || len(d.phc.hash) != len(p.hash) {
				t.Errorf("dummy %s does not have the shape of %s", d.phc.String(), kaArgon2id)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var users []*config.SMTPUser
			for i, pw := range tc.pws {
				users = append(users, user(string(rune('a'+i)), pw, "", i+1))
			}
			s := mustNew(t, users...)
			if s.dummy.kind != tc.want {
				t.Fatalf("dummy kind %v, want %v", s.dummy.kind, tc.want)
			}
			if got := s.NeedsWorker([]byte("nobody")); got != tc.want.slow() {
				t.Errorf("NeedsWorker(unknown) = %v", got)
			}
			if _, ok := s.Check([]byte("nobody"), []byte("a")); ok {
				t.Error("unknown user accepted")
			}
			if tc.check != nil {
				tc.check(t, &s.dummy)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	nonCanonical := kaBcrypt[:len(kaBcrypt)-1] + "X" // 'X' leaves trailing bits set
	cases := []struct {
		name, password string
		want           error
	}{
		{"empty", "", errNoPassword},
		{"bcrypt short", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9", errBcryptLen},
		{"bcrypt long", kaBcrypt + "W", errBcryptLen},
		{"bcrypt cost 3", "$2a$03$" + kaBcrypt[7:], errBcryptCost},
		{"bcrypt cost 32", "$2a$32$" + kaBcrypt[7:], errBcryptCost},
		{"bcrypt cost letter", "$2a$0x$" + kaBcrypt[7:], errBcryptCost},
		{"bcrypt no separator", "$2a$05C" + kaBcrypt[7:], errBcryptCost},
		{"bcrypt bad salt", "$2a$05$CCCCCCCCC!CCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", errBcryptSalt},
		{"bcrypt bad hash", kaBcrypt[:40] + "+" + kaBcrypt[41:], errBcryptHash},
		{"bcrypt non-canonical hash", nonCanonical, errBcryptHash},
		{"bcrypt 2x", "$2x$" + kaBcrypt[4:], errBcryptVariant},
		{"bcrypt 2", "$2$05$" + kaBcrypt[7:], errBcryptVariant},
		{"argon2i", "$argon2i$v=19$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3", errArgonVariant},
		{"argon2d", "$argon2d$v=19$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3", errArgonVariant},
		{"argon2id v16", "$argon2id$v=16$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3", errPHCVersion},
		{"argon2id no version", "$argon2id$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3", errPHCVersion},
		{"argon2id t=0", "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3", errPHCTime},
		{"argon2id truncated", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ", errPHCForm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New([]*config.SMTPUser{user("ok", "fine", "", 1), user("mallory", tc.password, "", 12)})
			if s != nil || err == nil {
				t.Fatalf("New = %v, %v; want an error", s, err)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			var ue *UserError
			if !errors.As(err, &ue) || ue.User != "mallory" || ue.Pos.Line != 12 {
				t.Fatalf("error %q: not a *UserError for mallory at line 12", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `userauth: cfg:12: smtp-user "mallory": `) {
				t.Errorf("message %q lacks position and user", msg)
			}
			if tc.password != "" && strings.Contains(msg, tc.password) {
				t.Errorf("message %q contains the password", msg)
			}
		})
	}
}

func TestNewErrorsAll(t *testing.T) {
	_, err := New([]*config.SMTPUser{
		user("a", "", "", 1),
		user("b", "x", "", 2),
		user("b", "y", "", 3),
		{Name: "c", Password: "$2a$"},
		nil,
	})
	want := []string{
		`userauth: cfg:1: smtp-user "a": no password`,
		`userauth: cfg:3: smtp-user "b": duplicate user`,
		`userauth: smtp-user "c": malformed bcrypt hash: not 60 characters`,
		`userauth: smtp-user "": nil entry`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("New error:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestCheckAllocs(t *testing.T) {
	s := mustNew(t, user("alice", "s3cret", "mta1", 1), user("bob", "pw", "", 2))
	u, good, bad, nobody := []byte("alice"), []byte("s3cret"), []byte("wrong"), []byte("nobody")
	for name, f := range map[string]func(){
		"good":        func() { s.Check(u, good) },
		"bad":         func() { s.Check(u, bad) },
		"unknown":     func() { s.Check(nobody, good) },
		"NeedsWorker": func() { s.NeedsWorker(u) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[kind]string{kindPlain: "plain", kindBcrypt: "bcrypt", kindArgon2id: "argon2id", kindCount: "kind(3)"} {
		if got := k.String(); got != want {
			t.Errorf("kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
