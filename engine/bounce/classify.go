package bounce

import (
	"regexp"
	"strings"
)

// Pattern is one line of <bounce-category-patterns>: a regexp and the
// category it names. The regexp sees the status code, a space and the
// diagnostic: "5.1.1 550 5.1.1 <a@example.com>: user unknown", so that
// PowerMTA's status-anchored patterns (/^5\.1\.1/) work unchanged.
type Pattern struct {
	Regexp   *regexp.Regexp
	Category string
}

// Patterns is a config's <bounce-category-patterns>, in order; the first
// match wins. They are tried before the built-in rules. A pattern that
// matches the empty text (PowerMTA's closing `// other`) is a catch-all:
// it names the category only when the built-in rules find none, so a
// config that copies PowerMTA's list keeps the built-in rules in force.
type Patterns []Pattern

// match returns the category of the first pattern other than a catch-all
// that matches subject, and the category of the first catch-all.
func (ps Patterns) match(subject string) (cat, catchAll string) {
	for i := range ps {
		p := &ps[i]
		if p.Regexp == nil {
			continue
		}
		if p.Regexp.MatchString("") {
			if catchAll == "" {
				catchAll = p.Category
			}
			continue
		}
		if p.Regexp.MatchString(subject) {
			return p.Category, catchAll
		}
	}
	return "", catchAll
}

// Classification is the verdict on one failed recipient.
type Classification struct {
	// Recipient is the failed address; "" when the bounce does not say.
	Recipient string
	// Category is one of PowerMTA's categories (Category*), or a category a
	// config pattern names.
	Category string
	// Status is the RFC 3463 status code, "5.1.1", as the bounce gives it;
	// x.0.0 when it gives only a reply code, 5.0.0 when it gives none.
	Status string
	// Hard is true when the failure is permanent for this address, so that
	// a retry or a later message cannot succeed: a 5.x.x status and no such
	// mailbox or domain (see hardFailure).
	Hard bool
	// Diagnostic is the remote reply or the bounce's text about the
	// recipient, white space collapsed, at most 400 bytes.
	Diagnostic string
}

// HardSoft returns "hard" or "soft".
func (c Classification) HardSoft() string {
	if c.Hard {
		return "hard"
	}
	return "soft"
}

// Limits on what one bounce costs to classify.
const (
	maxDiag           = 400     // bytes of Diagnostic
	maxDSNRecipients  = 1000    // per-recipient blocks read from a DSN
	maxFreeRecipients = 100     // addresses taken as recipients from free text
	maxSegment        = 8 << 10 // bytes of text read about one recipient
	maxForward        = 3       // bounces attached to bounces, looked into
)

// Classify reads a bounce (an RFC 3464 multipart/report DSN or the
// free-form text bounces of qmail, Exim, Sendmail, DragonFly and the big
// providers) and classifies each recipient it reports as failed or
// delayed. It returns nil when the message reports no failure (a success
// DSN) or is not a bounce it can read. patterns may be nil.
func Classify(msg []byte, patterns Patterns) []Classification {
	return classifyMessage(msg, patterns, 0)
}

func classifyMessage(msg []byte, patterns Patterns, depth int) []Classification {
	r := parseReport(msg)
	w := &whole{text: string(r.text)}
	if len(r.rcpts) > 0 {
		var out []Classification
		for _, d := range r.rcpts {
			switch d.action {
			case "delivered", "relayed", "expanded":
				continue
			}
			rcpt := bareAddress(d.final)
			if rcpt == "" {
				rcpt = bareAddress(d.orig)
			}
			in := input{
				status: d.status,
				diag:   compact(stripType(d.diag)+statusComment(d.status), 4*maxDiag),
				seg:    recipientText(w.text, w.lower(), rcpt),
				w:      w, bounce: true, exit: mailerExit(d.diag),
			}
			out = append(out, classify(rcpt, in, patterns))
		}
		return out
	}
	blank := strings.TrimSpace(w.text) == ""
	if blank && r.attached != nil && depth < maxForward {
		if out := classifyMessage(r.attached, patterns, depth+1); out != nil { // a bounce forwarded as an attachment
			return out
		}
	}
	if blank || !r.bounceLike() && !w.anyRule() {
		return nil
	}
	return classifyFree(r, w, patterns)
}

