package procstat

import (
	"os"
	"testing"
)

func TestParseStatus(t *testing.T) {
	status := []byte("Name:\tvolleyd\nVmHWM:\t  2268792 kB\nVmRSS:\t  1438832 kB\nThreads:\t9\n")
	for _, tc := range []struct {
		name string
		want int64
	}{
		{"VmHWM", 2268792 << 10},
		{"VmRSS", 1438832 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := ParseStatus(status, tc.name); err != nil || v != tc.want {
				t.Errorf("ParseStatus(%s) = %d, %v; want %d", tc.name, v, err, tc.want)
			}
		})
	}
	for _, name := range []string{"VmSwap", "Threads", "Vm"} {
		if _, err := ParseStatus(status, name); err == nil {
			t.Errorf("ParseStatus(%s): no error for a missing or unitless field", name)
		}
	}
}

func TestStatusBytesSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if v, err := StatusBytes(os.Getpid(), "VmRSS"); err != nil || v <= 0 {
		t.Errorf("StatusBytes(self, VmRSS) = %d, %v", v, err)
	}
}
