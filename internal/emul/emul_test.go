package emul

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestCommandNative(t *testing.T) {
	t.Setenv(Env, "")
	cmd := Command("./x.test", "-test.run=^A$")
	if got := strings.Join(cmd.Args, " "); got != "./x.test -test.run=^A$" {
		t.Errorf("native: Args %q, want the binary itself", got)
	}
	if Active() || Scale(time.Second) != time.Second {
		t.Errorf("native: Active %v, Scale(1s) %v; want false, 1s", Active(), Scale(time.Second))
	}
}

func TestCommandEmulated(t *testing.T) {
	t.Setenv(Env, "qemu-aarch64-static")
	cmd := Command("./x.test", "-test.run=^A$")
	if got := strings.Join(cmd.Args, " "); got != "qemu-aarch64-static ./x.test -test.run=^A$" {
		t.Errorf("emulated: Args %q, want the emulator running the binary", got)
	}
	if !Active() || Scale(time.Second) != Factor*time.Second {
		t.Errorf("emulated: Active %v, Scale(1s) %v; want true, %ds", Active(), Scale(time.Second), Factor)
	}
}

const childEnv = "VOLLEY_EMUL_TEST_CHILD"

// TestReexec starts this test binary again through Command, the path every
// re-executing test takes; under VOLLEY_QEMU it proves the emulator starts it.
func TestReexec(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		os.Stdout.WriteString("child ran\n")
		return
	}
	cmd := Command(os.Args[0], "-test.run=^TestReexec$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child ran") {
		t.Fatalf("re-executed test binary: %v\n%s", err, out)
	}
}
