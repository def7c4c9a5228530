package suppress

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is what an entry matches.
type Kind uint8

const (
	// KindAddress matches one address exactly (after lower-casing).
	KindAddress Kind = iota
	// KindLocalPart matches a local part at any domain (PowerMTA's
	// `address postmaster`).
	KindLocalPart
	// KindDomain matches every address at one domain, not its subdomains.
	KindDomain
	// KindSubdomain matches every address at any subdomain of a domain, not
	// the domain itself (PowerMTA's `*.example.com`).
	KindSubdomain
	// KindSHA256 matches an address whose lower-cased form has this SHA-256
	// digest.
	KindSHA256
	// KindMD5 matches an address whose lower-cased form has this MD5 digest,
	// as in PowerMTA-style hashed files.
	KindMD5
	kindCount
)

var kindNames = [kindCount]string{"address", "local-part", "domain", "subdomain", "sha256", "md5"}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the Kind named s (as Kind.String writes it).
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if s == n {
			return Kind(k), nil
		}
	}
	return 0, errors.New("suppress: unknown kind " + quote(s))
}

// Entry is one suppression entry. Value is normalised by NewEntry and the
// parsers: lower case; an address, a local part, a domain without any
// "*." prefix, or a digest in lower-case hex.
type Entry struct {
	Kind  Kind
	Value string
}

// String returns the entry in the line form that ParseEntry reads and
// Export writes: "user@example.com", "postmaster@*", "@example.com",
// "@*.example.com", or the bare hex digest.
func (e Entry) String() string {
	switch e.Kind {
	case KindLocalPart:
		return e.Value + "@*"
	case KindDomain:
		return "@" + e.Value
	case KindSubdomain:
		return "@*." + e.Value
	}
	return e.Value
}

// Length limits: generous beyond RFC 5321 §4.5.3.1 (local part 64, domain
// 255, path 256), since lists hold what senders were given, not what is valid.
const (
	maxAddressLen = 512
	maxDomainLen  = 255
)

var (
	errEmpty       = errors.New("empty")
	errTooLong     = errors.New("too long")
	errBadChar     = errors.New("contains a space, a control character, '<' or '>'")
	errBadUTF8     = errors.New("not valid UTF-8")
	errNoAt        = errors.New("no @ (write LOCAL@* for a local part at any domain, @DOMAIN for a domain)")
	errHashComment = errors.New("starts with '#', which would read as a comment")
	errBadDomain   = errors.New("bad domain")
	errBadLocal    = errors.New("bad local part")
	errRegexp      = errors.New("regular expressions are not supported in suppression files")
)

// NewEntry returns the entry of kind k for value, normalised: surrounding
// space trimmed, lower-cased; an address or local part may come in angle
// brackets; a digest must be hex of the kind's length (either case).
func NewEntry(k Kind, value string) (Entry, error) {
	v := trimAddress(value)
	if !utf8.ValidString(v) { // before ToLower, which would replace the bad bytes
		return Entry{}, entryError(k, value, errBadUTF8)
	}
	v = strings.ToLower(v)
	var err error
	switch k {
	case KindAddress:
		err = checkAddress(v)
	case KindLocalPart:
		err = checkLocalPart(v)
	case KindDomain, KindSubdomain:
		err = checkDomain(v)
	case KindSHA256, KindMD5:
		err = checkDigest(k, v)
	default:
		err = errors.New("unknown kind")
	}
	if err != nil {
		return Entry{}, entryError(k, value, err)
	}
	return Entry{Kind: k, Value: v}, nil
}

// ParseEntry reads one entry in the line form Entry.String writes. It is
// the syntax of the CLI's and API's `suppress add`, of Export and of
// FormatList files.
func ParseEntry(line string) (Entry, error) {
	return parseLine(line, FormatList)
}

// HashedEntry returns the digest entry (kind KindSHA256 or KindMD5) of an
// address, normalised as Check normalises it, to suppress an address
// without storing it.
func HashedEntry(k Kind, addr string) (Entry, error) {
	a := trimAddress(addr)
	if !utf8.ValidString(a) {
		return Entry{}, entryError(KindAddress, addr, errBadUTF8)
	}
	a = strings.ToLower(a)
	if err := checkAddress(a); err != nil {
		return Entry{}, entryError(KindAddress, addr, err)
	}
	switch k {
	case KindSHA256:
		d := sha256.Sum256([]byte(a))
		return Entry{Kind: k, Value: hex.EncodeToString(d[:])}, nil
	case KindMD5:
		d := md5.Sum([]byte(a))
		return Entry{Kind: k, Value: hex.EncodeToString(d[:])}, nil
	}
	return Entry{}, errors.New("suppress: " + k.String() + " is not a digest kind")
}

// FromAddressDirective reads the value of an <address-list> `address`
// line: an address, or a bare local part meaning that local part at any
// domain. Regular expressions (/RE/) are not entries; the caller keeps them.
func FromAddressDirective(v string) (Entry, error) {
	v = trimAddress(v)
	if strings.HasPrefix(v, "/") {
		return Entry{}, entryError(KindAddress, v, errRegexp)
	}
	if !strings.Contains(v, "@") {
		return NewEntry(KindLocalPart, v)
	}
	return parseLine(v, FormatList)
}

