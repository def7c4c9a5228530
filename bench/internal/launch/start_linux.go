package launch

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"syscall"
)

// Start starts cmd (volleyd and its flags), copies each line of its
// stderr log to logw and then hands it to onLine (if not nil), on one
// goroutine, until the log ends. Pdeathsig kills the daemon if the
// benchmark dies first, so no run leaves one behind.
func Start(cmd *exec.Cmd, logw io.Writer, onLine func(string)) (*Proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{Cmd: cmd, Exited: make(chan struct{})}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(logw, sc.Text())
			if onLine != nil {
				onLine(sc.Text())
			}
		}
	}()
	go func() {
		<-logDone // Wait closes the pipe: read it to the end first
		_ = cmd.Wait()
		close(p.Exited)
	}()
	return p, nil
}
