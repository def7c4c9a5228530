package launch

import (
	"os"
	"path/filepath"
	"testing"
	"text/template"
)

func TestWriteConf(t *testing.T) {
	p := filepath.Join(t.TempDir(), "volley.conf")
	tmpl := template.Must(template.New("c").Parse("io-engine {{.Engine}}\nname-server 127.0.0.1:{{.Port}}\n"))
	if err := WriteConf(p, tmpl, struct {
		Engine string
		Port   int
	}{"epoll", 53}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "io-engine epoll\nname-server 127.0.0.1:53\n" {
		t.Fatalf("config = %q, %v", b, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestFreePorts(t *testing.T) {
	for name, f := range map[string]func() (int, error){"udp": FreeUDPPort, "tcp": FreeTCPPort} {
		if p, err := f(); err != nil || p <= 0 {
			t.Errorf("%s: port %d, %v", name, p, err)
		}
	}
}
