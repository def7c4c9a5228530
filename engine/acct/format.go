package acct

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// ISOLayout is the time format of iso-times yes (PowerMTA's default): local time with
// its UTC offset, to the second.
const ISOLayout = "2006-01-02 15:04:05-0700"

// Encoder turns Records into the CSV rows of one file layout: PowerMTA's columns, RFC 4180
// quoting, "\n" line ends. AppendRecord does not allocate under privacy-policy retain.
//
// An Encoder keeps scratch buffers and belongs to one goroutine.
type Encoder struct {
	cols       []column
	wants      [typeCount]bool
	iso        bool
	userString string
	priv       *privacy // nil: retain
	scratch    []byte
}

// NewEncoder compiles an <acct-file> block's records, record-fields, iso-times,
// user-string and privacy-policy directives. It fails on an unknown record type or field
// name and on a privacy policy it cannot apply.
func NewEncoder(cfg *config.AcctFile) (*Encoder, error) {
	e := &Encoder{iso: cfg.ISOTimes, userString: cfg.UserString}
	records := cfg.Records
	if len(records) == 0 {
		records = []string{"d", "b"} // reference §2.11 default
	}
	var types []Type
	for _, name := range records {
		t, ok := ParseType(name)
		if !ok {
			return nil, fmt.Errorf("acct: %s: unknown record type %q", cfg.Path, name)
		}
		if !e.wants[t] {
			e.wants[t] = true
			types = append(types, t)
		}
	}
	for name := range cfg.RecordFields {
		if t, ok := ParseType(name); !ok || !e.wants[t] {
			return nil, fmt.Errorf("acct: %s: record-fields for %q, which records does not list", cfg.Path, name)
		}
	}
	cols, err := configColumns(types, cfg.RecordFields, cfg.UserString != "")
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, cfg.Path)
	}
	e.cols = cols
	if e.priv, err = parsePrivacy(cfg.PrivacyPolicy); err != nil {
		return nil, fmt.Errorf("acct: %s: %w", cfg.Path, err)
	}
	return e, nil
}

// NewHeaderEncoder returns an Encoder that writes the columns of header (a header row as
// Reader.Header returns it, "type" first) for every record type, with ISO or time_t
// times and no privacy policy: the way to write records read from a file back out.
func NewHeaderEncoder(header []string, isoTimes bool) (*Encoder, error) {
	cols, err := headerColumns(header)
	if err != nil {
		return nil, err
	}
	e := &Encoder{cols: cols, iso: isoTimes}
	for t := Delivered; t < typeCount; t++ {
		e.wants[t] = true
	}
	return e, nil
}

// Wants reports whether the layout has t's records; AppendRecord writes others anyway.
func (e *Encoder) Wants(t Type) bool { return t < typeCount && e.wants[t] }

// Header returns the column names, "type" first.
func (e *Encoder) Header() []string {
	h := make([]string, len(e.cols))
	for i, c := range e.cols {
		h[i] = c.name
	}
	return h
}

// AppendHeader appends the header row.
func (e *Encoder) AppendHeader(dst []byte) []byte {
	for i := range e.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSV(dst, e.cols[i].name)
	}
	return append(dst, '\n')
}

// AppendRecord appends r as one row. Columns r's type did not select stay empty.
func (e *Encoder) AppendRecord(dst []byte, r *Record) []byte {
	bit := uint16(0)
	if r.Type < typeCount {
		bit = 1 << r.Type
	}
	for i := range e.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		if c := &e.cols[i]; c.types&bit != 0 {
			dst = e.appendValue(dst, c, r)
		}
	}
	return append(dst, '\n')
}

