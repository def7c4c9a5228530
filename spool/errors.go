package spool

import (
	"errors"
	"syscall"
)

var (
	// ErrFull says the disk is full: nothing of the message was stored.
	// The SMTP layer answers 452 4.3.1.
	ErrFull = errors.New("spool: disk full")
	// ErrIO says a write or sync failed: nothing of the message can be
	// counted on. The SMTP layer answers 452 4.3.1 too.
	ErrIO = errors.New("spool: storage failure")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("spool: closed")
	// ErrNotFound says no such message (or body) is spooled.
	ErrNotFound = errors.New("spool: no such message")
	// ErrCorrupt says a stored record does not decode.
	ErrCorrupt = errors.New("spool: corrupt record")
)

// storageError classifies a Pebble write error as ErrFull or ErrIO, keeping
// the cause for logs.
func storageError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &Error{Kind: ErrFull, Err: err}
	}
	return &Error{Kind: ErrIO, Err: err}
}

// Error is a storage failure: Kind is ErrFull or ErrIO (match it with
// errors.Is), Err the underlying cause.
type Error struct {
	Kind error
	Err  error
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Err.Error() }

// Is makes errors.Is(err, ErrFull) and errors.Is(err, ErrIO) work.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
