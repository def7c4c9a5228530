package acct

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// field identifies a column. The constants are in the order of the reference §4 table,
// which is the order of columns in every file this package writes; Volley's own columns
// (queueMode, dlvWarmup) follow PowerMTA's, before the arf_ fields, so that a reader that
// takes PowerMTA's columns by position still finds them where PowerMTA puts them.
type field uint8

const (
	fType field = iota
	fTimeLogged
	fTimeQueued
	fTimeFirstAttempt
	fTotalSecondsQueued
	fOrig
	fRcpt
	fOrcpt
	fDSNAction
	fDSNStatus
	fDSNDiag
	fDSNMTA
	fDSNReportingMTA
	fBounceCat
	fSrcType
	fSrcMTA
	fRcvSourceIP
	fRcvDestinationIP
	fDlvType
	fDlvSourceIP
	fDlvDestinationIP
	fDlvESMTPAvailable
	fDlvSize
	fDlvTLSProtocol
	fDlvTLSCipher
	fVMTA
	fVMTAPool
	fQueue
	fJobID
	fEnvID
	fEnvIDf // the f record's spelling, "envid"
	fRcvSMTPUser
	fHeader // header_NAME
	fUserString
	fFormat
	fFeedbackType
	fUserAgent
	fReportingMTA
	fReportedDomain
	fRepSourceIP
	fQueueMode // Volley: the queue's mode, normal or backoff
	fDlvWarmup // Volley: the warm-up share of the source's rate
	fARF       // arf_NAME
	fExtra     // read only: an unknown column
	fieldCount
)

// fieldNames are the column names of the fixed fields; fHeader, fARF and fExtra take
// their name from the column.
var fieldNames = [fieldCount]string{
	"type", "timeLogged", "timeQueued", "timeFirstAttempt", "totalSecondsQueued",
	"orig", "rcpt", "orcpt", "dsnAction", "dsnStatus", "dsnDiag", "dsnMta",
	"dsnReportingMta", "bounceCat", "srcType", "srcMta", "rcvSourceIp", "rcvDestinationIp",
	"dlvType", "dlvSourceIp", "dlvDestinationIp", "dlvEsmtpAvailable", "dlvSize",
	"dlvTlsProtocol", "dlvTlsCipher", "vmta", "vmtaPool", "queue", "jobId", "envId", "envid",
	"rcvSmtpUser", "", "userString", "format", "feedbackType", "userAgent", "reportingMTA",
	"reportedDomain", "repSourceIp", "queueMode", "dlvWarmup", "", "",
}

const (
	headerPrefix = "header_"
	arfPrefix    = "arf_"
)

type fieldSet uint64

func setOf(fs ...field) fieldSet {
	var s fieldSet
	for _, f := range fs {
		s |= 1 << f
	}
	return s
}

// defaultFields is what record-fields "*" means per type: the ticks of the reference §4
// table, including the columns it marks "(empty)" or "deprecated" for a type, which
// PowerMTA still writes. userString joins when the acct-file sets user-string. Volley adds
// queueMode to d, b, t and tq and dlvWarmup to d, t and tq (a b record is not an attempt
// of a source address); "*,!queueMode,!dlvWarmup" gives PowerMTA's columns alone.
var defaultFields = func() [typeCount]fieldSet {
	var d [typeCount]fieldSet
	common := setOf(fType, fTimeLogged, fTimeQueued, fTotalSecondsQueued, fOrig, fRcpt, fOrcpt,
		fDSNAction, fDSNStatus, fDSNDiag, fDSNMTA, fBounceCat, fSrcType, fSrcMTA, fDlvType,
		fDlvSourceIP, fDlvDestinationIP, fDlvESMTPAvailable, fDlvSize, fDlvTLSProtocol,
		fDlvTLSCipher, fVMTA, fVMTAPool, fQueue, fJobID, fEnvID, fRcvSMTPUser)
	volley := setOf(fQueueMode, fDlvWarmup)
	d[Delivered] = common | setOf(fTimeFirstAttempt) | volley
	d[Bounced] = common | setOf(fQueueMode)
	d[Transient] = common | volley
	d[TransientQueue] = setOf(fType, fTimeLogged, fDSNStatus, fDSNDiag, fDSNMTA, fDlvType,
		fDlvSourceIP, fDlvDestinationIP, fVMTA, fQueue) | volley
	d[Received] = setOf(fType, fTimeLogged, fOrig, fRcpt, fOrcpt, fSrcType, fSrcMTA,
		fRcvSourceIP, fRcvDestinationIP, fVMTA, fVMTAPool, fJobID, fEnvID, fRcvSMTPUser)
	remote := setOf(fType, fTimeLogged, fOrig, fRcpt, fOrcpt, fDSNStatus, fDSNDiag, fDSNMTA,
		fBounceCat, fSrcType, fSrcMTA, fEnvID, fFormat)
	d[RemoteBounce] = remote | setOf(fDSNReportingMTA)
	d[RemoteStatus] = remote | setOf(fDSNAction)
	d[Feedback] = setOf(fType, fTimeLogged, fOrig, fRcpt, fDlvSourceIP, fEnvIDf, fFormat,
		fFeedbackType, fUserAgent, fReportingMTA, fReportedDomain, fRepSourceIP)
	return d
}()

