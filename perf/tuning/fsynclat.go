//go:build ignore

// Command fsynclat measures how long one fdatasync(2) of a small write takes on the disk
// under a directory: the cost that bounds volleyd's injection rate with sync-msg-create
// yes (every acknowledged message waits for one group commit of the spool, which is one
// Pebble WAL write and one fdatasync). It is not part of the build (the ignore
// constraint):
//
//	go build -o fsynclat ./perf/tuning/fsynclat.go
//	./fsynclat -dir /var/spool/volley -n 2000
//
// It writes a temporary file in -dir and removes it. Two patterns, each -n times:
//
//   - append: each 4 KiB write extends the file, so every fdatasync also commits the
//     file's new size to the filesystem journal (what `dd oflag=dsync` measures);
//   - overwrite: the file is written once and synced first, then each 4 KiB write lands
//     inside it, so fdatasync flushes data only (Pebble reuses old WAL files, which
//     makes most of its WAL syncs this kind).
//
// It prints one line per pattern: mean, p50, p99, max and syncs per second.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	dir := flag.String("dir", ".", "directory on the disk to measure (the spool's)")
	n := flag.Int("n", 2000, "syncs per pattern")
	size := flag.Int("size", 4096, "bytes per write")
	flag.Parse()

	buf := make([]byte, *size)
	for i := range buf {
		buf[i] = byte(i)
	}
	for _, pattern := range []string{"append", "overwrite"} {
		lat, err := run(*dir, pattern, *n, buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fsynclat:", err)
			os.Exit(1)
		}
		report(pattern, *size, lat)
	}
}

func run(dir, pattern string, n int, buf []byte) ([]time.Duration, error) {
	f, err := os.CreateTemp(dir, ".fsynclat-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	fd := int(f.Fd())
	if pattern == "overwrite" {
		// Write the whole file once and sync it, so later writes change no metadata
		// but the modification time.
		for i := 0; i < n; i++ {
			if _, err := f.Write(buf); err != nil {
				return nil, err
			}
		}
		if err := unix.Fsync(fd); err != nil {
			return nil, err
		}
		if err := syncDir(filepath.Dir(f.Name())); err != nil {
			return nil, err
		}
	}
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		var err error
		t := time.Now()
		if pattern == "overwrite" {
			_, err = f.WriteAt(buf, int64(i*len(buf)))
		} else {
			_, err = f.Write(buf)
		}
		if err == nil {
			err = unix.Fdatasync(fd)
		}
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func report(pattern string, size int, lat []time.Duration) {
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	slices.Sort(lat)
	mean := sum / time.Duration(len(lat))
	at := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	us := func(d time.Duration) string { return fmt.Sprintf("%.0fus", float64(d)/float64(time.Microsecond)) }
	fmt.Printf("pattern=%s write=%dB n=%d mean=%s p50=%s p99=%s max=%s syncs_per_s=%.0f\n",
		pattern, size, len(lat), us(mean), us(at(0.50)), us(at(0.99)), us(lat[len(lat)-1]),
		float64(len(lat))/sum.Seconds())
}