// classifyFree classifies a bounce without delivery-status fields: the
// recipients are X-Failed-Recipients, else the addresses its text
// mentions other than its own; each gets the text from its first mention
// to the next recipient's.
func classifyFree(r *report, w *whole, patterns Patterns) []Classification {
	var rcpts []addrSpan
	if r.failed != "" {
		seen := map[string]bool{}
		for _, a := range strings.Split(r.failed, ",") {
			low := strings.ToLower(bareAddress(a))
			if low != "" && !seen[low] && len(rcpts) < maxFreeRecipients {
				seen[low] = true
				rcpts = append(rcpts, addrSpan{bareAddress(a), strings.Index(w.lower(), low)})
			}
		}
	} else {
		own := []string{r.to, r.from}
		for _, a := range findAddresses(w.text, 2*maxFreeRecipients) {
			if !notRecipient(a.addr, own) && len(rcpts) < maxFreeRecipients {
				rcpts = append(rcpts, a)
			}
		}
	}
	if len(rcpts) == 0 {
		rcpt := ""
		if r.attached != nil {
			h, _ := splitHeader(r.attached)
			rcpt = bareAddress(headerValue(h, "To"))
		}
		return []Classification{classify(rcpt, input{w: w, bounce: true, free: true, exit: -1}, patterns)}
	}
	out := make([]Classification, 0, len(rcpts))
	for _, s := range segments(w.text, rcpts) {
		line, _, _ := strings.Cut(s.text, "\n")
		in := input{line: line, diag: compact(s.text, maxText), seg: s.text, w: w, bounce: true, free: true, exit: -1}
		out = append(out, classify(s.rcpt, in, patterns))
	}
	return out
}

// statusComment returns the comment of a Status field ("5.2.1 (mailbox
// disabled)" gives " (mailbox disabled)"): the reporting MTA's words
// about the failure, read with the diagnostic.
func statusComment(status string) string {
	if i := strings.IndexByte(status, '('); i > 0 {
		return " " + status[i:]
	}
	return ""
}

// ClassifyReply classifies an SMTP reply on its own ("550 5.1.1 <a@b>: user
// unknown"), as the delivery path gets it for a recipient it bounces. A
// 4yz reply is classified as given; it is the caller that knows whether the
// message has expired.
func ClassifyReply(reply string, patterns Patterns) Classification {
	return classify("", input{diag: compact(reply, 4*maxDiag), w: &whole{}, exit: -1}, patterns)
}

// input is what is known about one recipient's failure.
type input struct {
	status string // the DSN's Status field, "" when none
	diag   string // the remote reply or the text about the recipient
	line   string // a free-form bounce's line naming the recipient
	seg    string // the bounce's text about the recipient
	w      *whole // the bounce's whole text
	bounce bool   // from a bounce, not a lone reply: the MTA retried before it reported
	free   bool   // a free-form bounce: no Status field
	exit   int    // a local mailer's exit status (Diagnostic-Code: X-Unix; 67), or -1
}

// classify decides one recipient. The category comes from, in order: the
// config's patterns; the built-in rules (builtinCategory); a catch-all
// pattern; other.
func classify(rcpt string, in input, patterns Patterns) Classification {
	if in.free && in.diag == "" && in.seg == "" {
		in.diag = in.w.compact() // nothing is about the recipient alone: the whole text is
	}
	seg := in.seg
	if seg == "" {
		seg = in.diag
	}
	st := pickStatus(in.status, in.diag, seg, in.w, in.free)
	cat, catchAll := patterns.match(st + " " + compact(in.diag, 4*maxDiag))
	cmd := replyTo(normalize(in.diag + " " + seg))
	if cat == "" {
		cat = builtinCategory(st, seg, cmd, in)
	}
	if cat == "" {
		cat = catchAll
	}
	if cat == "" {
		cat = CategoryOther
	}
	if cmd == cmdData && noAccount.MatchString(normalize(in.diag)) {
		cmd = "" // Yahoo refuses unknown users after DATA, and says so
	}
	hard := st[0] == '5' && hardFailure(cat, st, cmd, findStatus(in.diag) != "")
	return Classification{Recipient: rcpt, Category: cat, Status: st, Hard: hard, Diagnostic: compact(in.diag, maxDiag)}
}

