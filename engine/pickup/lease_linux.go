package pickup

import (
	"os"
	"syscall"
)

// writerState reports whether some process has f open for writing. It tries
// to take a read lease (fcntl(2) F_SETLEASE F_RDLCK), which Linux refuses with
// EAGAIN while the file has any writer, and releases it at once. known is
// false when leases are unavailable: not the file's owner and no CAP_LEASE, a
// file system without leases, or fs.leases-enable=0.
func writerState(f *os.File) (writing, known bool) {
	sc, err := f.SyscallConn()
	if err != nil {
		return false, false
	}
	var errno syscall.Errno
	cerr := sc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETLEASE, syscall.F_RDLCK)
		if errno == 0 {
			syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETLEASE, syscall.F_UNLCK)
		}
	})
	switch {
	case cerr != nil:
		return false, false
	case errno == 0:
		return false, true
	case errno == syscall.EAGAIN || errno == syscall.EBUSY:
		return true, true
	}
	return false, false
}

// openFlags open a pickup file for reading without following a symbolic
// link or blocking on a FIFO.
const openFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