// FromDomainDirective reads the value of an <address-list> `domain` line
// with PowerMTA's domain patterns: "example.com" (that domain),
// "*.example.com" (its subdomains) or "[*.]example.com" (both).
func FromDomainDirective(v string) ([]Entry, error) {
	v = strings.TrimSpace(v)
	if d, ok := strings.CutPrefix(v, "[*.]"); ok {
		e1, err := NewEntry(KindDomain, d)
		if err != nil {
			return nil, err
		}
		return []Entry{e1, {Kind: KindSubdomain, Value: e1.Value}}, nil
	}
	k := KindDomain
	if d, ok := strings.CutPrefix(v, "*."); ok {
		k, v = KindSubdomain, d
	}
	e, err := NewEntry(k, v)
	if err != nil {
		return nil, err
	}
	return []Entry{e}, nil
}

// Format says which line forms a file may hold.
type Format uint8

const (
	// FormatList is Volley's list syntax, written by Export: one entry a
	// line in Entry.String's forms, digests told apart by length (64 hex
	// digits SHA-256, 32 MD5).
	FormatList Format = iota
	// FormatAddressFile is PowerMTA's address-file: FormatList's address
	// and domain forms, where a bare word is a local part at any domain
	// (never a digest).
	FormatAddressFile
	// FormatSHA256 is a hashed-address-file of SHA-256 hex digests.
	FormatSHA256
	// FormatMD5 is a hashed-address-file of MD5 hex digests.
	FormatMD5
	formatCount
)

var formatNames = [formatCount]string{"list", "address-file", "sha256", "md5"}

func (f Format) String() string {
	if f < formatCount {
		return formatNames[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// parseLine reads one trimmed, non-comment line of format f.
func parseLine(line string, f Format) (Entry, error) {
	s := trimAddress(line)
	switch f {
	case FormatSHA256:
		return NewEntry(KindSHA256, s)
	case FormatMD5:
		return NewEntry(KindMD5, s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		switch {
		case f == FormatAddressFile && strings.HasPrefix(s, "/"):
			return Entry{}, entryError(KindAddress, s, errRegexp)
		case f == FormatAddressFile:
			return NewEntry(KindLocalPart, s)
		case len(s) == 2*sha256.Size && isHex(s):
			return NewEntry(KindSHA256, s)
		case len(s) == 2*md5.Size && isHex(s):
			return NewEntry(KindMD5, s)
		}
		return Entry{}, entryError(KindAddress, s, errNoAt)
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "" || local == "*":
		if d, ok := strings.CutPrefix(domain, "*."); ok {
			return NewEntry(KindSubdomain, d)
		}
		return NewEntry(KindDomain, domain)
	case domain == "*":
		return NewEntry(KindLocalPart, local)
	}
	return NewEntry(KindAddress, s)
}

// trimAddress removes surrounding space and one pair of angle brackets.
func trimAddress(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// checkText rejects what no entry may hold, so that every entry's line
// form reads back as the same entry.
func checkText(v string, maxLen int) error {
	switch {
	case v == "":
		return errEmpty
	case len(v) > maxLen:
		return errTooLong
	case !utf8.ValidString(v):
		return errBadUTF8
	case v[0] == '#':
		return errHashComment
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return errBadChar
		}
	}
	return nil
}

func checkAddress(v string) error {
	if err := checkText(v, maxAddressLen); err != nil {
		return err
	}
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return errNoAt
	}
	if err := checkLocalPart(v[:at]); err != nil {
		return err
	}
	return checkDomain(v[at+1:])
}

// checkLocalPart accepts what an address may hold before its last '@',
// except forms the line syntax reserves: empty and "*" (a domain entry).
func checkLocalPart(v string) error {
	if err := checkText(v, maxAddressLen); err != nil {
		return fmt.Errorf("%w: %w", errBadLocal, err)
	}
	if v == "*" || strings.IndexByte(v, '@') >= 0 {
		return errBadLocal
	}
	return nil
}

// checkDomain accepts dot-separated non-empty labels without '@' or '*'
// (an address literal such as "[192.0.2.1]" passes as one label).
func checkDomain(v string) error {
	if err := checkText(v, maxDomainLen); err != nil {
		return fmt.Errorf("%w: %w", errBadDomain, err)
	}
	if strings.ContainsAny(v, "@*") || v[0] == '.' || v[len(v)-1] == '.' || strings.Contains(v, "..") {
		return errBadDomain
	}
	return nil
}

func checkDigest(k Kind, v string) error {
	n := sha256.Size
	if k == KindMD5 {
		n = md5.Size
	}
	if len(v) != 2*n || !isHex(v) {
		return fmt.Errorf("bad digest: want %d hex digits for %s", 2*n, k)
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// EntryError is an entry that failed to parse.
type EntryError struct {
	Kind  Kind
	Value string
	Err   error
}

func (e *EntryError) Error() string {
	return "suppress: " + e.Kind.String() + " " + quote(e.Value) + ": " + e.Err.Error()
}

func (e *EntryError) Unwrap() error { return e.Err }

func entryError(k Kind, v string, err error) error {
	return &EntryError{Kind: k, Value: v, Err: err}
}

// quote shortens and quotes a value for an error message.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