// builtinCategory applies the built-in rules; "" when none decides. The
// line naming the recipient is read first, then the diagnostic, then the
// status code, then the bounce's text about the recipient, then all of
// its text. In a bounce (not a lone reply) a temporary failure that no
// reason explains, a timeout or a refused connection means the MTA
// retried until it gave up or sent a delay notice: message-expired. A
// reply to MAIL FROM that names no other reason is about the sender:
// invalid-sender.
func builtinCategory(st, seg, cmd string, in input) string {
	if in.exit >= 0 {
		return exitCategory(in.exit)
	}
	cat, strong := "", false
	diag := normalize(in.diag)
	other := ""
	if seg != in.diag {
		other = normalize(seg)
	}
	line := normalize(in.line)
	if c, ok := matchRules(reasonRules, line); ok {
		cat, strong = c, true
	} else if c, ok := matchRules(transportRules, line); ok {
		cat = c
	} else if c, ok := matchRules(reasonRules, diag); ok {
		cat, strong = c, true
	} else if c, ok := matchRules(reasonRules, other); ok && diag == "" {
		cat, strong = c, true
	} else if in.bounce && st[0] == '4' {
		cat = CategoryMessageExpired
	} else if c, ok := matchRules(transportRules, diag); ok {
		cat = c
	} else if c := statusCategory(st); c != "" {
		cat = c
	} else if c, ok := matchRules(reasonRules, other); ok {
		cat, strong = c, true
	} else if c, ok := matchRules(transportRules, other); ok {
		cat = c
	} else if in.w.text != seg && in.w.text != in.diag {
		cat, strong = in.w.category()
	}
	switch {
	case in.bounce && (cat == CategoryNoAnswerFromHost || cat == CategoryBadConnection):
		return CategoryMessageExpired
	case cmd == cmdMail && (!strong || cat == CategoryBadMailbox || cat == CategoryBadDomain):
		return CategoryInvalidSender
	}
	return cat
}

// hardFailure reports whether a permanent failure (status st) in category
// cat is hard: the address itself is wrong. Everything else is soft, as
// it may pass: a full mailbox, a block, a policy, the message's content,
// the network. Suspended and disabled accounts (inactive-mailbox) are soft
// too, because providers reactivate them; list hygiene should act on
// repeated soft bounces rather than on one.
//
// A missing domain is hard. A missing mailbox is when the status says so
// (x.1.y). When the status says something else, the text that calls the
// user unknown is weighed against it: a mailbox status (x.2.y: the
// mailbox exists) or a policy status (x.7.y) makes it hard only when the
// address was refused at RCPT TO; otherwise it is hard unless a bare reply
// (no enhanced code) refused it after DATA, when the address had been
// accepted at RCPT and the "no such user" is a filter's verdict on the
// message (the way some mobile carriers refuse senders their users
// blocked). An inactive mailbox is hard when the status calls the address
// bad (x.1.y).
func hardFailure(cat, st, cmd string, coded bool) bool {
	switch cat {
	case CategoryBadDomain:
		return true
	case CategoryBadMailbox:
		switch st[2] {
		case '1':
			return true
		case '2', '7':
			return cmd == cmdRcpt
		}
		return coded || cmd != cmdData
	case CategoryInactiveMailbox:
		return st[2] == '1'
	}
	return false
}

// noAccount is a reply that says the account does not exist in so many
// words, which is hard even after DATA.
var noAccount = regexp.MustCompile(`(doesn't|does not) have an? \S+ account`)

// The SMTP commands a remote reply can answer, as replyTo reports them.
const (
	cmdMail = "mail"
	cmdRcpt = "rcpt"
	cmdData = "data"
)

// replyPhrases are how bounces say which command a reply answered
// (Postfix "in reply to", Exim "after", Sendmail's ">>>" transcript,
// qmail, Yahoo's "[RCPT_TO]", DragonFly "did not like our"), in
// normalized text.
var replyPhrases = []struct{ phrase, cmd string }{
	{"in reply to end of data", cmdData}, {"in reply to data", cmdData}, {"after end of data", cmdData},
	{"after data", cmdData}, {">>> data", cmdData}, {"smtp command data", cmdData}, {"for text command", cmdData},
	{"in reply to mail from", cmdMail}, {"in reply to mail command", cmdMail}, {"after mail from", cmdMail},
	{">>> mail from", cmdMail}, {"[mail_from]", cmdMail}, {"did not like our mail from", cmdMail},
	{"but sender was rejected", cmdMail},
	{"in reply to rcpt to", cmdRcpt}, {"in reply to rcpt command", cmdRcpt}, {"after rcpt", cmdRcpt},
	{">>> rcpt to", cmdRcpt}, {"[rcpt_to]", cmdRcpt}, {"did not like our rcpt to", cmdRcpt},
}

// replyTo returns the command the first reply named in text answered, or "".
func replyTo(text string) string {
	best, cmd := len(text)+1, ""
	for _, p := range replyPhrases {
		if i := strings.Index(text, p.phrase); i >= 0 && i < best {
			best, cmd = i, p.cmd
		}
	}
	return cmd
}

