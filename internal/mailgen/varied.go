package mailgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/mail"
	"strings"
	"time"
)

// Varied returns n RFC 5322 messages that exercise signers: the features
// rotate over the message index as doc.go describes (Features(i) lists
// them), and seed chooses the content. The same (i, seed) always gives the
// same bytes.
func Varied(n int, seed int64) [][]byte {
	pl := newPools()
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = message(i, seed, pl)
	}
	return msgs
}

// WithAuthResults returns msg with an Authentication-Results field for
// servID prepended ("Authentication-Results: <servID>; spf=pass
// smtp.mailfrom=<From address>", RFC 8601 §2.2), as dkimpy's arc_sign needs
// before it seals. msg is not modified.
func WithAuthResults(msg []byte, servID string) []byte {
	ar := "Authentication-Results: " + servID + "; spf=pass smtp.mailfrom=" + fromAddress(msg) + "\r\n"
	out := make([]byte, 0, len(ar)+len(msg))
	return append(append(out, ar...), msg...)
}

// fromAddress returns the address in msg's From field, or a placeholder
// when there is none to parse.
func fromAddress(msg []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return "unknown@example.invalid"
	}
	addrs, err := m.Header.AddressList("From")
	if err != nil || len(addrs) == 0 {
		return "unknown@example.invalid"
	}
	return addrs[0].Address
}

// field is one header field; value holds everything after the colon,
// folds included, without the final CRLF.
type field struct{ name, value string }

// gen builds one message; it owns its random source and only reads the pools.
type gen struct {
	rng  *rand.Rand
	pl   *pools
	p    plan
	i    int
	seed int64
}

