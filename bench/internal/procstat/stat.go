package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ClockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux architecture Go supports).
const ClockTick = 10 * time.Millisecond

// CPUTime returns a process's user plus system CPU time so far, from
// /proc/PID/stat: every thread, io_uring's workers included. It works on a
// child that is not waited for, which getrusage cannot see.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return ParseStatCPU(b)
}

// ParseStatCPU reads utime and stime (fields 14 and 15) of a stat line.
// The fields are counted after the command name's closing parenthesis,
// since the name may hold spaces.
func ParseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields", len(f)+2)
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat: bad utime or stime")
	}
	return time.Duration(u+s) * ClockTick, nil
}