func (e *Encoder) appendValue(dst []byte, c *column, r *Record) []byte {
	switch c.field {
	case fType:
		return append(dst, r.Type.String()...)
	case fTimeLogged:
		return e.appendTime(dst, r.TimeLogged)
	case fTimeQueued:
		return e.appendTime(dst, r.TimeQueued)
	case fTimeFirstAttempt:
		return e.appendTime(dst, r.TimeFirstAttempt)
	case fTotalSecondsQueued:
		if r.TotalSecondsQueued == 0 && r.TimeQueued.IsZero() {
			return dst
		}
		return strconv.AppendInt(dst, r.TotalSecondsQueued, 10)
	case fDlvSize:
		if r.DlvSize == 0 {
			return dst
		}
		return strconv.AppendInt(dst, r.DlvSize, 10)
	case fDlvWarmup:
		if r.DlvWarmup == 0 {
			return dst
		}
		// A source held at all reads as held: at least 0.01, never "0.00".
		return strconv.AppendFloat(dst, max(r.DlvWarmup, minWarmup), 'f', warmupDecimals, 64)
	case fRcvSourceIP, fRcvDestinationIP, fDlvSourceIP, fDlvDestinationIP, fRepSourceIP:
		return e.appendAddr(dst, *addrField(r, c.field))
	case fHeader, fARF, fExtra:
		return appendCSV(dst, pairValue(r, c))
	case fUserString:
		if r.UserString == "" {
			return appendCSV(dst, e.userString)
		}
	case fOrig, fRcpt, fOrcpt, fDSNDiag:
		if e.priv != nil {
			e.scratch = e.priv.rewrite(e.scratch[:0], c.field, r)
			return appendCSV(dst, e.scratch)
		}
	}
	return appendCSV(dst, *stringField(r, c.field))
}

func (e *Encoder) appendTime(dst []byte, t time.Time) []byte {
	switch {
	case t.IsZero():
		return dst
	case e.iso:
		return t.AppendFormat(dst, ISOLayout)
	}
	return strconv.AppendInt(dst, t.Unix(), 10)
}

// appendAddr writes an address; only a zone can hold a character that needs quoting.
func (e *Encoder) appendAddr(dst []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return dst
	case a.Zone() == "":
		return a.AppendTo(dst)
	}
	e.scratch = a.AppendTo(e.scratch[:0])
	return appendCSV(dst, e.scratch)
}

func pairValue(r *Record, c *column) string {
	var v string
	switch c.field {
	case fHeader:
		v, _ = lookup(r.Headers, c.key)
	case fARF:
		v, _ = lookup(r.ARF, c.key)
	default:
		for i := range r.Extra {
			if r.Extra[i].Name == c.key {
				return r.Extra[i].Value
			}
		}
	}
	return v
}

// addrField returns the address field f of r; f must be an address field.
func addrField(r *Record, f field) *netip.Addr {
	switch f {
	case fRcvSourceIP:
		return &r.RcvSourceIP
	case fRcvDestinationIP:
		return &r.RcvDestinationIP
	case fDlvSourceIP:
		return &r.DlvSourceIP
	case fDlvDestinationIP:
		return &r.DlvDestinationIP
	}
	return &r.RepSourceIP
}

// stringField returns the string field f of r, or a pointer to a blank for a field that
// is not a string (so a caller that misroutes writes nothing rather than panics).
func stringField(r *Record, f field) *string {
	switch f {
	case fOrig:
		return &r.Orig
	case fRcpt:
		return &r.Rcpt
	case fOrcpt:
		return &r.Orcpt
	case fDSNAction:
		return &r.DSNAction
	case fDSNStatus:
		return &r.DSNStatus
	case fDSNDiag:
		return &r.DSNDiag
	case fDSNMTA:
		return &r.DSNMTA
	case fDSNReportingMTA:
		return &r.DSNReportingMTA
	case fBounceCat:
		return &r.BounceCat
	case fSrcType:
		return &r.SrcType
	case fSrcMTA:
		return &r.SrcMTA
	case fDlvType:
		return &r.DlvType
	case fDlvESMTPAvailable:
		return &r.DlvESMTPAvailable
	case fDlvTLSProtocol:
		return &r.DlvTLSProtocol
	case fDlvTLSCipher:
		return &r.DlvTLSCipher
	case fVMTA:
		return &r.VMTA
	case fVMTAPool:
		return &r.VMTAPool
	case fQueue:
		return &r.Queue
	case fQueueMode:
		return &r.QueueMode
	case fJobID:
		return &r.JobID
	case fEnvID, fEnvIDf:
		return &r.EnvID
	case fRcvSMTPUser:
		return &r.RcvSMTPUser
	case fUserString:
		return &r.UserString
	case fFormat:
		return &r.Format
	case fFeedbackType:
		return &r.FeedbackType
	case fUserAgent:
		return &r.UserAgent
	case fReportingMTA:
		return &r.ReportingMTA
	case fReportedDomain:
		return &r.ReportedDomain
	}
	return new(string)
}
