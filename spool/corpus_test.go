package spool

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"time"
)

// This file generates a deterministic corpus of realistic outbound marketing
// mail for the compression benchmarks (compress_bench_test.go): a handful of
// brands, each sending newsletters, promos with a product grid and
// transactional receipts from its own templates, personalised per recipient
// (names, prices, tracking links), as multipart/alternative text + HTML,
// quoted-printable or 8bit, 2 KB to 200 KB (log-uniform, median ~20 KB), and
// ~10% with a base64 attachment (PDF- or JPEG-like, barely compressible).

const (
	corpusMinSize = 2 << 10
	corpusMaxSize = 200 << 10
)

// corpusBrand is one sender with its own template styling.
type corpusBrand struct {
	name, domain, color, font string
}

var corpusBrands = []corpusBrand{
	{"Northwind Outfitters", "northwind.example", "#1a5e3a", "Georgia, serif"},
	{"Bluebird Books", "bluebird-books.example", "#0b4f8a", "Helvetica, Arial, sans-serif"},
	{"Cafe Lumière", "cafe-lumiere.example", "#7a3e12", "'Trebuchet MS', sans-serif"},
	{"Voltstream Energy", "voltstream.example", "#f0a500", "Verdana, Geneva, sans-serif"},
	{"Harbor & Pine Home", "harborpine.example", "#33475b", "'Segoe UI', Roboto, sans-serif"},
	{"Kite Travel", "kitetravel.example", "#c2185b", "Tahoma, sans-serif"},
}

var corpusFirst = []string{"Anna", "Ben", "Chloé", "David", "Emma", "Farid", "Grace", "Hiro", "Inès", "Jonas",
	"Katarzyna", "Liam", "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Sven", "Tariq", "Ursula", "Victor"}

var corpusLast = []string{"Smith", "García", "Müller", "Nguyen", "Kowalski", "Rossi", "Dubois", "Tanaka",
	"Johansson", "O'Brien", "Silva", "Novak", "Haddad", "Fischer", "Andersen", "Moreau"}

var corpusWords = strings.Fields(`the and for your with our new this you all from now more best season
	collection free shipping offer today only exclusive members discover latest stories inside week
	guide tips how to make most of spring summer autumn winter sale save up off limited time favourite
	picks handpicked editors choice style home garden travel coffee books energy bill account order
	delivery tracking update thanks shopping again see what's trending customers love back in stock
	just arrived bestseller gift ideas everyone price drop ends soon don't miss out learn read watch
	recipe weekend plans city escape adventure comfort quality crafted sustainable materials warranty`)

var corpusProducts = []string{"Merino Wool Sweater", "Trail Running Shoes", "Ceramic Pour-Over Set",
	"Hardcover Atlas", "Smart Thermostat", "Linen Duvet Cover", "Weekender Duffel", "Espresso Beans 1kg",
	"Reading Lamp", "Rain Shell Jacket", "Cast Iron Skillet", "Noise-Cancelling Headphones",
	"Bamboo Cutting Board", "Travel Adapter Kit", "Scented Candle Trio", "Insulated Bottle 750ml"}

// genCorpus returns n messages generated deterministically from seed.
func genCorpus(n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([][]byte, n)
	for i := range out {
		out[i] = genMessage(rng, i)
	}
	return out
}

// corpusMsg is the per-message state the templates draw from.
type corpusMsg struct {
	rng       *rand.Rand
	brand     corpusBrand
	first     string
	last      string
	email     string
	uid       string
	kind      int // 0 newsletter, 1 promo, 2 receipt
	date      time.Time
	boundary  string
	qp        bool
	lite      bool // a small message: no style sheet, navigation or social links
	linkCount int
}

