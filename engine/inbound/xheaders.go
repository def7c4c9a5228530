package inbound

import (
	"bytes"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/smtpwire"
)

// field is one header field of a message.
type field struct {
	name []byte
	raw  []byte // the whole field, folded lines and CRLF included
}

// value returns the field's body unfolded and trimmed (RFC 5322 §2.2.3);
// called only for the fields a caller wants, as it allocates.
func (f field) value() string {
	v := f.raw[len(f.name)+1:]
	v = bytes.ReplaceAll(bytes.ReplaceAll(v, []byte("\r\n"), nil), []byte("\t"), []byte(" "))
	return string(bytes.TrimSpace(v))
}

// nextField splits the first field off headers (RFC 5322 §2.2: a field
// continues on lines that start with a space or tab). ok is false at the
// blank line or the end.
func nextField(headers []byte) (f field, rest []byte, ok bool) {
	if len(headers) == 0 || bytes.HasPrefix(headers, []byte("\r\n")) {
		return f, headers, false
	}
	end := 0
	for {
		i := bytes.Index(headers[end:], []byte("\r\n"))
		if i < 0 {
			end = len(headers)
			break
		}
		end += i + 2
		if end >= len(headers) || (headers[end] != ' ' && headers[end] != '\t') {
			break
		}
	}
	f.raw = headers[:end]
	colon := bytes.IndexByte(f.raw, ':')
	if colon < 0 {
		return f, headers[end:], true // not a field: no name, kept as it is
	}
	f.name = f.raw[:colon]
	return f, headers[end:], true
}

// routing is what the message's header fields asked for or showed:
// X-Virtual-MTA, the job header, X-EnvId (process-x-envid), and how many
// Received fields it came with (max-message-hops).
type routing struct {
	vmta, job, envID string
	hops             int
}

var replyInvalidVMTA = smtpwire.Reply{Code: smtpwire.C550MailboxUnavail, Enh: smtpwire.E570SecurityOther, Text: "Invalid virtual MTA"}

// RouteHeaders is the source's reading of a message's X-Virtual-MTA and job
// header for the paths off the loops (the pickup directory): msg without
// them (unless retained), and the vMTA and job they named ("" for none).
func RouteHeaders(src *config.SourceSettings, msg []byte) (out []byte, vmta, job string) {
	if !src.ProcessXVirtualMTA && !src.ProcessXJob {
		return msg, "", ""
	}
	out, rt := appendRouted(make([]byte, 0, len(msg)), msg, src, false) // no Date of ours replaces the message's here
	return out, rt.vmta, rt.job
}

// appendRouted appends msg to dst, reading X-Virtual-MTA (process-x-virtual-mta),
// the job header (process-x-job, jobid-header, default X-Job) and X-EnvId
// (process-x-envid), leaving them out unless retain-x-virtual-mta /
// retain-x-job say to keep them, and the fields remove-header names. With
// dropDate (add-date-header override, when appendMissingHeaders wrote our
// Date) it leaves out the message's Date fields too. It counts the
// Received fields when max-message-hops is set.
func appendRouted(dst, msg []byte, src *config.SourceSettings, dropDate bool) ([]byte, routing) {
	var rt routing
	if !src.ProcessXVirtualMTA && !src.ProcessXJob && !dropDate && !src.ProcessXEnvID &&
		len(src.RemoveHeaders) == 0 && src.MaxMessageHops <= 0 {
		return append(dst, msg...), rt
	}
	jobHeader := src.JobIDHeader
	if jobHeader == "" {
		jobHeader = "X-Job"
	}
	headers, rest := msg, msg
	for {
		f, next, ok := nextField(headers)
		if !ok {
			rest = headers
			break
		}
		headers = next
		keep := true
		switch {
		case src.ProcessXVirtualMTA && bytes.EqualFold(f.name, []byte("X-Virtual-MTA")):
			rt.vmta, keep = f.value(), src.RetainXVirtualMTA
		case src.ProcessXJob && bytes.EqualFold(f.name, []byte(jobHeader)):
			rt.job, keep = f.value(), src.RetainXJob
		case dropDate && bytes.EqualFold(f.name, []byte("Date")):
			keep = false
		case src.ProcessXEnvID && bytes.EqualFold(f.name, []byte("X-EnvId")):
			rt.envID, keep = f.value(), false
		case bytes.EqualFold(f.name, []byte("Received")):
			rt.hops++
		case len(src.RemoveHeaders) > 0 && named(f.name, src.RemoveHeaders):
			keep = false
		}
		if keep {
			dst = append(dst, f.raw...)
		}
	}
	return append(dst, rest...), rt
}

// named reports whether a field name is one of names, in any case.
func named(name []byte, names []string) bool {
	for _, n := range names {
		if len(n) == len(name) && bytes.EqualFold(name, []byte(n)) {
			return true
		}
	}
	return false
}
