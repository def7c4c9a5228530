//go:build ignore

// Command uringmem creates io_uring rings the way volleyd's io_uring engine does (4096
// submission entries, single issuer + deferred task running where the kernel has them, a
// provided buffer ring of 1024 entries) and reports how many it could create under the
// current RLIMIT_MEMLOCK. It answers the tuning question "does volleyd need a memlock
// limit?" on the kernel it runs on. A process with CAP_IPC_LOCK (root) is never limited;
// the kernel charges the rings of any other process to its user's locked memory, which
// RLIMIT_MEMLOCK caps. It is not part of the build (the ignore constraint):
//
//	go build -o uringmem ./perf/tuning/uringmem.go
//	./uringmem -rings 8                                   # as root: never limited
//	setpriv --reuid=65534 --regid=65534 --clear-groups \
//	    prlimit --memlock=0:0 ./uringmem -rings 8         # unprivileged, memlock 0
//
// perf/tuning/run.sh memlock runs the cases of perf/TUNING.md. It prints one line of
// key=value pairs and exits 1 when a ring could not be created.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

func main() {
	rings := flag.Int("rings", 8, "rings to create (volleyd creates one per shard)")
	entries := flag.Uint("entries", 4096, "submission queue entries per ring (volleyd: 4096)")
	bufs := flag.Uint("bufring", 1024, "provided buffer ring entries per ring (volleyd: 1024); 0: none")
	hold := flag.Duration("hold", 0, "keep the rings this long before exiting (to run two at once)")
	flag.Parse()

	var lim unix.Rlimit
	_ = unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim)
	var made []*giouring.Ring
	var failure string
	for i := 0; i < *rings; i++ {
		r, err := setup(uint32(*entries))
		if err != nil {
			failure = "io_uring_setup: " + err.Error()
			break
		}
		made = append(made, r)
		if *bufs > 0 {
			if _, err := r.SetupBufRing(uint32(*bufs), 1, 0); err != nil {
				failure = "io_uring_register(PBUF_RING): " + err.Error()
				break
			}
		}
	}
	fmt.Printf("uid=%d cap_ipc_lock=%v memlock_soft=%s rings_asked=%d rings_made=%d error=%q\n",
		os.Getuid(), hasCap(unix.CAP_IPC_LOCK), limit(lim.Cur), *rings, len(made), failure)
	time.Sleep(*hold)
	for _, r := range made {
		r.QueueExit()
	}
	if failure != "" {
		os.Exit(1)
	}
}

// setup mirrors iouring.setupRing: the best flags the kernel takes.
func setup(entries uint32) (*giouring.Ring, error) {
	var last error
	for _, flags := range []uint32{
		giouring.SetupSingleIssuer | giouring.SetupDeferTaskrun | giouring.SetupRDisabled | giouring.SetupSubmitAll,
		giouring.SetupCoopTaskrun | giouring.SetupSubmitAll,
		0,
	} {
		r := giouring.NewRing()
		if err := r.QueueInit(entries, flags); err != nil {
			last = err
			continue
		}
		return r, nil
	}
	return nil, last
}

func limit(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return fmt.Sprint(v)
}

// hasCap reports whether the effective capability set holds c.
func hasCap(c uint) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}
