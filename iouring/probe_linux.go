package iouring

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// uringOps are the opcodes the io_uring engine submits.
var uringOps = []struct {
	op   uint8
	name string
}{
	{giouring.OpAccept, "accept"}, {giouring.OpRecv, "recv"}, {giouring.OpSend, "send"},
	{giouring.OpConnect, "connect"}, {giouring.OpAsyncCancel, "async_cancel"},
	{giouring.OpLinkTimeout, "link_timeout"}, {giouring.OpClose, "close"}, {giouring.OpRead, "read"},
}

// ProbeIOUring reports why the io_uring engine cannot run here, or nil. It
// checks the kernel's io_uring_disabled switch, that a ring can be set up
// (seccomp sandboxes and emulators answer EPERM or ENOSYS), that every opcode
// the engine uses is supported, and that the kernel has multishot receive
// with provided buffer rings (Linux 6.0).
func ProbeIOUring() error {
	unavailable := func(format string, args ...any) error {
		return fmt.Errorf("%w: io_uring: %s", ErrUnavailable, fmt.Sprintf(format, args...))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled"); err == nil {
		if v := string(bytes.TrimSpace(b)); v == "2" {
			return unavailable("disabled by sysctl kernel.io_uring_disabled=2")
		}
	}
	if major, minor, ok := kernelVersion(); ok && (major < 6) {
		return unavailable("kernel %d.%d lacks multishot receive (needs 6.0)", major, minor)
	}
	probe, err := giouring.GetProbe()
	if err != nil {
		return unavailable("setup: %v", err)
	}
	for _, o := range uringOps {
		if !probe.IsSupported(o.op) {
			return unavailable("opcode %s not supported", o.name)
		}
	}
	return nil
}

// kernelVersion parses uname's release (e.g. "6.18.0-1-amd64").
func kernelVersion() (major, minor int, ok bool) {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return 0, 0, false
	}
	rel := string(u.Release[:bytes.IndexByte(u.Release[:], 0)])
	parts := bytes.SplitN([]byte(rel), []byte("."), 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(string(parts[0]))
	minor, err2 := strconv.Atoi(string(bytes.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })))
	return major, minor, err1 == nil && err2 == nil
}
