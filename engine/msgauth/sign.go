package msgauth

// DKIM signing (RFC 6376 §5) with go-msgauth's signer.

import (
	"bytes"
	"crypto"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/msgauth/arc"
)

// defaultSignedHeaders are the fields signed when dkim-headers is not set:
// RFC 6376 §5.4.1's list plus the list headers bulk mail carries (RFC 2369,
// RFC 8058). Only those present in the message are signed, and From and
// Subject once more than present (overSigned).
var defaultSignedHeaders = []string{
	"From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID",
	"Content-Description", "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To",
	"Resent-Cc", "Resent-Message-ID", "In-Reply-To", "References", "List-Id",
	"List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive", "Feedback-ID",
}

// overSigned are listed in h= once more than the message has them (RFC 6376
// §8.15): a From or Subject added on the way then breaks the signature
// instead of riding on it.
var overSigned = []string{"From", "Subject"}

// SignOptions say how to sign; zero values are the defaults PowerMTA users
// expect (relaxed/relaxed, the default header list).
type SignOptions struct {
	Headers     []string // dkim-headers; nil = defaultSignedHeaders
	HeaderCanon string   // dkim-headers-canon: "relaxed" (default) or "simple"
	BodyCanon   string   // dkim-body-canon: "relaxed" (default) or "simple"
	// Expire is dkim-expire-after: x= is this long after the signing time
	// (t=); 0 writes no x=.
	Expire time.Duration
	// OverSign is dkim-disallow-adding-headers; nil = overSigned.
	OverSign []string
	// AUID is i= (RFC 6376 §3.5), a fixed dkim-identity address; left out
	// when "" or not within the key's domain.
	AUID string
}

// Sign returns the DKIM-Signature header field (folded, CRLF-terminated) to
// prepend to msg, signing as k's selector and domain with signer. msg is the
// whole message with CRLF line ends.
func Sign(msg []byte, k config.DomainKey, signer crypto.Signer, o SignOptions) ([]byte, error) {
	so := &dkim.SignOptions{
		Domain:                 k.Domain,
		Selector:               k.Selector,
		Signer:                 signer,
		HeaderCanonicalization: canon(o.HeaderCanon),
		BodyCanonicalization:   canon(o.BodyCanon),
		HeaderKeys:             signedHeaders(msg, o.Headers, o.OverSign),
	}
	if o.Expire > 0 {
		so.Expiration = time.Now().Add(o.Expire)
	}
	if within(o.AUID, k.Domain) {
		so.Identifier = o.AUID
	}
	s, err := dkim.NewSigner(so)
	if err != nil {
		return nil, err
	}
	if _, err := s.Write(msg); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("msgauth: dkim sign as %s._domainkey.%s: %w", k.Selector, k.Domain, err)
	}
	return []byte(s.Signature()), nil
}

func canon(c string) dkim.Canonicalization {
	if c == "simple" {
		return dkim.CanonicalizationSimple
	}
	return dkim.CanonicalizationRelaxed
}

// signedHeaders is h=: each wanted field as many times as the message has it,
// plus one more for overSigned fields. From is always in it (RFC 6376
// §5.4), even when dkim-headers leaves it out.
func signedHeaders(msg []byte, want, over []string) []string {
	if want == nil {
		want = defaultSignedHeaders
	}
	if over == nil {
		over = overSigned
	}
	var room [48]int // one pass over the header counts every name
	counts := room[:0]
	if len(want) > len(room) {
		counts = make([]int, len(want))
	}
	counts = counts[:len(want)]
	arc.EachField(Header(msg), func(name, _ []byte) bool {
		for i, w := range want {
			if len(name) == len(w) && strings.EqualFold(string(name), w) {
				counts[i]++
			}
		}
		return true
	})
	keys := make([]string, 0, len(want)+len(over))
	seenFrom := false
	for i, name := range want {
		n := counts[i]
		if strings.EqualFold(name, "From") {
			seenFrom = true
			n = max(n, 1)
		}
		for range n {
			keys = append(keys, name)
		}
	}
	if !seenFrom {
		keys = append(keys, "From")
	}
	return append(keys, over...)
}

// within says whether the address auid (user@domain or @domain) may be a
// signature's i= under d= (RFC 6376 §3.5: its domain is d or a subdomain).
func within(auid, d string) bool {
	at := strings.LastIndexByte(auid, '@')
	if at < 0 {
		return false
	}
	ad := strings.ToLower(auid[at+1:])
	return ad == d || strings.HasSuffix(ad, "."+d)
}

// Header returns msg's header section, without the blank line that ends it
// (all of msg when it has no body).
func Header(msg []byte) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[:i+2]
	}
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return nil
	}
	return msg
}
