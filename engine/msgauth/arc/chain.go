package arc

// Gathering a message's ARC header fields into sets by instance and
// checking the chain's shape (RFC 8617 §4.2, §5.2 steps 1 to 3).

import (
	"errors"
	"strconv"
)

// kind is which ARC header field a field is.
type kind uint8

const (
	kindNone kind = iota
	kindAAR
	kindAMS
	kindAS
	kindCount
)

var kindNames = [kindCount]string{"", "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"}

func (k kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "kind(?)"
}

func kindOf(name []byte) kind {
	if len(name) < 8 || lower(name[0]) != 'a' {
		return kindNone // the common case: not an ARC field
	}
	for k := kindAAR; k < kindCount; k++ {
		if equalFold(name, kindNames[k]) {
			return k
		}
	}
	return kindNone
}

// arcSet is one instance's three fields; nil where missing.
type arcSet struct {
	aar *field
	ams *signature
	as  *signature
}

// chain is the ARC header fields of a message. sets[i] holds instance
// i+1; len(sets) is the highest instance that could be read.
type chain struct {
	sets    []arcSet
	present bool        // any ARC header field at all, readable or not
	err     *chainError // the first problem found, nil if none
}

// chainError says what is wrong and where; Reason text is built from it
// only when a result is reported.
type chainError struct {
	kind     kind
	instance int // 0 when the instance itself is unreadable
	err      error
}

// Error is the Result.Reason text. Parts of it come from the resolver,
// so it is cleaned to fit inside a header comment (RFC 5322 §3.2.2):
// control characters, parentheses and backslashes become spaces.
func (e *chainError) Error() string {
	s := ""
	if e.kind != kindNone {
		s = e.kind.String() + " "
	}
	if e.instance > 0 {
		s += "i=" + strconv.Itoa(e.instance) + " "
	}
	b := []byte(s + e.err.Error())
	for i, c := range b {
		if c < ' ' || c == 0x7f || c == '(' || c == ')' || c == '\\' {
			b[i] = ' '
		}
	}
	return string(b)
}

var (
	errDuplicate  = errors.New("appears more than once")
	errIncomplete = errors.New("set is incomplete")
	errCVFirst    = errors.New("ARC-Seal of instance 1 must say cv=none")
	errCVLater    = errors.New("ARC-Seal after instance 1 must say cv=pass")
	errCVFail     = errors.New("newest ARC-Seal says cv=fail")
)

// collect gathers the ARC fields of m. It reads every field even after a
// problem, so that a sealer still learns the highest instance and the
// newest seal's cv of a broken chain.
func collect(m *message) *chain {
	c := &chain{}
	var scratch []tag
	for i := range m.fields {
		f := &m.fields[i]
		k := kindOf(f.name)
		if k == kindNone {
			continue
		}
		c.present = true
		var n int
		var sig *signature
		var err error
		if k == kindAAR {
			var ok bool
			if n, ok = aarInstance(f.value); !ok {
				err = errNoInstance
			}
		} else {
			sig, scratch, err = parseSignature(*f, k == kindAS, scratch)
			n = sig.instance
		}
		if n > 0 {
			if dupErr := c.put(n, k, f, sig); dupErr != nil && err == nil {
				err = dupErr
			}
		}
		if err != nil && c.err == nil {
			c.err = &chainError{kind: k, instance: n, err: err}
		}
	}
	return c
}

// put files one field under instance n.
func (c *chain) put(n int, k kind, f *field, sig *signature) error {
	for len(c.sets) < n {
		c.sets = append(c.sets, arcSet{})
	}
	s := &c.sets[n-1]
	switch k {
	case kindAAR:
		if s.aar != nil {
			return errDuplicate
		}
		s.aar = f
	case kindAMS:
		if s.ams != nil {
			return errDuplicate
		}
		s.ams = sig
	case kindAS:
		if s.as != nil {
			return errDuplicate
		}
		s.as = sig
	}
	return nil
}

// topCV is the cv= of the newest seal, StatusNone when it cannot be read.
func (c *chain) topCV() Status {
	if n := len(c.sets); n > 0 && c.sets[n-1].as != nil {
		return c.sets[n-1].as.cv
	}
	return StatusNone
}

// check applies RFC 8617 §5.2 steps 2 and 3 to a chain read without
// error: the newest seal must not say fail, every instance 1..N must have
// all three fields, and cv= must be none at 1 and pass after.
func (c *chain) check() *chainError {
	if c.err != nil {
		return c.err
	}
	n := len(c.sets)
	if c.topCV() == StatusFail {
		return &chainError{kind: kindAS, instance: n, err: errCVFail}
	}
	for i := range c.sets {
		s := &c.sets[i]
		if s.aar == nil || s.ams == nil || s.as == nil {
			return &chainError{instance: i + 1, err: errIncomplete}
		}
		switch {
		case i == 0 && s.as.cv != StatusNone:
			return &chainError{kind: kindAS, instance: 1, err: errCVFirst}
		case i > 0 && s.as.cv != StatusPass:
			return &chainError{kind: kindAS, instance: i + 1, err: errCVLater}
		}
	}
	return nil
}

// aarInstance reads the instance an AAR opens with (RFC 8617 §3.9 and
// §4.1.1): [CFWS] "i" [CFWS] "=" [CFWS] position [CFWS] ";". The "i" is
// case-sensitive (%s).
func aarInstance(v []byte) (int, bool) {
	p := skipCFWS(v, 0)
	if p >= len(v) || v[p] != 'i' {
		return 0, false
	}
	if p = skipCFWS(v, p+1); p >= len(v) || v[p] != '=' {
		return 0, false
	}
	p = skipCFWS(v, p+1)
	start := p
	for p < len(v) && isDigit(v[p]) {
		p++
	}
	n, ok := parseNumber(v[start:p], 2)
	if p = skipCFWS(v, p); !ok || p >= len(v) || v[p] != ';' || n < 1 || n > maxInstance {
		return 0, false
	}
	return int(n), true
}

// skipCFWS returns the offset of the first byte at or after p that is
// neither folding whitespace nor inside a comment (RFC 5322 §3.2.2).
// Comments nest; a backslash quotes the next byte; an unterminated
// comment runs to the end.
func skipCFWS(v []byte, p int) int {
	depth := 0
	for ; p < len(v); p++ {
		c := v[p]
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			p++
		case depth > 0 || isSpace(c):
		default:
			return p
		}
	}
	return len(v)
}
