// Package emul lets tests run under user-mode emulation (CI runs the arm64
// suite under qemu-user). There a process cannot exec a binary of its own
// architecture unless binfmt_misc knows the emulator, which CI machines and
// containers often lack, and everything runs several times slower.
// VOLLEY_QEMU names the emulator: children that re-execute the test binary
// start through it, and timeouts stretch by Factor.
//
// It imports the standard library only, and not testing, so that bench
// programs that re-execute themselves can use it too.
package emul

import (
	"context"
	"os"
	"os/exec"
	"time"
)

// Env names the emulator (qemu-aarch64-static) the current run is under;
// empty or unset means native.
const Env = "VOLLEY_QEMU"

// Factor is how much longer a timeout is under emulation: qemu-user runs
// Volley's tests several times slower than the host, more on a busy machine.
const Factor = 10

// Emulator returns the emulator VOLLEY_QEMU names, or "" when native.
func Emulator() string { return os.Getenv(Env) }

// Active reports whether the run is under emulation.
func Active() bool { return Emulator() != "" }

// Scale returns d, or d×Factor under emulation, for deadlines that only
// bound how long correct code may take.
func Scale(d time.Duration) time.Duration {
	if Active() {
		return d * Factor
	}
	return d
}

// Command is exec.Command for a binary built for this process's
// architecture (the running test binary, os.Args[0]); under emulation it
// runs name through the emulator, which keeps name as the child's argv[0].
func Command(name string, args ...string) *exec.Cmd {
	return CommandContext(context.Background(), name, args...)
}

// CommandContext is Command with exec.CommandContext's ctx.
func CommandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	if q := Emulator(); q != "" {
		return exec.CommandContext(ctx, q, append([]string{name}, args...)...)
	}
	return exec.CommandContext(ctx, name, args...)
}
