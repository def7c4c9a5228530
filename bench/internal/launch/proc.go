package launch

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// Proc is a volleyd started by Start.
type Proc struct {
	Cmd *exec.Cmd
	// Exited is closed once the log is read to its end and the process
	// has been waited for; Cmd.ProcessState is then set.
	Exited chan struct{}
}

// Pid is the daemon's process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Stop sends SIGTERM and waits up to timeout for the exit; then SIGKILL.
// It returns the CPU time volleyd used, which the kernel reports only
// once the process is reaped.
func (p *Proc) Stop(timeout time.Duration) (time.Duration, error) {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-p.Exited:
	case <-time.After(timeout):
		_ = p.Cmd.Process.Kill()
		<-p.Exited
		err = fmt.Errorf("volleyd did not exit within %v of SIGTERM; killed", timeout)
	}
	ps := p.Cmd.ProcessState
	if ps == nil {
		return 0, errors.Join(err, errors.New("volleyd: no exit status"))
	}
	if err == nil && !ps.Success() {
		err = fmt.Errorf("volleyd exited with %v", ps)
	}
	return ps.UserTime() + ps.SystemTime(), err
}
