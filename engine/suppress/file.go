package suppress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxLineErrors is how many rejected lines an ImportResult keeps; the rest
// are only counted.
const MaxLineErrors = 100

// importBatch bounds the entries an import holds before adding them.
const importBatch = 1 << 18

// maxLine is the longest line read; longer lines are rejected whole.
const maxLine = 4096

// ImportResult counts what an import read.
type ImportResult struct {
	Lines   int     // lines read, comments and blank lines included
	Entries int     // lines that held a valid entry
	Added   int     // entries that were not yet on the list
	Bad     int     // lines rejected
	Errors  []error // the first MaxLineErrors rejected lines, each a *LineError
}

// LineError is a rejected line of an imported file.
type LineError struct {
	File string // empty when reading from a stream
	Line int
	Err  error
}

func (e *LineError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Import adds the entries read from r, one a line in format f. Blank
// lines and lines starting with '#' are skipped; a bad line is counted and
// reported in the result with its number, and the rest are imported. The
// error is r's, which stops the import after what was read was added.
func (l *List) Import(r io.Reader, f Format) (ImportResult, error) {
	return scanEntries(r, f, "", func(entries []Entry) (int, error) {
		return l.Add(entries...)
	})
}

// scanEntries reads r in format f and hands valid entries to add in
// batches; file names the input in LineErrors.
func scanEntries(r io.Reader, f Format, file string, add func([]Entry) (int, error)) (ImportResult, error) {
	var res ImportResult
	if f >= formatCount {
		return res, errors.New("suppress: unknown format " + f.String())
	}
	var pending []Entry
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		n, err := add(pending)
		res.Added += n
		pending = pending[:0]
		return err
	}
	bad := func(err error) {
		res.Bad++
		if len(res.Errors) < MaxLineErrors {
			res.Errors = append(res.Errors, &LineError{File: file, Line: res.Lines, Err: err})
		}
	}
	err := eachLine(r, func(line string, tooLong bool) error {
		res.Lines++
		if tooLong {
			bad(errors.New("line too long"))
			return nil
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			return nil
		}
		e, err := parseLine(line, f)
		if err != nil {
			bad(unwrapEntryError(err))
			return nil
		}
		res.Entries++
		pending = append(pending, e)
		if len(pending) >= importBatch {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	return res, err
}

// unwrapEntryError drops the package prefix of an EntryError, since a
// LineError carries its own.
func unwrapEntryError(err error) error {
	var ee *EntryError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s %s: %w", ee.Kind, quote(ee.Value), ee.Err)
	}
	return err
}

// eachLine calls fn with each line of r without its line ending. A line
// longer than maxLine is passed empty with tooLong set. The last line
// counts even without a final newline.
func eachLine(r io.Reader, fn func(line string, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		b, err := br.ReadSlice('\n')
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) {
			tooLong = true
			_, err = br.ReadSlice('\n')
		}
		if len(b) > 0 || tooLong {
			line := ""
			if !tooLong {
				line = string(bytes.TrimRight(b, "\r\n"))
			}
			if ferr := fn(line, tooLong); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Export writes every entry, one a line in Entry.String's form, in All's
// order, so that Import with FormatList reads the same list back.
func (l *List) Export(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for e := range l.All() {
		bw.WriteString(e.String())
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// HashedFile is a hashed-address-file line: File of hex digests of
// Algorithm, "sha256" (the default when empty) or "md5". It has
// config.HashedFile's fields, so one converts to the other.
type HashedFile struct {
	File, Algorithm string
}

// ListSpec is an <address-list NAME> block as the config gives it. File
// names are used as given; the caller resolves relative ones.
type ListSpec struct {
	Name         string
	Addresses    []string // `address` values: an address or a bare local part
	Domains      []string // `domain` values: example.com, *.example.com, [*.]example.com
	AddressFiles []string // `address-file`: FormatAddressFile
	HashedFiles  []HashedFile
}

// LoadList builds the list spec describes, reading its files. It returns
// the list of every valid entry with the problems found, each naming its
// directive or FILE:LINE; the caller decides whether they are fatal.
func LoadList(spec ListSpec) (*List, []error) {
	var entries []Entry
	var problems []error
	for _, a := range spec.Addresses {
		e, err := FromAddressDirective(a)
		if err != nil {
			problems = append(problems, fmt.Errorf("address %s: %w", quote(a), unwrapEntryError(err)))
			continue
		}
		entries = append(entries, e)
	}
	for _, d := range spec.Domains {
		es, err := FromDomainDirective(d)
		if err != nil {
			problems = append(problems, fmt.Errorf("domain %s: %w", quote(d), unwrapEntryError(err)))
			continue
		}
		entries = append(entries, es...)
	}
	collect := func(es []Entry) (int, error) {
		entries = append(entries, es...)
		return 0, nil
	}
	read := func(file string, f Format) {
		fh, err := os.Open(file)
		if err != nil {
			problems = append(problems, err)
			return
		}
		defer fh.Close()
		res, err := scanEntries(fh, f, file, collect)
		problems = append(problems, res.Errors...)
		if res.Bad > len(res.Errors) {
			problems = append(problems, fmt.Errorf("%s: %d more bad lines", file, res.Bad-len(res.Errors)))
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", file, err))
		}
	}
	for _, file := range spec.AddressFiles {
		read(file, FormatAddressFile)
	}
	for _, h := range spec.HashedFiles {
		switch strings.ToLower(h.Algorithm) {
		case "", "sha256":
			read(h.File, FormatSHA256)
		case "md5":
			read(h.File, FormatMD5)
		default:
			problems = append(problems, fmt.Errorf("hashed-address-file %s: unknown algorithm %s (sha256 or md5)", h.File, quote(h.Algorithm)))
		}
	}
	l := NewList(spec.Name)
	if _, err := l.Add(entries...); err != nil { // entries are valid; cannot happen
		problems = append(problems, err)
	}
	return l, problems
}
