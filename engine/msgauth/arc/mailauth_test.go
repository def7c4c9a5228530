package arc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMailAuthChains: real chains (Google's and others' seals) from
// stalwartlabs/mail-auth's ARC vectors, each a file of DNS lines, a blank
// line and the message, whose chain that project validates as pass.
func TestMailAuthChains(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "corpus", "mail-auth", "resources", "arc")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Skipf("no mail-auth ARC vectors in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			raw = toCRLF(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
			dnsPart, msg, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
			if !ok {
				t.Fatal("no blank line after the DNS records")
			}
			records := map[string][]string{}
			for _, line := range strings.Split(string(dnsPart), "\r\n") {
				name, txt, _ := strings.Cut(line, " ")
				records[name] = append(records[name], txt)
			}
			r := Validate(msg, func(name string) ([]string, error) { return records[strings.TrimSuffix(name, ".")], nil })
			if r.Status != StatusPass {
				t.Errorf("%+v, want pass", r)
			}
		})
	}
}