func genMessage(rng *rand.Rand, i int) []byte {
	m := &corpusMsg{rng: rng, brand: corpusBrands[rng.IntN(len(corpusBrands))]}
	m.first = corpusFirst[rng.IntN(len(corpusFirst))]
	m.last = corpusLast[rng.IntN(len(corpusLast))]
	m.email = fmt.Sprintf("%s.%s%d@%s", strings.ToLower(asciiOnly(m.first)), strings.ToLower(asciiOnly(m.last)),
		rng.IntN(1000), []string{"gmail.example", "outlook.example", "yahoo.example", "corp.example"}[rng.IntN(4)])
	m.uid = randToken(rng, 12)
	switch p := rng.IntN(100); {
	case p < 45:
		m.kind = 0
	case p < 80:
		m.kind = 1
	default:
		m.kind = 2
	}
	m.date = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
	m.boundary = "=_vol_" + randToken(rng, 16)
	m.qp = rng.IntN(10) < 6
	total := logUniform(rng, corpusMinSize, corpusMaxSize)
	m.lite = total < 14<<10
	var attach []byte
	if rng.IntN(6) == 0 && total >= 12<<10 { // ~10% of all messages
		attach = genAttachment(rng, total*(40+rng.IntN(40))/100*3/4)
	}
	var b bytes.Buffer
	m.headers(&b, attach != nil, i)
	m.body(&b, total-b.Len()-len(attach)*4/3, attach)
	return b.Bytes()
}

// logUniform returns a size in [lo, hi) whose logarithm is uniform.
func logUniform(rng *rand.Rand, lo, hi int) int {
	l, h := math.Log(float64(lo)), math.Log(float64(hi))
	return int(math.Exp(l + rng.Float64()*(h-l)))
}

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && r != '\'' {
			return r
		}
		return -1
	}, s)
}

const corpusTokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func randToken(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = corpusTokenChars[rng.IntN(len(corpusTokenChars))]
	}
	return string(b)
}

func randBase64(rng *rand.Rand, n int) string {
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(raw)
}

var corpusSubjects = [][]string{
	{"This week at %s: %s", "Your %s digest — %s", "%s Weekly: %s"},
	{"%s: up to %d%% off %s", "Last chance, %s — %d%% off %s", "%s picked for you: %d%% off %s"},
	{"Your %s receipt #%d", "Order #%d confirmed at %s", "Thanks for your order, %s (#%d)"},
}

func (m *corpusMsg) subject() string {
	rng := m.rng
	tpl := corpusSubjects[m.kind][rng.IntN(3)]
	phrase := m.words(3 + rng.IntN(4))
	switch m.kind {
	case 0:
		return fmt.Sprintf(tpl, m.brand.name, phrase)
	case 1:
		if strings.HasPrefix(tpl, "Last") {
			return fmt.Sprintf(tpl, m.first, 10+5*rng.IntN(12), phrase)
		}
		return fmt.Sprintf(tpl, m.brand.name, 10+5*rng.IntN(12), phrase)
	default:
		switch tpl[0] {
		case 'Y':
			return fmt.Sprintf(tpl, m.brand.name, 100000+rng.IntN(900000))
		case 'O':
			return fmt.Sprintf(tpl, 100000+rng.IntN(900000), m.brand.name)
		}
		return fmt.Sprintf(tpl, m.first, 100000+rng.IntN(900000))
	}
}

func (m *corpusMsg) words(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = corpusWords[m.rng.IntN(len(corpusWords))]
	}
	return strings.Join(w, " ")
}

