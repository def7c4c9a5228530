package userauth

import (
	"bytes"
	"errors"
	"testing"
)

// phcCases also seed FuzzParsePHC.
var phcCases = []struct {
	name, in string
	want     error // nil: parses and String reproduces in
}{
	{"reference vector", kaArgon2id, nil},
	{"rfc 9106 second option", "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$NQrDciL0Nsy1wJcvHr079rlYvyBxhBNi", nil},
	{"limits high", "$argon2id$v=19$m=2097152,t=1024,p=255$c29tZXNhbHQ$AAAAAA", nil},
	{"limits low", "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$AAAAAA", nil},
	{"empty", "", errPHCForm},
	{"id only", "$argon2id$", errPHCForm},
	{"other id", "$argon2idx$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCForm},
	{"no version", "$argon2id$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCVersion},
	{"version 16", "$argon2id$v=16$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCVersion},
	{"version leading zero", "$argon2id$v=019$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCVersion},
	{"missing hash", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ", errPHCForm},
	{"extra field", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA$", errPHCForm},
	{"params reordered", "$argon2id$v=19$t=2,m=64,p=1$c29tZXNhbHQ$AAAAAA", errPHCForm},
	{"extra param", "$argon2id$v=19$m=64,t=2,p=1,keyid=x$c29tZXNhbHQ$AAAAAA", errPHCForm},
	{"two params", "$argon2id$v=19$m=64,t=2$c29tZXNhbHQ$AAAAAA", errPHCForm},
	{"m leading zero", "$argon2id$v=19$m=064,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCMemory},
	{"m sign", "$argon2id$v=19$m=+64,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCMemory},
	{"m empty", "$argon2id$v=19$m=,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCMemory},
	{"m too big", "$argon2id$v=19$m=2097153,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCMemory},
	{"m overflow", "$argon2id$v=19$m=99999999999999999999,t=2,p=1$c29tZXNhbHQ$AAAAAA", errPHCMemory},
	{"m below 8p", "$argon2id$v=19$m=31,t=2,p=4$c29tZXNhbHQ$AAAAAA", errPHCMemory},
	{"t zero", "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$AAAAAA", errPHCTime},
	{"t too big", "$argon2id$v=19$m=64,t=1025,p=1$c29tZXNhbHQ$AAAAAA", errPHCTime},
	{"p zero", "$argon2id$v=19$m=64,t=2,p=0$c29tZXNhbHQ$AAAAAA", errPHCThreads},
	{"p 256", "$argon2id$v=19$m=4096,t=2,p=256$c29tZXNhbHQ$AAAAAA", errPHCThreads},
	{"salt short", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbA$AAAAAA", errPHCSalt},
	{"salt padded", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ=$AAAAAA", errPHCSalt},
	{"salt url alphabet", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ_$AAAAAA", errPHCSalt},
	{"salt trailing bits", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHR$AAAAAA", errPHCSalt},
	{"salt with newline", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNh\nbHQ$AAAAAA", errPHCForm},
	{"hash short", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAA", errPHCHash},
	{"hash empty", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$", errPHCHash},
	{"hash bad char", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAA*A", errPHCHash},
}

func TestParsePHC(t *testing.T) {
	for _, tc := range phcCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePHC(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("parsePHC(%q) error %v, want %v", tc.in, err, tc.want)
			}
			if err != nil {
				return
			}
			if out := p.String(); out != tc.in {
				t.Errorf("String() = %q, want %q", out, tc.in)
			}
		})
	}
}

func TestParsePHCFields(t *testing.T) {
	p, err := parsePHC(kaArgon2id)
	if err != nil {
		t.Fatal(err)
	}
	if p.memory != 64 || p.time != 2 || p.threads != 1 || string(p.salt) != "somesalt" || len(p.hash) != 24 {
		t.Fatalf("parsed %+v", p)
	}
	want := []byte{0x06, 0x8d, 0x62, 0xb2}
	if !bytes.HasPrefix(p.hash, want) {
		t.Errorf("hash %x does not start %x", p.hash, want)
	}
}
