// Package mailgen makes varied, deterministic RFC 5322 test messages for
// tests of code that must leave a message's bytes alone while reading them
// exactly: DKIM and ARC signers and verifiers above all. A signer that
// passes on one tidy ASCII message can still break on 8-bit bodies, folded
// or odd-case header fields, missing final CRLFs or dot-led lines; Varied
// puts all of those in one batch.
//
// # Responsibility
//
// Varied(n, seed) returns n messages with CRLF line endings and no bare CR
// or LF, lines of at most 998 octets (RFC 5322 §2.1.1), and always From,
// To, Subject, Date and Message-ID. Features(i) says which of the Feature
// values message i exhibits; WithAuthResults prepends the
// Authentication-Results field an ARC sealer needs.
//
// The features follow fixed rotations over the message index i, so each
// appears in a known share of any batch, whatever the seed:
//
//	body (i%8)  0 ASCII text         1 UTF-8 text, 8bit      2 multipart/alternative
//	            3 ASCII text >=4 KB  4 lines of 900+ octets  5 empty body
//	            6 UTF-8 text >=4 KB  7 multipart/mixed with an 8bit UTF-8 part
//	body edits, on every body but the empty one:
//	            DotLines i%3==0, TrailingWhitespace i%4==1,
//	            TrailingBlankLines i%5==2, NoFinalCRLF i%5==4
//	header      LongHeader i%3==1 (Subject when (i/3)%2==0, else References),
//	            FoldedHeader i%4==2, OddCaseNames i%5==3,
//	            DuplicateHeaders i%6==5 (two Received; also two To when i%12==11),
//	            EncodedWords i%7==1, UTF8Header i%7==4
//
// In 100 messages the rarest feature appears 12 times. The seed chooses
// only the content (words, names, lengths, dates); message i depends on i
// and the seed alone, so Varied(50, s) is a prefix of Varied(100, s).
//
// # Not responsible for
//
// Being realistic mail or valid MIME beyond what parsers accept: duplicate
// To fields break RFC 5322's field counts on purpose. No signing, no
// sending.
//
// # Concurrency
//
// No shared state: every call builds its own generator.
//
// # Standards
//
// RFC 5322 (format, folding §2.2.3), RFC 2045/2046 (MIME, multipart),
// RFC 2047 (encoded-words), RFC 6532 (raw UTF-8 in header fields),
// RFC 8601 (Authentication-Results).
//
// # Failure behaviour
//
// Pure functions of their arguments; they do not fail.
package mailgen