func (m *corpusMsg) sentence() string {
	s := m.words(6 + m.rng.IntN(14))
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// link returns a tracking link unique to this recipient and position.
func (m *corpusMsg) link(path string) string {
	m.linkCount++
	return fmt.Sprintf("https://click.%s/t/%s?u=%s&l=%d&utm_source=newsletter&utm_medium=email&utm_campaign=%s",
		m.brand.domain, randToken(m.rng, 32), m.uid, m.linkCount, path)
}

func (m *corpusMsg) price() string {
	return fmt.Sprintf("%d.%02d", 5+m.rng.IntN(295), m.rng.IntN(100))
}

func (m *corpusMsg) headers(b *bytes.Buffer, mixed bool, i int) {
	d := m.brand.domain
	fmt.Fprintf(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=mta%d;\r\n", d, 1+m.rng.IntN(2))
	fmt.Fprintf(b, "\tt=%d; h=From:To:Subject:Date:Message-ID:MIME-Version:List-Unsubscribe;\r\n", m.date.Unix())
	fmt.Fprintf(b, "\tbh=%s;\r\n\tb=", randBase64(m.rng, 32))
	sig := randBase64(m.rng, 256)
	for len(sig) > 72 {
		fmt.Fprintf(b, "%s\r\n\t  ", sig[:72])
		sig = sig[72:]
	}
	fmt.Fprintf(b, "%s\r\n", sig)
	fmt.Fprintf(b, "From: %s <news@%s>\r\n", m.brand.name, d)
	fmt.Fprintf(b, "To: %s %s <%s>\r\n", m.first, m.last, m.email)
	fmt.Fprintf(b, "Subject: %s\r\n", m.subject())
	fmt.Fprintf(b, "Date: %s\r\n", m.date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "Message-ID: <%d.%s@mta.%s>\r\n", m.date.UnixNano()+int64(i), randToken(m.rng, 20), d)
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(b, "List-Unsubscribe: <https://%s/u/%s>, <mailto:unsub-%s@%s>\r\n", d, m.uid, m.uid, d)
	b.WriteString("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
	fmt.Fprintf(b, "X-Campaign-ID: %s-%d\r\n", strings.SplitN(d, ".", 2)[0], 2000+m.rng.IntN(400))
	kind := "alternative"
	if mixed {
		kind = "mixed"
	}
	fmt.Fprintf(b, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\n", kind, m.boundary)
}

// body writes the MIME parts: text and HTML of about size bytes together,
// then the attachment, if any.
func (m *corpusMsg) body(b *bytes.Buffer, size int, attach []byte) {
	alt := m.boundary
	if attach != nil {
		alt = m.boundary + "_alt"
		fmt.Fprintf(b, "--%s\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", m.boundary, alt)
	}
	if m.qp {
		size = size * 7 / 8 // quoted-printable grows HTML by about 1/7 (=3D, soft breaks)
	}
	text, html := m.render(max(size, 1024))
	m.part(b, alt, "text/plain", text)
	m.part(b, alt, "text/html", html)
	fmt.Fprintf(b, "--%s--\r\n", alt)
	if attach != nil {
		name, ctype := "invoice.pdf", "application/pdf"
		if attach[0] == 0xff {
			name, ctype = "lookbook.jpg", "image/jpeg"
		}
		fmt.Fprintf(b, "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n", m.boundary, ctype, name)
		fmt.Fprintf(b, "Content-Disposition: attachment; filename=\"%s\"\r\n", name)
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(attach)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
		fmt.Fprintf(b, "--%s--\r\n", m.boundary)
	}
}

// part writes one text part, quoted-printable or 8bit.
func (m *corpusMsg) part(b *bytes.Buffer, boundary, ctype, content string) {
	fmt.Fprintf(b, "--%s\r\nContent-Type: %s; charset=\"utf-8\"\r\n", boundary, ctype)
	if !m.qp {
		b.WriteString("Content-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(content)
		b.WriteString("\r\n")
		return
	}
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(content))
	_ = w.Close()
	b.WriteString("\r\n")
}

// genAttachment returns n bytes of a PDF-like or JPEG-like file: a short
// structured header and then compressed-looking (random) data.
func genAttachment(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	if rng.IntN(2) == 0 {
		b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
		fmt.Fprintf(&b, "3 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", n)
	} else {
		b.Write([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 0x48, 0, 0x48, 0, 0})
		b.Write([]byte{0xff, 0xdb, 0x00, 0x43, 0x00})
	}
	for b.Len() < n {
		v := rng.Uint64()
		for k := 0; k < 8; k++ {
			b.WriteByte(byte(v >> (8 * k)))
		}
	}
	return b.Bytes()[:n]
}

// render returns the text and HTML versions of the message, together about
// size bytes: the brand's frame around repeated blocks of the message kind.
func (m *corpusMsg) render(size int) (string, string) {
	var text, html strings.Builder
	m.htmlHead(&html)
	fmt.Fprintf(&text, "%s\r\n\r\nHi %s,\r\n\r\n", m.brand.name, m.first)
	fmt.Fprintf(&html, "<tr><td class=\"greeting\" style=\"padding:24px 32px 8px;font-size:18px;\">Hi %s,</td></tr>\r\n", m.first)
	if m.kind == 2 {
		m.receiptHead(&text, &html)
	}
	footer := 2600
	if m.lite {
		footer = 600
	}
	for text.Len()+html.Len()+footer+1000 < size { // +1000: about half a block
		switch m.kind {
		case 0:
			m.article(&text, &html)
		case 1:
			m.productRow(&text, &html)
		default:
			m.lineItem(&text, &html)
		}
	}
	if m.kind == 2 {
		fmt.Fprintf(&text, "\r\nTotal: %s EUR\r\n", m.price())
		fmt.Fprintf(&html, "<tr><td class=\"total\" style=\"padding:16px 32px;font-weight:bold;text-align:right;\">Total: &euro;%s</td></tr>\r\n", m.price())
	}
	m.footer(&text, &html)
	return text.String(), html.String()
}

func (m *corpusMsg) htmlHead(h *strings.Builder) {
	br := m.brand
	h.WriteString("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\r\n")
	h.WriteString("<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\r\n")
	h.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" /><title>" + br.name + "</title>\r\n")
	if m.lite {
		h.WriteString("</head>\r\n<body style=\"margin:0;padding:0;\"><center>\r\n")
	} else {
		m.styleSheet(h)
	}
	fmt.Fprintf(h, "<div style=\"display:none;max-height:0;overflow:hidden;\">%s</div>\r\n", m.sentence())
	h.WriteString("<table class=\"main\" role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" width=\"600\">\r\n")
	fmt.Fprintf(h, "<tr><td style=\"padding:20px 32px;background:%s;\"><a href=\"%s\"><img src=\"https://cdn.%s/img/logo-white.png\" alt=\"%s\" width=\"180\" height=\"40\" style=\"display:block;border:0;\" /></a></td></tr>\r\n",
		br.color, m.link("logo"), br.domain, br.name)
	if m.lite {
		return
	}
	h.WriteString("<tr><td style=\"padding:8px 32px;font-size:13px;\">")
	for i, nav := range []string{"New", "Women", "Men", "Home", "Sale"} {
		if i > 0 {
			h.WriteString(" &nbsp;|&nbsp; ")
		}
		fmt.Fprintf(h, "<a href=\"%s\" style=\"color:#333333;text-decoration:none;\">%s</a>", m.link("nav-"+strings.ToLower(nav)), nav)
	}
	h.WriteString("</td></tr>\r\n")
}

// styleSheet writes the brand's style sheet and opens the body.
func (m *corpusMsg) styleSheet(h *strings.Builder) {
	br := m.brand
	h.WriteString("<style type=\"text/css\">\r\n")
	fmt.Fprintf(h, "body{margin:0;padding:0;background:#f4f4f4;font-family:%s;color:#222222;}\r\n", br.font)
	fmt.Fprintf(h, "a{color:%s;text-decoration:underline;} h1,h2,h3{font-family:%s;margin:0 0 12px 0;}\r\n", br.color, br.font)
	fmt.Fprintf(h, ".btn{display:inline-block;background:%s;color:#ffffff !important;padding:12px 24px;border-radius:4px;text-decoration:none;font-weight:bold;}\r\n", br.color)
	h.WriteString(".wrapper{width:100%;table-layout:fixed;background:#f4f4f4;padding:24px 0;} .main{width:600px;margin:0 auto;background:#ffffff;}\r\n")
	h.WriteString(".product{width:33%;padding:12px;text-align:center;vertical-align:top;} .price-old{text-decoration:line-through;color:#888888;}\r\n")
	h.WriteString("@media only screen and (max-width:600px){.main{width:100% !important;} .product{display:block !important;width:100% !important;}}\r\n")
	h.WriteString("</style></head>\r\n<body><center class=\"wrapper\">\r\n")
}

func (m *corpusMsg) article(t, h *strings.Builder) {
	title := m.sentence()
	title = title[:len(title)-1]
	link := m.link("article")
	fmt.Fprintf(t, "%s\r\n", strings.ToUpper(title))
	fmt.Fprintf(h, "<tr><td class=\"article\" style=\"padding:16px 32px;border-top:1px solid #eeeeee;\">\r\n<h2 style=\"font-size:22px;color:%s;\">%s</h2>\r\n", m.brand.color, title)
	fmt.Fprintf(h, "<a href=\"%s\"><img src=\"https://cdn.%s/img/stories/%d-%s.jpg\" alt=\"\" width=\"536\" style=\"display:block;width:100%%;max-width:536px;border:0;\" /></a>\r\n",
		link, m.brand.domain, m.rng.IntN(5000), randToken(m.rng, 8))
	h.WriteString("<p style=\"font-size:15px;line-height:24px;margin:12px 0;\">")
	for range 2 + m.rng.IntN(5) {
		s := m.sentence()
		t.WriteString(s + " ")
		h.WriteString(s + " ")
	}
	fmt.Fprintf(t, "\r\nRead more: %s\r\n\r\n", link)
	fmt.Fprintf(h, "</p>\r\n<a class=\"btn\" href=\"%s\" style=\"background:%s;color:#ffffff;padding:12px 24px;border-radius:4px;text-decoration:none;\">Read more &rarr;</a>\r\n</td></tr>\r\n", link, m.brand.color)
}

func (m *corpusMsg) productRow(t, h *strings.Builder) {
	h.WriteString("<tr><td style=\"padding:8px 20px;\"><table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>\r\n")
	for range 3 {
		name := corpusProducts[m.rng.IntN(len(corpusProducts))]
		link := m.link("product")
		was, now := m.price(), m.price()
		fmt.Fprintf(t, "* %s - now EUR %s (was %s)\r\n  %s\r\n", name, now, was, link)
		fmt.Fprintf(h, "<td class=\"product\" style=\"width:33%%;padding:12px;text-align:center;vertical-align:top;\">\r\n<a href=\"%s\"><img src=\"https://cdn.%s/img/p/%d.jpg\" alt=\"%s\" width=\"160\" height=\"160\" style=\"display:block;margin:0 auto;border:0;\" /></a>\r\n",
			link, m.brand.domain, 10000+m.rng.IntN(90000), name)
		fmt.Fprintf(h, "<p style=\"font-size:14px;margin:8px 0 4px;\"><a href=\"%s\" style=\"color:#222222;text-decoration:none;\">%s</a></p>\r\n", link, name)
		fmt.Fprintf(h, "<p style=\"font-size:14px;margin:0;\"><span class=\"price-old\">&euro;%s</span> <strong style=\"color:%s;\">&euro;%s</strong></p>\r\n", was, m.brand.color, now)
		fmt.Fprintf(h, "<a class=\"btn\" href=\"%s\" style=\"font-size:13px;padding:8px 16px;\">Shop now</a></td>\r\n", link)
	}
	h.WriteString("</tr></table></td></tr>\r\n")
	if m.rng.IntN(3) == 0 {
		s := m.sentence()
		fmt.Fprintf(t, "\r\n%s\r\n\r\n", s)
		fmt.Fprintf(h, "<tr><td style=\"padding:12px 32px;font-size:16px;text-align:center;\">%s</td></tr>\r\n", s)
	}
}

func (m *corpusMsg) receiptHead(t, h *strings.Builder) {
	order := 100000 + m.rng.IntN(900000)
	fmt.Fprintf(t, "Thanks for your order #%d placed on %s.\r\n\r\nItem  Qty  Price\r\n", order, m.date.Format("2 January 2006"))
	fmt.Fprintf(h, "<tr><td style=\"padding:8px 32px;\"><p>Thanks for your order <strong>#%d</strong> placed on %s.</p>\r\n", order, m.date.Format("2 January 2006"))
	fmt.Fprintf(h, "<p><a href=\"%s\">View your order</a> &middot; <a href=\"%s\">Track your parcel</a></p></td></tr>\r\n", m.link("order"), m.link("track"))
	h.WriteString("<tr><td style=\"padding:0 32px;\"><table role=\"presentation\" width=\"100%\" cellpadding=\"6\" cellspacing=\"0\" border=\"0\" style=\"font-size:14px;\">\r\n")
	h.WriteString("<tr style=\"background:#fafafa;\"><th align=\"left\">Item</th><th align=\"center\">Qty</th><th align=\"right\">Price</th></tr>\r\n</table></td></tr>\r\n")
}

func (m *corpusMsg) lineItem(t, h *strings.Builder) {
	name := corpusProducts[m.rng.IntN(len(corpusProducts))]
	sku := fmt.Sprintf("SKU-%06d", m.rng.IntN(1000000))
	qty, price := 1+m.rng.IntN(3), m.price()
	fmt.Fprintf(t, "%s (%s)  x%d  EUR %s\r\n", name, sku, qty, price)
	fmt.Fprintf(h, "<tr><td style=\"padding:0 32px;\"><table role=\"presentation\" width=\"100%%\" cellpadding=\"6\" cellspacing=\"0\" border=\"0\" style=\"font-size:14px;border-bottom:1px solid #eeeeee;\"><tr>")
	fmt.Fprintf(h, "<td align=\"left\"><a href=\"%s\" style=\"color:#222222;\">%s</a><br /><span style=\"color:#888888;font-size:12px;\">%s</span></td>", m.link("item"), name, sku)
	fmt.Fprintf(h, "<td align=\"center\" width=\"60\">%d</td><td align=\"right\" width=\"90\">&euro;%s</td></tr></table></td></tr>\r\n", qty, price)
}

func (m *corpusMsg) footer(t, h *strings.Builder) {
	br := m.brand
	unsub, prefs := fmt.Sprintf("https://%s/u/%s", br.domain, m.uid), m.link("preferences")
	legal := fmt.Sprintf("You are receiving this email because you subscribed to %s updates or made a purchase with us. "+
		"Prices and availability are subject to change. Offers cannot be combined and exclude gift cards. "+
		"%s, 12 Harbour Street, 1011 AB Amsterdam, The Netherlands. Registered under KvK 12345678, VAT NL123456789B01.", br.name, br.name)
	if m.lite {
		fmt.Fprintf(t, "\r\n--\r\n%s\r\nUnsubscribe: %s\r\n", br.name, unsub)
		fmt.Fprintf(h, "<tr><td style=\"padding:16px 32px;font-size:12px;color:#666666;\"><a href=\"%s\">Unsubscribe</a></td></tr>\r\n</table></center></body></html>", unsub)
		return
	}
	fmt.Fprintf(t, "\r\n--\r\n%s\r\n\r\nManage preferences: %s\r\nUnsubscribe: %s\r\n", legal, prefs, unsub)
	h.WriteString("<tr><td style=\"padding:24px 32px;background:#f0f0f0;font-size:12px;line-height:18px;color:#666666;text-align:center;\">\r\n<p>")
	for _, s := range []string{"facebook", "instagram", "pinterest", "youtube"} {
		fmt.Fprintf(h, "<a href=\"%s\"><img src=\"https://cdn.%s/img/social/%s.png\" alt=\"%s\" width=\"24\" height=\"24\" style=\"border:0;margin:0 6px;\" /></a>", m.link("social-"+s), br.domain, s, s)
	}
	fmt.Fprintf(h, "</p>\r\n<p>%s</p>\r\n", legal)
	fmt.Fprintf(h, "<p><a href=\"%s\" style=\"color:#666666;\">Manage preferences</a> &middot; <a href=\"%s\" style=\"color:#666666;\">Unsubscribe</a> &middot; <a href=\"https://%s/privacy\" style=\"color:#666666;\">Privacy policy</a></p>\r\n", prefs, unsub, br.domain)
	fmt.Fprintf(h, "</td></tr>\r\n</table>\r\n<img src=\"https://open.%s/o/%s.gif\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none;\" />\r\n</center></body></html>", br.domain, randToken(m.rng, 24))
}
