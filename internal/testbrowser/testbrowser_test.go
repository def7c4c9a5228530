package testbrowser

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// page fetches data.json and, after a timer, writes it into the DOM: the
// DOM holds "fetched:42" only if the browser waited for both.
const page = `<!doctype html><title>t</title><p id="out">before</p><script src="/s.js"></script>`

const script = `fetch('/data.json').then(r => r.json()).then(d =>
  setTimeout(() => { document.getElementById('out').textContent = 'fetched:' + d.n; }, 1000));`

func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(page))
	})
	mux.HandleFunc("/s.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(script))
	})
	mux.HandleFunc("/data.json", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond) // a slow API must still be waited for
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"n":42}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestDumpDOMRunsScripts(t *testing.T) {
	Find(t)
	srv := server(t)
	dom := DumpDOM(t, srv.URL+"/", 3*time.Second)
	if !strings.Contains(dom, `<p id="out">fetched:42</p>`) {
		t.Fatalf("DOM lacks the script's output:\n%s", dom)
	}
}

func TestScreenshot(t *testing.T) {
	Find(t)
	srv := server(t)
	path := filepath.Join(t.TempDir(), "shot.png")
	Screenshot(t, srv.URL+"/", path, 400, 300, time.Second)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
}

func TestArtifact(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("VOLLEY_ARTIFACTS", filepath.Join(dir, "out"))
	p := Artifact(t, "x.png")
	if want := filepath.Join(dir, "out", "TestArtifact-x.png"); p != want {
		t.Fatalf("Artifact = %s, want %s", p, want)
	}
	if _, err := os.Stat(filepath.Dir(p)); err != nil {
		t.Fatal(err)
	}
}