// message builds message i of the batch for seed. Its random source is
// seeded with (seed, i), so the message does not depend on the others.
func message(i int, seed int64, pl *pools) []byte {
	g := &gen{rng: rand.New(rand.NewPCG(uint64(seed), uint64(i))), pl: pl, p: planFor(i), i: i, seed: seed}
	body, content := g.body()
	var b bytes.Buffer
	for _, f := range g.header(content) {
		b.WriteString(g.name(f.name))
		b.WriteString(":")
		b.WriteString(f.value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n") // RFC 5322 §2.1: the empty line before the body
	b.Write(body)
	return b.Bytes()
}

// oddCase gives the OddCaseNames spelling of each field name generated.
func oddCase(name string) string {
	switch name {
	case "From":
		return "from"
	case "Subject":
		return "SUBJECT"
	case "To":
		return "TO"
	case "Date":
		return "date"
	case "Message-ID":
		return "MESSAGE-ID"
	case "MIME-Version":
		return "mime-version"
	case "Content-Type":
		return "CONTENT-TYPE"
	case "Received":
		return "received"
	}
	return name
}

// name returns the field name as this message writes it.
func (g *gen) name(n string) string {
	if g.p.features.has(OddCaseNames) {
		return oddCase(n)
	}
	return n
}

// header returns the message's header fields in order; content holds the
// MIME fields of the body.
func (g *gen) header(content []field) []field {
	date := g.date()
	var h []field
	hops := 1
	if g.p.features.has(DuplicateHeaders) {
		hops = 2 + g.rng.IntN(2)
	}
	for range hops {
		h = append(h, field{"Received", g.received(date)})
	}
	from := g.from()
	h = append(h, field{"From", " " + from}, field{"To", g.to()})
	if g.p.twoTo {
		h = append(h, field{"To", " " + g.person()})
	}
	h = append(h,
		field{"Subject", g.subject()},
		field{"Date", " " + date.Format("Mon, 02 Jan 2006 15:04:05 -0700")},
		field{"Message-ID", fmt.Sprintf(" <%d.%016x@%s>", g.i, g.rng.Uint64(), g.pick(g.pl.domains))},
	)
	if g.p.features.has(LongHeader) && !g.p.longSubject {
		h = append(h, field{"References", g.references()})
	}
	if g.p.features.has(FoldedHeader) {
		h = append(h, field{"List-Id", " Volley  test   list \r\n\t <tests." + g.pick(g.pl.domains) + ">"})
	}
	if len(content) > 0 {
		h = append(h, field{"MIME-Version", " 1.0"})
		h = append(h, content...)
	}
	return append(h, field{"X-Mailgen", fmt.Sprintf(" index=%d seed=%d", g.i, g.seed)})
}

// date returns a time within a year of 2024-03-01 in one of a few zones.
func (g *gen) date() time.Time {
	zones := [...]int{0, -8 * 3600, 3600, 5*3600 + 1800, -3 * 3600}
	zone := zones[g.rng.IntN(len(zones))]
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	t := base.Add(time.Duration(g.rng.Int64N(int64(365 * 24 * time.Hour))))
	return t.Truncate(time.Second).In(time.FixedZone("", zone))
}

// received returns a trace field value on one line (under 200 octets).
func (g *gen) received(date time.Time) string {
	n := 1 + g.rng.IntN(40)
	return fmt.Sprintf(" from mx%d.example.net (mx%d.example.net [192.0.2.%d]) by relay.example.org with ESMTPS id %012x; %s",
		n, n, 1+g.rng.IntN(254), g.rng.Uint64()>>16, date.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
}

// person returns a mailbox "First Last <first.last@domain>" or a bare address.
func (g *gen) person() string {
	first, last := g.pick(g.pl.firstNames), g.pick(g.pl.lastNames)
	addr := strings.ToLower(first+"."+last) + "@" + g.pick(g.pl.domains)
	if g.rng.IntN(4) == 0 {
		return addr
	}
	return first + " " + last + " <" + addr + ">"
}

// from returns the From mailbox, its display name encoded or raw UTF-8
// when the plan says so.
func (g *gen) from() string {
	local := strings.ToLower(g.pick(g.pl.firstNames)) + "@" + g.pick(g.pl.domains)
	switch {
	case g.p.features.has(EncodedWords):
		name := g.pick(g.pl.utf8Names)
		if g.rng.IntN(2) == 0 {
			return mime.QEncoding.Encode("UTF-8", name) + " <" + local + ">"
		}
		return mime.BEncoding.Encode("UTF-8", name) + " <" + local + ">"
	case g.p.features.has(UTF8Header):
		return g.pick(g.pl.utf8Names) + " <" + local + ">"
	}
	return g.person()
}

// to returns the To value: one or two mailboxes, or with FoldedHeader
// three, folded with a tab, a run of spaces and trailing whitespace.
func (g *gen) to() string {
	if !g.p.features.has(FoldedHeader) {
		if g.rng.IntN(3) == 0 {
			return " " + g.person() + ", " + g.person()
		}
		return " " + g.person()
	}
	return " " + g.person() + ",\r\n\t" + strings.Replace(g.person(), " ", "  ", 1) + ", \r\n    " + g.person()
}

// subject returns the Subject value with the plan's encoded-words, raw
// UTF-8, length or folds.
func (g *gen) subject() string {
	words := g.words(3 + g.rng.IntN(6))
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	at := 1 + g.rng.IntN(len(words)-1)
	switch {
	case g.p.features.has(EncodedWords):
		ew := mime.BEncoding.Encode("UTF-8", g.pick(g.pl.utf8Phrases))
		if g.rng.IntN(2) == 0 {
			ew = mime.QEncoding.Encode("UTF-8", g.pick(g.pl.utf8Phrases))
		}
		words = insert(words, at, ew)
	case g.p.features.has(UTF8Header):
		words = insert(words, at, g.pick(g.pl.utf8Phrases))
	}
	if g.p.features.has(LongHeader) && g.p.longSubject {
		// A physical line of 210 to 899 octets: long, yet under RFC 5322's 998.
		want := 210 + g.rng.IntN(690)
		for len("Subject: ")+len(strings.Join(words, " ")) < want {
			words = append(words, g.pick(g.pl.asciiWords))
		}
		return " " + strings.Join(words, " ")
	}
	if g.p.features.has(FoldedHeader) && len(words) >= 3 {
		// RFC 5322 §2.2.3: fold at whitespace; here with trailing space, a tab and a run of spaces.
		cut := 1 + g.rng.IntN(len(words)-2)
		return " " + strings.Join(words[:cut], "  ") + " \r\n\t" + strings.Join(words[cut:], "   ")
	}
	return " " + strings.Join(words, " ")
}

// references returns a References value of message IDs on one physical
// line of 210 to about 950 octets.
func (g *gen) references() string {
	want := 210 + g.rng.IntN(690)
	var b strings.Builder
	for len("References:")+b.Len() < want {
		fmt.Fprintf(&b, " <%016x.%d@%s>", g.rng.Uint64(), g.rng.IntN(1000), g.pick(g.pl.domains))
	}
	return b.String()
}

// words returns n words from the ASCII pool.
func (g *gen) words(n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = g.pick(g.pl.asciiWords)
	}
	return w
}

// pick returns a random member of pool.
func (g *gen) pick(pool []string) string { return pool[g.rng.IntN(len(pool))] }

// insert returns s with v inserted at index at.
func insert(s []string, at int, v string) []string {
	s = append(s, "")
	copy(s[at+1:], s[at:])
	s[at] = v
	return s
}

// pools are the vocabularies messages draw from. Varied builds them once
// per call and its generators only read them.
type pools struct {
	asciiWords, utf8Words, utf8Phrases, utf8Names []string
	firstNames, lastNames, domains                []string
}

// newPools splits the word lists below into pools.
func newPools() *pools {
	return &pools{
		asciiWords:  strings.Fields(asciiWordList),
		utf8Words:   strings.Fields(utf8WordList),
		utf8Phrases: strings.Split(utf8PhraseList, "|"),
		utf8Names:   strings.Split(utf8NameList, "|"),
		firstNames:  strings.Fields(firstNameList),
		lastNames:   strings.Fields(lastNameList),
		domains:     strings.Fields(domainList),
	}
}

const asciiWordList = `the a an and or but of to in on for with from by at as is are was be
mail message queue relay delivery signature header body domain selector key
canonical folded envelope sender recipient bounce deferral retry throttle pool
source route warm-up rollup hash verify seal chain result policy report feedback
quick brown fox jumps over lazy dog lorem ipsum dolor sit amet consectetur
adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua
invoice newsletter update weekly monthly account password reset welcome offer
ticket order shipment tracking receipt meeting agenda minutes notes draft final`

// utf8WordList holds words outside ASCII, from several scripts, in 2 to 4
// octets a character.
const utf8WordList = `Grüße Köln naïve café façade Ærøskøbing smörgåsbord crème brûlée
Straße Übermut ñandú añejo ελληνικά καλημέρα русский привет 日本語 テスト 中文
邮件 한국어 עברית العربية हिन्दी ☕ 🙂 🚀 ✓ €100 ½ “quoted” —dash…`

// utf8PhraseList holds "|"-separated phrases for Subject fields.
const utf8PhraseList = `Grüße aus Köln|Ваш заказ отправлен|日本語のテスト|Café crème ☕|` +
	`Δοκιμή μηνύματος|¡Oferta única!|Zażółć gęślą jaźń|테스트 메시지|Résumé für Jürgen 🙂`

// utf8NameList holds "|"-separated display names, each with non-ASCII letters.
const utf8NameList = `José Müller|Zoë Ångström|Jürgen Groß|Françoise Lefèvre|` +
	`Søren Kierkegård|Łukasz Wąsik|Иван Петров|山田 太郎|Ελένη Παπαδοπούλου`

const firstNameList = `Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj
Olivia Peggy Rupert Sybil Trent Victor Walter`

const lastNameList = `Example Sender Tester Lovelace Hopper Turing Liskov Knuth Ritchie
Thompson Kernighan Hamilton`

// domainList holds RFC 2606 names only.
const domainList = `example.org example.net example.com mail.example.org
lists.example.net news.example.com`
