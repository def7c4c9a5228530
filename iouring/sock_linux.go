package iouring

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// listenBacklog is the accept queue length asked of the kernel (capped by
// net.core.somaxconn).
const listenBacklog = 4096

func family(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// sockaddr converts an address to the unix package's form.
func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	return sa
}

// addrPort converts a unix.Sockaddr back; unknown kinds give the zero value.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// listenSocket opens a non-blocking listening socket with SO_REUSEPORT, so
// every shard binds the same address and the kernel spreads connections.
func listenSocket(addr netip.AddrPort) (int, netip.AddrPort, error) {
	a := addr.Addr()
	if !a.IsValid() {
		a = netip.IPv4Unspecified()
		addr = netip.AddrPortFrom(a, addr.Port())
	}
	fd, err := unix.Socket(family(a), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, netip.AddrPort{}, os.NewSyscallError("socket", err)
	}
	fail := func(call string, err error) (int, netip.AddrPort, error) {
		unix.Close(fd)
		return -1, netip.AddrPort{}, os.NewSyscallError(call, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("setsockopt SO_REUSEPORT", err)
	}
	if a.Is6() && !a.Is4In6() {
		// An IPv6 listener takes IPv6 only, as separate IPv4 and IPv6
		// listeners on one port are what a config says.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := unix.Bind(fd, sockaddr(addr)); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, listenBacklog); err != nil {
		return fail("listen", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	return fd, addrPort(sa), nil
}

// dialSocket opens a non-blocking TCP socket for remote, bound to local when
// it is valid. IP_BIND_ADDRESS_NO_PORT defers the port choice to connect, so
// many connections from one source address do not exhaust ephemeral ports.
func dialSocket(remote netip.AddrPort, local netip.Addr) (int, error) {
	ra := remote.Addr()
	if ra.Is4In6() {
		ra = ra.Unmap()
	}
	fd, err := unix.Socket(family(ra), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if local.IsValid() {
		if local.Is4() != ra.Is4() {
			unix.Close(fd)
			return -1, os.NewSyscallError("bind", unix.EAFNOSUPPORT)
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(local, 0))); err != nil {
			unix.Close(fd)
			return -1, os.NewSyscallError("bind", err)
		}
	}
	setNoDelay(fd)
	return fd, nil
}

// setNoDelay turns off Nagle's algorithm: SMTP is request and reply, and Go's
// net package does the same for every TCP connection.
func setNoDelay(fd int) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// connAddrs reads a connected socket's remote and local addresses.
func connAddrs(fd int) (remote, local netip.AddrPort) {
	if sa, err := unix.Getpeername(fd); err == nil {
		remote = addrPort(sa)
	}
	if sa, err := unix.Getsockname(fd); err == nil {
		local = addrPort(sa)
	}
	return remote, local
}

// socketError reads and clears a socket's pending error (SO_ERROR), naming
// it after op (connect, recv).
func socketError(fd int, op string) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	}
	if v != 0 {
		return os.NewSyscallError(op, unix.Errno(v))
	}
	return nil
}

// eventSignal is a ringbuf.Signal over an eventfd: Notify makes the fd
// readable, which wakes the loop blocked in epoll_wait or io_uring_enter.
type eventSignal struct{ fd int }

func newEventSignal() (*eventSignal, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &eventSignal{fd: fd}, nil
}

var one = [8]byte{1, 0, 0, 0, 0, 0, 0, 0}

func (s *eventSignal) Notify() {
	// EAGAIN means the counter is near overflow: the fd is readable anyway.
	_, _ = unix.Write(s.fd, one[:])
}

// drain resets the counter after a wake-up.
func (s *eventSignal) drain() {
	var b [8]byte
	_, _ = unix.Read(s.fd, b[:])
}

func (s *eventSignal) close() { unix.Close(s.fd) }
