package msgauth

// The signing identity: whose domain signs a message (PowerMTA's
// dkim-identity), and the author domain DMARC aligns with.

import (
	"bytes"
	"net/mail"
	"strings"

	"github.com/volleymta/volley/engine/msgauth/arc"
)

// IdentityDomain is the domain a message is signed for: with dkim-identity
// "from" the From address's domain; with "sender-or-from" (the default) or
// "sender" the Sender's when there is one, else the From's; with a fixed
// address or domain (an ESP signing as itself) that domain. It is lower
// case, "" when the header has no usable address.
func IdentityDomain(msg []byte, identity string) string {
	switch identity {
	case "", "from", "sender", "sender-or-from":
	default:
		return strings.ToLower(identity[strings.LastIndexByte(identity, '@')+1:])
	}
	head := Header(msg)
	if identity != "from" {
		if d := fieldDomain(head, "Sender"); d != "" {
			return d
		}
	}
	return fieldDomain(head, "From")
}

// fieldDomain is the domain of the first address of the first field named
// name.
func fieldDomain(head []byte, name string) string {
	var value []byte
	arc.EachField(head, func(field, v []byte) bool {
		if strings.EqualFold(string(field), name) {
			value = v
			return false
		}
		return true
	})
	if value == nil {
		return ""
	}
	return addressDomain(value)
}

// addressDomain parses an address-list value loosely: net/mail first, then,
// for what it refuses (raw 8-bit names, odd quoting), the text after the
// last @ up to a closing bracket, space or comma.
func addressDomain(v []byte) string {
	s := strings.TrimSpace(string(bytes.ReplaceAll(v, []byte("\r\n"), nil)))
	if as, err := mail.ParseAddressList(s); err == nil && len(as) > 0 {
		if at := strings.LastIndexByte(as[0].Address, '@'); at >= 0 {
			return strings.ToLower(as[0].Address[at+1:])
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return ""
	}
	d := s[at+1:]
	if i := strings.IndexAny(d, ">, \t;"); i >= 0 {
		d = d[:i]
	}
	return strings.ToLower(d)
}
