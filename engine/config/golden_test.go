package config_test

// Golden tests: the example config's resolved model, the error lines of every broken config
// in testdata/broken, and the embedded default. The expected outputs are files a reviewer
// reads in the diff; `go test -run 'Example|Broken' -update` rewrites them from the code.

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/config"
)

// update rewrites the golden files instead of comparing with them. It is the only -update
// flag in this package's tests: a second flag.Bool("update") would panic at start-up.
var update = flag.Bool("update", false, "rewrite testdata golden files from the current output")

// examplePath is the example shipped to users; the README tells them to configtest it.
const examplePath = "../../examples/volley.conf"

// TestExampleConfig checks that the shipped example loads cleanly, both from disk and from
// text, and that its resolved model matches testdata/example.dump.golden.
func TestExampleConfig(t *testing.T) {
	c, probs := config.Load(examplePath)
	for _, p := range probs {
		t.Errorf("Load: %v", p)
	}
	if c == nil {
		t.Fatal("Load returned no config")
	}
	src, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c2, probs := config.LoadText(examplePath, src)
	for _, p := range probs {
		t.Errorf("LoadText: %v", p)
	}
	if c2 == nil {
		t.Fatal("LoadText returned no config")
	}
	if c.Dump() != c2.Dump() {
		t.Error("Load and LoadText of the same file give different dumps")
	}
	compareGolden(t, filepath.Join("testdata", "example.dump.golden"), c.Dump())
}

// TestBrokenConfigs loads each testdata/broken/X.conf and expects exactly the problem lines
// of X.err, in order: every error is reported, not only the first. Included fragments in
// that directory are named *.inc so they are not tested on their own.
func TestBrokenConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "broken", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("found %d broken configs, want at least 12", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".conf")
		t.Run(name, func(t *testing.T) {
			_, probs := config.Load(file)
			if len(probs) == 0 {
				t.Fatalf("%s loaded without problems", file)
			}
			var got strings.Builder
			for _, p := range probs {
				got.WriteString(p.Error())
				got.WriteByte('\n')
			}
			compareGolden(t, strings.TrimSuffix(file, ".conf")+".err", got.String())
		})
	}
}

// TestDefaultConfig checks the embedded default: it loads without problems, Default returns
// it, and the embedded text is the file in the repository (go:embed cannot drift, but a
// stale build cache or a hand-copied string could).
func TestDefaultConfig(t *testing.T) {
	c, probs := config.LoadText("default.conf", []byte(config.DefaultText))
	for _, p := range probs {
		t.Errorf("default config: %v", p)
	}
	if c == nil {
		t.Fatal("LoadText of DefaultText returned no config")
	}
	d := config.Default()
	if d == nil {
		t.Fatal("Default returned nil")
	}
	if d.Dump() != c.Dump() {
		t.Error("Default().Dump() differs from LoadText(DefaultText).Dump()")
	}
	onDisk, err := os.ReadFile("default.conf")
	if err != nil {
		t.Fatal(err)
	}
	if string(onDisk) != config.DefaultText {
		t.Error("DefaultText differs from default.conf")
	}
}

// TestDefaultConfigStatesBuiltIns checks what default.conf's comments promise: the values
// written out in <domain *> and <source 0/0> are the built-in defaults, so deleting any of
// those lines changes nothing. A config without those blocks must resolve to the same
// settings for a domain and a client that match nothing more specific.
func TestDefaultConfigStatesBuiltIns(t *testing.T) {
	const minimal = "log-file ./var/log/volley.log\n"
	bare, probs := config.LoadText("minimal.conf", []byte(minimal))
	for _, p := range probs {
		t.Fatalf("minimal config: %v", p)
	}
	def := config.Default()
	if got, want := def.Effective("example.com", "").Dump(), bare.Effective("example.com", "").Dump(); got != want {
		t.Errorf("<domain *> in default.conf differs from the built-in defaults: %s", firstDiff(got, want))
	}
	client := netip.MustParseAddr("192.0.2.99")
	if got, want := def.SourceFor(client, "", false), bare.SourceFor(client, "", false); !reflect.DeepEqual(got, want) {
		t.Errorf("<source 0/0> in default.conf differs from the built-in defaults:\n got %+v\nwant %+v", got, want)
	}
}

// compareGolden compares got with the golden file, or rewrites the file under -update.
func compareGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run `go test -run %s -update` to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff): %s",
			golden, firstDiff(got, string(want)))
	}
}

// firstDiff describes the first line where got and want differ, which is shorter to read
// than both texts in full; the full diff is the one -update leaves for review.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, gl, wl)
		}
	}
	return "same lines"
}