// userStringTypes are the types whose "*" includes userString when it is configured.
var userStringTypes = [typeCount]bool{Delivered: true, Bounced: true, Transient: true,
	TransientQueue: true, Received: true}

// column is one column of a file: its header text, what fills it, and for which record
// types (bit 1<<Type); other types leave it empty.
type column struct {
	name  string
	field field
	key   string // fHeader, fARF: the name after the prefix; fExtra: the column name
	types uint16
}

// classify maps a column name to its field. Known names match exactly, then ignoring
// case (so "envid" stays the f spelling); anything else is fExtra.
func classify(name string) (field, string) {
	for f := fType; f < fieldCount; f++ {
		if fieldNames[f] == name && name != "" {
			return f, ""
		}
	}
	switch {
	case len(name) >= len(headerPrefix) && equalFold(name[:len(headerPrefix)], headerPrefix):
		return fHeader, name[len(headerPrefix):]
	case len(name) >= len(arfPrefix) && equalFold(name[:len(arfPrefix)], arfPrefix):
		return fARF, name[len(arfPrefix):]
	}
	for f := fType; f < fieldCount; f++ {
		if fieldNames[f] != "" && equalFold(fieldNames[f], name) {
			return f, ""
		}
	}
	return fExtra, name
}

// colKey identifies a column for duplicate checks: two columns with one key would read
// into, and write from, the same place.
func colKey(f field, key string) string {
	switch f {
	case fHeader, fARF:
		return fmt.Sprintf("%d:%s", f, strings.ToLower(key))
	case fExtra:
		return fmt.Sprintf("%d:%s", f, key)
	}
	return fmt.Sprintf("%d", f)
}

var errNoType = errors.New("acct: the first column must be type")

// headerColumns compiles a header row into columns that every record type fills, for
// reading and for re-writing a file read.
func headerColumns(header []string) ([]column, error) {
	if len(header) == 0 || header[0] != "type" {
		return nil, errNoType
	}
	cols := make([]column, len(header))
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		f, key := classify(name)
		k := colKey(f, key)
		if seen[k] {
			return nil, fmt.Errorf("acct: column %q appears twice", name)
		}
		seen[k] = true
		cols[i] = column{name: name, field: f, key: key, types: allTypes}
	}
	return cols, nil
}

const allTypes = uint16(1<<typeCount-1) &^ 1

// configColumns compiles the records and record-fields directives into the union header
// the reference §4 describes for several types in one file: every selected column of
// every selected type, in reference order (copied headers at their table position, in the
// order first named; arf_ fields last), each filled only by the types that selected it.
// The order inside a record-fields list does not matter, only the selection.
func configColumns(types []Type, fields map[string][]string, userString bool) ([]column, error) {
	var cols []column
	index := map[string]int{}
	add := func(f field, key, name string, t Type) {
		k := colKey(f, key)
		i, ok := index[k]
		if !ok {
			i = len(cols)
			index[k] = i
			cols = append(cols, column{name: name, field: f, key: key})
		}
		cols[i].types |= 1 << t
	}
	for _, t := range types {
		sel, err := selectFields(t, fields[t.String()], userString)
		if err != nil {
			return nil, err
		}
		for _, c := range sel {
			add(c.field, c.key, c.name, t)
		}
		add(fType, "", "type", t)
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].field < cols[j].field })
	return cols, nil
}

// selectFields applies one record-fields list ("*", "!name", "name", "header_X",
// "arf_X"; default "*"; a list of only negations starts from "*") to type t.
func selectFields(t Type, spec []string, userString bool) ([]column, error) {
	all := defaultFields[t]
	if userString && userStringTypes[t] {
		all |= setOf(fUserString)
	}
	onlyNeg := true
	for _, s := range spec {
		onlyNeg = onlyNeg && strings.HasPrefix(s, "!")
	}
	if onlyNeg { // includes an empty list
		spec = append([]string{"*"}, spec...)
	}
	var sel []column
	has := func(f field, key string) int {
		for i, c := range sel {
			if colKey(c.field, c.key) == colKey(f, key) {
				return i
			}
		}
		return -1
	}
	for _, s := range spec {
		neg := strings.HasPrefix(s, "!")
		name := strings.TrimPrefix(s, "!")
		if name == "*" && !neg {
			for f := fType; f < fieldCount; f++ {
				if all&(1<<f) != 0 && has(f, "") < 0 {
					sel = append(sel, column{name: fieldNames[f], field: f})
				}
			}
			continue
		}
		f, key := classify(name)
		if f == fExtra || name == "" {
			return nil, fmt.Errorf("acct: record-fields %s: unknown field %q", t, name)
		}
		if f != fHeader && f != fARF {
			name = fieldNames[f]
		}
		i := has(f, key)
		switch {
		case neg && i >= 0:
			sel = append(sel[:i], sel[i+1:]...)
		case !neg && i < 0:
			sel = append(sel, column{name: name, field: f, key: key})
		}
	}
	return sel, nil
}