// pickStatus chooses the status code: the first enhanced code in the
// diagnostic, which is the remote server's own, when it agrees with the
// reply code and the Status field on the class and says more than x.0.0;
// else the Status field unless it is x.0.0; else the first such code in
// the text about the recipient, then in the whole text; else the Status
// field; else the reply code's class as x.0.0; else 5.0.0, or 4.0.0 when
// a free-form bounce says it is still trying.
func pickStatus(field, diag, seg string, w *whole, free bool) string {
	field = strings.TrimSpace(field)
	if i := strings.IndexAny(field, " ("); i > 0 { // "5.1.1 (user unknown)"
		field = field[:i]
	}
	if !validStatus(field) || field[0] == '2' { // a success code says nothing of a failure
		field = ""
	}
	reply := findReply(diag)
	class := byte(0)
	switch {
	case field != "":
		class = field[0]
	case reply != "":
		class = reply[0]
	}
	better := func(e string) bool { return e != "" && (field == "" || !strings.HasSuffix(e, ".0.0")) }
	if e := codeOfClass(diag, class); better(e) {
		return e
	}
	if field != "" && !strings.HasSuffix(field, ".0.0") {
		return field
	}
	if e := codeOfClass(seg, class); better(e) {
		return e
	}
	if e := w.code(class); better(e) {
		return e
	}
	if field != "" {
		return field
	}
	if reply == "" {
		reply = findReply(seg)
	}
	if reply == "" {
		reply = w.reply()
	}
	switch {
	case reply != "":
		return reply[:1] + ".0.0"
	case free && w.stillTrying():
		return "4.0.0"
	}
	return "5.0.0"
}

// codeOfClass returns the first enhanced status code in s of class 4 or 5,
// and of class class when that is not 0.
func codeOfClass(s string, class byte) string {
	for len(s) > 0 {
		e, end := nextStatus(s)
		if e == "" {
			return ""
		}
		if e[0] != '2' && (class == 0 || e[0] == class) {
			return e
		}
		s = s[end:]
	}
	return ""
}

// whole is a bounce's human-readable text, shared by its recipients: what
// is computed from it is computed once, however many recipients read it.
type whole struct {
	text string

	low              string
	norm             string
	normDone         bool
	cat              string
	strong, catDone  bool
	codes            [3]string // first code of class 4 or 5, of class 4, of class 5
	codesDone        bool
	rep              string
	repDone          bool
	still, stillDone bool
	compacted        string
	compactedDone    bool
}

// lower returns the text with ASCII letters in lower case, offsets kept.
func (w *whole) lower() string {
	if w.low == "" && w.text != "" {
		w.low = lowerASCII(w.text)
	}
	return w.low
}

func (w *whole) normalized() string {
	if !w.normDone {
		w.norm, w.normDone = normalize(w.text), true
	}
	return w.norm
}

// category returns what the built-in rules make of the whole text, and
// whether a reason rule (not a transport rule) decided it.
func (w *whole) category() (string, bool) {
	if !w.catDone {
		w.catDone = true
		if c, ok := matchRules(reasonRules, w.normalized()); ok {
			w.cat, w.strong = c, true
		} else if c, ok := matchRules(transportRules, w.normalized()); ok {
			w.cat = c
		}
	}
	return w.cat, w.strong
}

// anyRule reports whether a built-in rule recognizes a failure in the text.
func (w *whole) anyRule() bool {
	c, _ := w.category()
	return c != ""
}

// code returns the first enhanced code of class class (4, 5, or 0 for
// either) in the text.
func (w *whole) code(class byte) string {
	if !w.codesDone {
		w.codesDone = true
		for s := w.text; len(s) > 0; {
			e, end := nextStatus(s)
			if e == "" {
				break
			}
			if e[0] != '2' {
				if i := 1 + int(e[0]-'4'); w.codes[i] == "" {
					w.codes[i] = e
				}
				if w.codes[0] == "" {
					w.codes[0] = e
				}
			}
			s = s[end:]
		}
	}
	switch class {
	case '4':
		return w.codes[1]
	case '5':
		return w.codes[2]
	}
	return w.codes[0]
}

func (w *whole) reply() string {
	if !w.repDone {
		w.rep, w.repDone = findReply(w.text), true
	}
	return w.rep
}

// stillTrying reports whether a free-form bounce is a delay warning.
func (w *whole) stillTrying() bool {
	if !w.stillDone {
		w.stillDone = true
		n := w.normalized()
		for _, p := range []string{"will continue", "will retry", "will be retried", "will try again",
			"still trying", "not yet been delivered", "delayed"} {
			if strings.Contains(n, p) {
				w.still = true
				break
			}
		}
	}
	return w.still
}

// compact returns the text with white space collapsed, cut for a diagnostic.
func (w *whole) compact() string {
	if !w.compactedDone {
		w.compacted, w.compactedDone = compact(w.text, 4*maxDiag), true
	}
	return w.compacted
}
