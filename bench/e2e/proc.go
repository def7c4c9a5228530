package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/volleymta/volley/bench/internal/procstat"
	"golang.org/x/sys/unix"
)

// clockTick is USER_HZ, the unit of the times in /proc/PID/stat (100 on every
// Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// procStat is what the suite reads of one process from /proc.
type procStat struct {
	ppid int
	// cpu is utime+stime plus cutime+cstime: the process's own CPU and that of
	// the children it has reaped, so the CPU of a Postfix daemon that exits
	// during a cell is still counted, in its master.
	cpu time.Duration
}

// readStat parses /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name is in parentheses and may contain spaces: skip it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14-17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	var st procStat
	st.ppid, _ = strconv.Atoi(string(f[1]))
	var ticks int64
	for _, v := range f[11:15] {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	st.cpu = time.Duration(ticks) * clockTick
	return st, nil
}

// readWriteBytes returns write_bytes of /proc/PID/io: the bytes the process
// (with its reaped children) caused to be sent to storage.
func readWriteBytes(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("write_bytes:")); ok {
			return strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no write_bytes", pid)
}

// machineBusy returns the CPU time all processors have spent busy (not idle,
// waiting for I/O or stolen by the hypervisor), from the first line of
// /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line) // cpu user nice system idle iowait irq softirq steal
	if len(f) < 9 {
		return 0
	}
	var busy int64
	for _, v := range f[1:8] {
		n, _ := strconv.ParseInt(string(v), 10, 64)
		busy += n
	}
	for _, v := range f[4:6] { // idle, iowait
		n, _ := strconv.ParseInt(string(v), 10, 64)
		busy -= n
	}
	return time.Duration(busy) * clockTick
}

// selfCPU returns the CPU time of this process: the load client and the sink.
func selfCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tree returns root and its descendants, found through the parent ids of
// every process in /proc.
func tree(root int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return []int{root}
	}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		children[st.ppid] = append(children[st.ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// usage is the resource use of a server's process tree at one moment.
type usage struct {
	cpu        time.Duration
	writeBytes int64
	procs      int
}

// treeUsage sums CPU and write_bytes over root's live tree. A process that
// exited was reaped by a process of the tree, whose cutime/cstime and io
// counters then include it, so the sum only grows.
func treeUsage(root int) usage {
	var u usage
	for _, pid := range tree(root) {
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		u.cpu += st.cpu
		if w, err := readWriteBytes(pid); err == nil {
			u.writeBytes += w
		}
		u.procs++
	}
	return u
}

// peakSampler records the peak resident set (VmHWM) of every process of a
// tree while a cell runs, so that processes which exit before the end (a
// Postfix smtpd, say) still count. The peak of a multi-process server is the
// sum of its processes' peaks, which counts shared pages once per process.
type peakSampler struct {
	root int
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	hwm  map[int]int64
	max  int // most processes seen at once
}

func startPeakSampler(root int, every time.Duration) *peakSampler {
	s := &peakSampler{root: root, stop: make(chan struct{}), done: make(chan struct{}), hwm: map[int]int64{}}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *peakSampler) sample() {
	pids := tree(s.root)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.max = max(s.max, len(pids))
	for _, pid := range pids {
		if v, err := procstat.StatusBytes(pid, "VmHWM"); err == nil && v > s.hwm[pid] {
			s.hwm[pid] = v
		}
	}
}

// finish takes a last sample, stops the sampler and returns the summed peak
// and the number of distinct processes seen.
func (s *peakSampler) finish() (peak int64, procs int) {
	close(s.stop)
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.hwm {
		peak += v
	}
	return peak, len(s.hwm)
}

// nofileWant is the RLIMIT_NOFILE the suite asks for: 1,000 load connections
// plus the sink's and the servers' descriptors, with room to spare.
const nofileWant = 65536

// raiseNofile raises RLIMIT_NOFILE to nofileWant before any server
// starts, so that they inherit it.
func raiseNofile() (uint64, error) { return procstat.RaiseNofile(nofileWant) }
