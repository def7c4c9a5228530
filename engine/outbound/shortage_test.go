package outbound

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// TestLocalShortage: running out of descriptors or socket memory here is
// told apart from a remote's failure, also when wrapped.
func TestLocalShortage(t *testing.T) {
	for _, c := range []struct {
		err   error
		local bool
	}{
		{os.NewSyscallError("socket", syscall.EMFILE), true},
		{fmt.Errorf("dial: %w", os.NewSyscallError("socket", syscall.ENFILE)), true},
		{os.NewSyscallError("socket", syscall.ENOBUFS), true},
		{os.NewSyscallError("connect", syscall.ECONNREFUSED), false},
		{os.NewSyscallError("bind", syscall.EADDRNOTAVAIL), false},
	} {
		if got := localShortage(c.err); got != c.local {
			t.Errorf("localShortage(%v) = %v, want %v", c.err, got, c.local)
		}
	}
}
