package acct

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/config"
)

// TestFiles: a record reaches every file that takes its type.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	main, trans := filepath.Join(dir, "acct.csv"), filepath.Join(dir, "transient.csv")
	fs, err := OpenAll([]*config.AcctFile{
		{Path: main, Records: []string{"d", "b"}, ISOTimes: true},
		{Path: trans, Records: []string{"t", "tq", "d"}, ISOTimes: true},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !fs.Wants(TransientQueue) || fs.Wants(Received) || fs.Lookup(trans) == nil || fs.Lookup("x") != nil {
		t.Error("Wants or Lookup wrong")
	}
	for _, ty := range []Type{Delivered, Bounced, Transient, TransientQueue, Received} {
		r := sample(ty)
		fs.Log(&r)
	}
	if err := fs.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	count := func(path string) (n int) {
		files, _ := filepath.Glob(strings.TrimSuffix(path, ".csv") + "-*.csv")
		for _, f := range files {
			n += len(readFile(t, f))
		}
		return n
	}
	if a, b := count(main), count(trans); a != 2 || b != 3 {
		t.Errorf("acct has %d records, transient %d; want 2 and 3", a, b)
	}
	if _, err := OpenAll([]*config.AcctFile{{Path: main}, {Path: "|x"}}, Options{}); err == nil {
		t.Error("OpenAll accepted a pipe")
	}
}
