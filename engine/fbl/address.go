package fbl

import (
	"net/mail"
	"strings"
)

// cleanAddress returns the address in v, an addr-spec with or without
// angle brackets and with or without an RFC 3464 "rfc822;" type prefix
// (some reporters copy it from DSNs), with its domain lower-cased. It
// returns "" for anything that is not one plain local@domain: a report's
// redacted or placeholder recipient ("<Undisclosed Recipients>",
// "undisclosed") names no one to suppress.
func cleanAddress(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "rfc822;") {
		v = strings.TrimSpace(v[7:])
	}
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || len(v) > 320 { // RFC 5321 §4.5.3.1: 64 + 1 + 255
		return ""
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' {
			return ""
		}
	}
	return v[:at] + "@" + strings.ToLower(v[at+1:])
}

// headerAddresses returns the addresses of an address-list header (To,
// From), display names dropped. Where the standard parser refuses the
// list, the value is tried as one bare or bracketed address.
func headerAddresses(v string) []string {
	if v == "" {
		return nil
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		if a := cleanAddress(v); a != "" {
			return []string{a}
		}
		if i, j := strings.LastIndexByte(v, '<'), strings.LastIndexByte(v, '>'); i >= 0 && j > i {
			if a := cleanAddress(v[i+1 : j]); a != "" {
				return []string{a}
			}
		}
		return nil
	}
	var out []string
	for _, a := range list {
		if c := cleanAddress(a.Address); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// messageID returns a Message-ID without its angle brackets (RFC 5322
// §3.6.4), or "".
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	if strings.ContainsAny(v, " \t") {
		return ""
	}
	return v
}
