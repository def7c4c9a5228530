package procstat

import "golang.org/x/sys/unix"

// RaiseNofile raises this process's RLIMIT_NOFILE to want (soft and hard;
// root may raise the hard limit), or failing that the soft limit to the
// hard one, and returns the soft limit in force. It never lowers a limit.
// unix.Setrlimit goes through the syscall package, so children started
// afterwards inherit the new limit rather than the one Go saved at
// start-up.
func RaiseNofile(want uint64) (uint64, error) {
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		return 0, err
	}
	if cur.Cur >= want {
		return cur.Cur, nil
	}
	lim := unix.Rlimit{Cur: want, Max: max(cur.Max, want)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err == nil {
		return lim.Cur, nil
	}
	lim = unix.Rlimit{Cur: cur.Max, Max: cur.Max}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return cur.Cur, err
	}
	return lim.Cur, nil
}
