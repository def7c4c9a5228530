package acct

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reader reads an accounting file back into Records. It follows the header, so any
// column order and any selection of columns reads; a later row whose first field is
// "type" is a new header (files concatenated with cat read as one). Columns it does not
// know land in Record.Extra.
//
// What a round trip does not keep: times are read to the second; CRs before an LF
// inside a quoted value are dropped (encoding/csv drops one; dropping them all makes
// reading a file this package wrote give the same values again); an empty value reads
// as the zero value.
type Reader struct {
	cr     *csv.Reader
	header []string
	cols   []column
	first  bool  // no row read yet (a UTF-8 BOM may lead it)
	err    error // sticky: a CSV syntax error or a bad header
}

// ParseError is a row that could not be read. Reader.Read may be called again after
// one whose Fatal is false, to go on with the next row.
type ParseError struct {
	Line   int    // 1-based line where the row starts
	Column string // the column at fault, if one is
	Fatal  bool   // the rest of the input cannot be read
	Err    error
}

func (e *ParseError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("acct: line %d: %s: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("acct: line %d: %v", e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

var (
	errNoHeader    = errors.New(`no header row (first field "type") before the first record`)
	errTooMany     = errors.New("more fields than the header has columns")
	errRecType     = errors.New("unknown record type")
	errTimeRange   = errors.New("time out of range")
	errWarmupRange = errors.New("warm-up share out of 0-1")
)

// NewReader returns a Reader of r (RFC 4180, strict quoting).
func NewReader(r io.Reader) *Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &Reader{cr: cr, first: true}
}

// Header returns the columns of the last header row read. The slice is not reused.
func (r *Reader) Header() []string { return r.header }

// Read reads the next record into rec, which it resets first. It returns io.EOF at the
// end of the input and a *ParseError for a row it cannot read.
func (r *Reader) Read(rec *Record) error {
	for r.err == nil {
		row, err := r.cr.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				pe := &ParseError{Fatal: true, Err: err}
				var ce *csv.ParseError // FieldPos is not valid after an error
				if errors.As(err, &ce) {
					pe.Line = ce.StartLine
				}
				err = pe
			}
			r.err = err
			break
		}
		if r.first {
			row[0] = strings.TrimPrefix(row[0], "\uFEFF")
			r.first = false
		}
		for i, v := range row {
			if strings.Contains(v, "\r\n") {
				row[i] = dropCRBeforeLF(v)
			}
		}
		if row[0] == "type" {
			r.header = slices.Clone(row)
			if r.cols, err = headerColumns(r.header); err != nil {
				r.err = &ParseError{Line: r.line(), Fatal: true, Err: err}
			}
			continue
		}
		if r.cols == nil {
			r.err = &ParseError{Line: r.line(), Fatal: true, Err: errNoHeader}
			break
		}
		return r.decode(rec, row)
	}
	return r.err
}

func (r *Reader) line() int {
	line, _ := r.cr.FieldPos(0)
	return line
}

func (r *Reader) decode(rec *Record, row []string) error {
	*rec = Record{}
	if len(row) > len(r.cols) {
		return &ParseError{Line: r.line(), Err: errTooMany}
	}
	for i, v := range row {
		if v == "" {
			continue // an empty value never overwrites: envId and envid share a field
		}
		if err := set(rec, &r.cols[i], v); err != nil {
			return &ParseError{Line: r.line(), Column: r.cols[i].name, Err: err}
		}
	}
	if rec.Type == TypeInvalid {
		return &ParseError{Line: r.line(), Column: "type", Err: errRecType}
	}
	return nil
}

// set stores the non-empty value v of column c into rec.
func set(rec *Record, c *column, v string) error {
	var err error
	switch c.field {
	case fType:
		var ok bool
		if rec.Type, ok = ParseType(v); !ok {
			return errRecType
		}
	case fTimeLogged:
		rec.TimeLogged, err = parseTime(v)
	case fTimeQueued:
		rec.TimeQueued, err = parseTime(v)
	case fTimeFirstAttempt:
		rec.TimeFirstAttempt, err = parseTime(v)
	case fTotalSecondsQueued:
		rec.TotalSecondsQueued, err = strconv.ParseInt(v, 10, 64)
	case fDlvSize:
		rec.DlvSize, err = strconv.ParseInt(v, 10, 64)
	case fDlvWarmup:
		rec.DlvWarmup, err = parseWarmup(v)
	case fRcvSourceIP, fRcvDestinationIP, fDlvSourceIP, fDlvDestinationIP, fRepSourceIP:
		*addrField(rec, c.field), err = netip.ParseAddr(v)
	case fHeader:
		rec.Headers = append(rec.Headers, Pair{c.key, v})
	case fARF:
		rec.ARF = append(rec.ARF, Pair{c.key, v})
	case fExtra:
		rec.Extra = append(rec.Extra, Pair{c.key, v})
	default:
		*stringField(rec, c.field) = v
	}
	return err
}

// dlvWarmup is written with warmupDecimals decimals (warmupScale is 10^warmupDecimals),
// and a share held at all as at least minWarmup.
const (
	warmupDecimals = 2
	warmupScale    = 100
	minWarmup      = 1.0 / warmupScale
)

// parseWarmup reads a dlvWarmup value: a share from 0 to 1, rounded as it is written
// (to warmupDecimals), so that writing what was read gives the same text again.
func parseWarmup(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, err
	}
	if !(f >= 0 && f <= 1) { // NaN too
		return 0, errWarmupRange
	}
	return math.Round(f*warmupScale) / warmupScale, nil
}

// maxUnix is 9999-12-31 23:59:59 UTC, the last time ISOLayout can write.
const maxUnix = 253402300799

// parseTime reads an ISO time (iso-times yes) or a time_t (iso-times no), to the second.
func parseTime(v string) (time.Time, error) {
	if strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil && n > maxUnix {
			err = errTimeRange
		}
		return time.Unix(n, 0), err
	}
	t, err := time.Parse(ISOLayout, v)
	return t.Truncate(time.Second), err
}

// dropCRBeforeLF removes every run of CRs that ends at an LF.
func dropCRBeforeLF(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		j := i
		for j < len(s) && s[j] == '\r' {
			j++
		}
		switch {
		case j > i && j < len(s) && s[j] == '\n':
			i = j - 1 // skip the CRs; the LF is appended next
		case j > i:
			b = append(b, s[i:j]...)
			i = j - 1
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

// Parse reads a whole accounting file; it stops at the first row it cannot read.
func Parse(data []byte) ([]Record, error) {
	r := NewReader(bytes.NewReader(data))
	var out []Record
	for {
		var rec Record
		switch err := r.Read(&rec); {
		case errors.Is(err, io.EOF):
			return out, nil
		case err != nil:
			return out, err
		}
		out = append(out, rec)
	}
}
