package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// StatusBytes returns a "NAME: N kB" field of /proc/PID/status (VmRSS,
// VmHWM) in bytes.
func StatusBytes(pid int, name string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return ParseStatus(b, name)
}

// ParseStatus finds "NAME: N kB" in the text of a /proc status file and
// returns N in bytes.
func ParseStatus(status []byte, name string) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}
