package suppress

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	sha := sha256Hex("user@example.com")
	md := md5Hex("user@example.com")
	tests := []struct {
		name, line string
		want       Entry
		wantErr    bool
	}{
		{"address", "user@example.com", Entry{KindAddress, "user@example.com"}, false},
		{"upper case", "User@Example.COM", Entry{KindAddress, "user@example.com"}, false},
		{"spaces", " \tuser@example.com \r", Entry{KindAddress, "user@example.com"}, false},
		{"brackets", "<user@example.com>", Entry{KindAddress, "user@example.com"}, false},
		{"brackets and spaces", " < user@example.com > ", Entry{KindAddress, "user@example.com"}, false},
		{"unicode", "Ünïcode@Bücher.DE", Entry{KindAddress, "ünïcode@bücher.de"}, false},
		{"plus tag", "a+tag@example.com", Entry{KindAddress, "a+tag@example.com"}, false},
		{"address literal", "a@[192.0.2.1]", Entry{KindAddress, "a@[192.0.2.1]"}, false},
		{"domain", "@Example.com", Entry{KindDomain, "example.com"}, false},
		{"domain star", "*@example.com", Entry{KindDomain, "example.com"}, false},
		{"subdomain", "@*.example.com", Entry{KindSubdomain, "example.com"}, false},
		{"subdomain star", "*@*.Example.com", Entry{KindSubdomain, "example.com"}, false},
		{"local part", "Postmaster@*", Entry{KindLocalPart, "postmaster"}, false},
		{"sha256", sha, Entry{KindSHA256, sha}, false},
		{"sha256 upper", strings.ToUpper(sha), Entry{KindSHA256, sha}, false},
		{"md5", md, Entry{KindMD5, md}, false},
		{"md5 upper", strings.ToUpper(md), Entry{KindMD5, md}, false},
		{"bare word", "postmaster", Entry{}, true},
		{"hex of wrong length", md[:31], Entry{}, true},
		{"empty", "", Entry{}, true},
		{"only at", "@", Entry{}, true},
		{"empty local", "@", Entry{}, true},
		{"star domain", "*@*", Entry{}, true},
		{"empty domain", "user@", Entry{}, true},
		{"two ats", "a@b@example.com", Entry{}, true},
		{"space inside", "us er@example.com", Entry{}, true},
		{"bracket inside", "user@exa<mple.com", Entry{}, true},
		{"dot dot", "user@example..com", Entry{}, true},
		{"leading dot", "@.example.com", Entry{}, true},
		{"trailing dot", "@example.com.", Entry{}, true},
		{"star inside", "@ex*ample.com", Entry{}, true},
		{"star local", "*@*.*.com", Entry{}, true},
		{"hash local", "#user@example.com", Entry{}, true},
		{"bad utf8", "us\xffer@example.com", Entry{}, true},
		{"too long", strings.Repeat("a", 600) + "@example.com", Entry{}, true},
		{"control", "us\x01er@example.com", Entry{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEntry(tc.line)
			if tc.wantErr {
				var ee *EntryError
				if !errors.As(err, &ee) {
					t.Fatalf("ParseEntry(%q) = %v, %v; want an *EntryError", tc.line, got, err)
				}
				return
			}
			tcheck(t, err, "ParseEntry")
			tcompare(t, "entry", got, tc.want)
			back, err := ParseEntry(got.String())
			tcheck(t, err, "ParseEntry(String)")
			tcompare(t, "re-parsed", back, got)
		})
	}
}

func TestNewEntryKinds(t *testing.T) {
	tests := []struct {
		kind    Kind
		value   string
		want    string
		wantErr bool
	}{
		{KindAddress, "<A@B.c>", "a@b.c", false},
		{KindAddress, "ab.c", "", true},
		{KindLocalPart, "Postmaster", "postmaster", false},
		{KindLocalPart, "a@b", "", true},
		{KindLocalPart, "*", "", true},
		{KindDomain, "Example.COM", "example.com", false},
		{KindDomain, "*.example.com", "", true},
		{KindSubdomain, "example.com", "example.com", false},
		{KindSHA256, md5Hex("x"), "", true},
		{KindMD5, sha256Hex("x"), "", true},
		{KindMD5, strings.ToUpper(md5Hex("x")), md5Hex("x"), false},
		{KindMD5, strings.Repeat("g", 32), "", true},
		{kindCount, "x", "", true},
	}
	for _, tc := range tests {
		got, err := NewEntry(tc.kind, tc.value)
		if tc.wantErr {
			if err == nil {
				t.Errorf("NewEntry(%v, %q) = %v, want an error", tc.kind, tc.value, got)
			}
			continue
		}
		tcheck(t, err, "NewEntry")
		tcompare(t, "value of "+tc.value, got.Value, tc.want)
	}
}

func TestKindNames(t *testing.T) {
	for k := range kindCount {
		got, err := ParseKind(k.String())
		tcheck(t, err, "ParseKind")
		tcompare(t, "kind", got, k)
	}
	if _, err := ParseKind("nope"); err == nil {
		t.Error("ParseKind(nope) did not fail")
	}
	tcompare(t, "unknown kind", kindCount.String(), "kind(6)")
	tcompare(t, "unknown format", formatCount.String(), "format(4)")
}

func TestHashedEntry(t *testing.T) {
	e, err := HashedEntry(KindSHA256, " <User@Example.com> ")
	tcheck(t, err, "HashedEntry")
	tcompare(t, "sha256", e, Entry{KindSHA256, sha256Hex("user@example.com")})
	e, err = HashedEntry(KindMD5, "User@Example.com")
	tcheck(t, err, "HashedEntry")
	tcompare(t, "md5", e, Entry{KindMD5, md5Hex("user@example.com")})
	if _, err := HashedEntry(KindDomain, "user@example.com"); err == nil {
		t.Error("HashedEntry(KindDomain) did not fail")
	}
	if _, err := HashedEntry(KindSHA256, "not an address"); err == nil {
		t.Error("HashedEntry of a non-address did not fail")
	}
}

func TestDirectives(t *testing.T) {
	e, err := FromAddressDirective("Postmaster")
	tcheck(t, err, "address postmaster")
	tcompare(t, "bare local part", e, Entry{KindLocalPart, "postmaster"})
	e, err = FromAddressDirective("Bob@Example.com")
	tcheck(t, err, "address bob@example.com")
	tcompare(t, "address", e, Entry{KindAddress, "bob@example.com"})
	if _, err := FromAddressDirective("/^bob@/"); !errors.Is(err, errRegexp) {
		t.Errorf("address /RE/: err = %v, want errRegexp", err)
	}

	tests := []struct {
		value string
		want  []Entry
	}{
		{"Example.com", []Entry{{KindDomain, "example.com"}}},
		{"*.example.com", []Entry{{KindSubdomain, "example.com"}}},
		{"[*.]example.com", []Entry{{KindDomain, "example.com"}, {KindSubdomain, "example.com"}}},
		{"*", nil},
		{"[*.]", nil},
	}
	for _, tc := range tests {
		got, err := FromDomainDirective(tc.value)
		if tc.want == nil {
			if err == nil {
				t.Errorf("domain %q = %v, want an error", tc.value, got)
			}
			continue
		}
		tcheck(t, err, "domain "+tc.value)
		tcompare(t, "entries of "+tc.value, len(got), len(tc.want))
		for i := range min(len(got), len(tc.want)) {
			tcompare(t, "entry of "+tc.value, got[i], tc.want[i])
		}
	}
}
