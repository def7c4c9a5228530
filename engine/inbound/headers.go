package inbound

import (
	"bytes"
	"strconv"
	"time"
)

// headerEnd returns the length of the header section of msg, including
// the empty line that ends it (or all of msg when there is none).
func headerEnd(msg []byte) int {
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return 2
	}
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return len(msg)
}

// hasHeader reports whether the header section has a field named name
// (case-insensitive, RFC 5322 §2.2), name given with its colon.
func hasHeader(headers []byte, name string) bool {
	for len(headers) > 0 {
		var line []byte
		line, headers = nextLine(headers)
		if len(line) >= len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) {
			return true
		}
	}
	return false
}

// headerValue is the value of msg's first header field named name
// (without its colon), unfolded and trimmed, and whether there is one.
func headerValue(msg []byte, name string) (string, bool) {
	for headers := msg; ; {
		f, next, ok := nextField(headers)
		if !ok {
			return "", false
		}
		if bytes.EqualFold(f.name, []byte(name)) {
			return f.value(), true
		}
		headers = next
	}
}

// nextLine splits b at its first CRLF: the line before it and the rest.
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.Index(b, []byte("\r\n")); i >= 0 {
		return b[:i], b[i+2:]
	}
	return b, nil
}

// appendMissingHeaders appends the Message-ID and Date fields the source
// asks for (add-message-id-header, add-date-header) when msg lacks them
// (RFC 5322 §3.6.1, §3.6.4). Under add-date-header override Date is always
// written, and appendRouted drops the message's own.
func appendMissingHeaders(dst, msg []byte, ss *session, now time.Time) []byte {
	headers := msg[:headerEnd(msg)]
	if ss.src.AddMessageIDHeader && !hasHeader(headers, "Message-ID:") {
		// Unique: this process's start, a per-process counter, host-id
		// (nodes that share a name), our name.
		dst = append(dst, "Message-ID: <"...)
		dst = strconv.AppendInt(dst, ss.svc.started, 36)
		dst = append(dst, '.')
		dst = strconv.AppendUint(dst, ss.svc.msgSeq.Add(1), 36)
		if id := ss.pol.cfg.Global.HostID; id != 0 {
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(id), 10)
		}
		dst = append(dst, '@')
		dst = append(dst, ss.pol.hostname...)
		dst = append(dst, ">\r\n"...)
	}
	switch date := ss.src.AddDateHeader; {
	case date == "override", date == "yes" && !hasHeader(headers, "Date:"):
		dst = append(dst, "Date: "...)
		dst = now.AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 -0700")
		dst = append(dst, "\r\n"...)
	}
	return dst
}
