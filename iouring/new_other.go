//go:build !linux

package iouring

import (
	"errors"
	"fmt"
)

// New fails: both engines need Linux.
func New(opts Options) (Reactor, error) {
	return nil, fmt.Errorf("%w: %w", ErrUnavailable, errors.ErrUnsupported)
}

// ProbeIOUring fails: io_uring is Linux only.
func ProbeIOUring() error { return fmt.Errorf("%w: %w", ErrUnavailable, errors.ErrUnsupported) }
