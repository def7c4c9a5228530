package mailgen

// Feature is one trait of a message that signers and verifiers get wrong;
// Features(i) lists those of message i (see the rotation in doc.go).
type Feature uint8

// The features Varied rotates through.
const (
	// EightBitBody: UTF-8 text in the body, declared
	// Content-Transfer-Encoding: 8bit.
	EightBitBody Feature = iota
	// LongHeader: a header field on one physical line of more than 200
	// octets, which a refolding signer would change.
	LongHeader
	// FoldedHeader: header fields already folded, with tabs and runs of
	// spaces around the folds and trailing whitespace before them.
	FoldedHeader
	// OddCaseNames: header field names in unusual case ("SUBJECT", "from").
	OddCaseNames
	// DuplicateHeaders: a field name present more than once (Received;
	// on some, To).
	DuplicateHeaders
	// TrailingWhitespace: body lines ending in spaces or tabs.
	TrailingWhitespace
	// TrailingBlankLines: blank lines at the end of the body.
	TrailingBlankLines
	// EmptyBody: nothing after the blank line that ends the header.
	EmptyBody
	// NoFinalCRLF: a body whose last line has no CRLF.
	NoFinalCRLF
	// DotLines: body lines that start with dots, among them "." and "..".
	DotLines
	// Multipart: a MIME multipart body.
	Multipart
	// LongBodyLines: body lines of 900 octets or more.
	LongBodyLines
	// LargeBody: a body of 4096 octets or more.
	LargeBody
	// EncodedWords: RFC 2047 encoded-words in Subject and From.
	EncodedWords
	// UTF8Header: raw UTF-8 in Subject and From (RFC 6532).
	UTF8Header

	featureCount
)

// String returns the feature's short name, such as "no-final-crlf".
func (f Feature) String() string {
	switch f {
	case EightBitBody:
		return "8bit-body"
	case LongHeader:
		return "long-header"
	case FoldedHeader:
		return "folded-header"
	case OddCaseNames:
		return "odd-case-names"
	case DuplicateHeaders:
		return "duplicate-headers"
	case TrailingWhitespace:
		return "trailing-whitespace"
	case TrailingBlankLines:
		return "trailing-blank-lines"
	case EmptyBody:
		return "empty-body"
	case NoFinalCRLF:
		return "no-final-crlf"
	case DotLines:
		return "dot-lines"
	case Multipart:
		return "multipart"
	case LongBodyLines:
		return "long-body-lines"
	case LargeBody:
		return "large-body"
	case EncodedWords:
		return "encoded-words"
	case UTF8Header:
		return "utf8-header"
	}
	return "feature?"
}

// AllFeatures returns every Feature, in order.
func AllFeatures() []Feature {
	all := make([]Feature, featureCount)
	for f := range all {
		all[f] = Feature(f)
	}
	return all
}

// bodyKind is the shape of a message body, chosen by i%bodyKindCount.
type bodyKind uint8

const (
	asciiText bodyKind = iota
	utf8Text
	alternative
	largeASCII
	longLines
	emptyBody
	largeUTF8
	mixed

	bodyKindCount
)

// featureSet is a set of Features, one bit each.
type featureSet uint32

func (s featureSet) has(f Feature) bool { return s&(1<<f) != 0 }

func (s *featureSet) add(f Feature) { *s |= 1 << f }

// plan is what message i will contain: the body shape plus every feature.
type plan struct {
	kind     bodyKind
	features featureSet
	// longSubject says whether LongHeader lengthens Subject (else References).
	longSubject bool
	// twoTo says whether DuplicateHeaders also repeats To.
	twoTo bool
}

// planFor returns the plan of message i; the rotations are documented in doc.go.
func planFor(i int) plan {
	p := plan{kind: bodyKind(i % int(bodyKindCount))}
	switch p.kind {
	case utf8Text:
		p.features.add(EightBitBody)
	case alternative:
		p.features.add(Multipart)
	case largeASCII:
		p.features.add(LargeBody)
	case longLines:
		p.features.add(LongBodyLines)
	case emptyBody:
		p.features.add(EmptyBody)
	case largeUTF8:
		p.features.add(EightBitBody)
		p.features.add(LargeBody)
	case mixed:
		p.features.add(EightBitBody)
		p.features.add(Multipart)
	}
	if p.kind != emptyBody {
		addIf(&p.features, DotLines, i%3 == 0)
		addIf(&p.features, TrailingWhitespace, i%4 == 1)
		addIf(&p.features, TrailingBlankLines, i%5 == 2)
		addIf(&p.features, NoFinalCRLF, i%5 == 4)
	}
	addIf(&p.features, LongHeader, i%3 == 1)
	addIf(&p.features, FoldedHeader, i%4 == 2)
	addIf(&p.features, OddCaseNames, i%5 == 3)
	addIf(&p.features, DuplicateHeaders, i%6 == 5)
	addIf(&p.features, EncodedWords, i%7 == 1)
	addIf(&p.features, UTF8Header, i%7 == 4)
	p.longSubject = (i/3)%2 == 0
	p.twoTo = i%12 == 11
	return p
}

func addIf(s *featureSet, f Feature, cond bool) {
	if cond {
		s.add(f)
	}
}

// Features returns the features of message i of any Varied batch (they
// depend on the index only, not on the seed), in Feature order.
func Features(i int) []Feature {
	s := planFor(i).features
	var out []Feature
	for f := range featureCount {
		if s.has(f) {
			out = append(out, f)
		}
	}
	return out
}

// Has reports whether message i of any Varied batch has feature f.
func Has(i int, f Feature) bool { return planFor(i).features.has(f) }
