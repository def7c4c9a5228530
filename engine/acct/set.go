package acct

import (
	"errors"

	"github.com/volleymta/volley/engine/config"
)

// Files is every <acct-file> of a configuration, for producers that log each record
// once and let it reach every file that takes its type.
type Files struct {
	ws []*Writer
}

// OpenAll opens a Writer per block, in order. On an error it closes those it opened.
func OpenAll(cfgs []*config.AcctFile, opts Options) (*Files, error) {
	s := &Files{}
	for _, c := range cfgs {
		w, err := Open(c, opts)
		if err != nil {
			return nil, errors.Join(err, s.Close())
		}
		s.ws = append(s.ws, w)
	}
	return s, nil
}

// Writers returns the files, in configuration order.
func (s *Files) Writers() []*Writer { return s.ws }

// Lookup returns the file configured with path, or nil (`volley rotate acct FILE`).
func (s *Files) Lookup(path string) *Writer {
	for _, w := range s.ws {
		if w.Path() == path {
			return w
		}
	}
	return nil
}

// Wants reports whether any file takes records of type t.
func (s *Files) Wants(t Type) bool {
	for _, w := range s.ws {
		if w.Wants(t) {
			return true
		}
	}
	return false
}

// Log gives r to every file that takes its type; it never blocks (Writer.Log).
func (s *Files) Log(r *Record) {
	for _, w := range s.ws {
		w.Log(r)
	}
}

// Rotate rotates every file and returns their errors joined.
func (s *Files) Rotate() error {
	var errs []error
	for _, w := range s.ws {
		errs = append(errs, w.Rotate())
	}
	return errors.Join(errs...)
}

// Close closes every file and returns their errors joined.
func (s *Files) Close() error {
	var errs []error
	for _, w := range s.ws {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}
