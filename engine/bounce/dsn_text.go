package bounce

import (
	"strconv"
	"strings"
)

// textOrder is the order of the text part's sections.
var textOrder = [...]Action{ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded}

// textHeading explains each action in plain words, for the sender.
var textHeading = [actionCount]string{
	ActionFailed: "Your message could not be delivered to the recipients below. " +
		"The mail system has given up and will not try again.",
	ActionDelayed: "Your message has not been delivered yet to the recipients below. " +
		"The mail system will keep trying; you do not need to send it again.",
	ActionDelivered: "Your message was delivered to the recipients below.",
	ActionRelayed: "Your message was passed on to the mail systems of the recipients below. " +
		"They do not report on delivery, so you may hear nothing more about it.",
	ActionExpanded: "Your message was delivered to the recipients below, " +
		"which forwarded it to further addresses.",
}

// appendText appends the human-readable first part (RFC 3464 §2.1, RFC
// 6522 §3): one section per action present, each recipient with the
// reason, then what is attached.
func (b *builder) appendText(dst []byte) []byte {
	w := lineWriter{b: dst, width: 76, indent: "    ", utf8: b.global}
	w.str("This is the mail system at host ")
	w.str(b.p.ReportingMTA)
	w.str(".")
	w.crlf()
	for _, a := range textOrder {
		first := true
		for i := range b.p.Outcomes {
			o := &b.p.Outcomes[i]
			if o.Action != a {
				continue
			}
			if first {
				w.crlf()
				w.indent = ""
				w.words(textHeading[a])
				w.crlf()
				w.crlf()
				first = false
			}
			textRecipient(&w, o)
		}
	}
	b.textReturned(&w)
	return w.b
}

// textRecipient appends one recipient's lines.
func textRecipient(w *lineWriter, o *Outcome) {
	w.indent = "    "
	w.str("  <")
	w.words(o.Recipient.Addr)
	w.str(">")
	w.crlf()
	w.str("    ")
	if o.Diagnostic != "" {
		typ, text, typed := splitTyped(o.Diagnostic)
		if smtp := typed && strings.EqualFold(typ, "smtp") || !typed && replyCode(text); smtp && o.RemoteMTA != "" {
			_, host, _ := splitTyped(o.RemoteMTA)
			w.words(host)
			w.word("said:")
		} else {
			w.word("Reason:")
		}
		w.words(text)
	} else {
		w.word("Status:")
		w.word(statusOf(o))
	}
	w.crlf()
	if o.Action == ActionDelayed && !o.WillRetryUntil.IsZero() {
		w.str("    The mail system will keep trying until ")
		w.date(o.WillRetryUntil)
		w.str(".")
		w.crlf()
	}
}

// textReturned says what of the original is attached.
func (b *builder) textReturned(w *lineWriter) {
	r := &b.ret
	if r.kind == retNone {
		return
	}
	w.crlf()
	w.indent = ""
	switch {
	case r.kind == retFull:
		w.words("A copy of your message is attached.")
	case r.why == whyTooBig:
		w.words("Your message was larger than")
		w.word(strconv.Itoa(r.limit))
		w.words("bytes, so only its headers are attached.")
	case r.why == whyUnsafe:
		w.words("Only the headers of your message are attached: its body could not be returned as it was.")
	default:
		w.words("The headers of your message are attached.")
	}
	if r.cut {
		w.words("They were too long and have been cut short.")
	}
	w.crlf()
}
