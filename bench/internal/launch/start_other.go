//go:build !linux

package launch

import (
	"errors"
	"io"
	"os/exec"
)

// Start needs Linux (Pdeathsig); elsewhere it reports ErrUnsupported.
func Start(cmd *exec.Cmd, logw io.Writer, onLine func(string)) (*Proc, error) {
	return nil, errors.ErrUnsupported
}
