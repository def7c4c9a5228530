package web

import (
	"embed"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// files are the page and its assets; the page loads nothing from
// elsewhere, so the CSP below can stay at 'self'.
//
//go:embed index.html app.js style.css favicon.svg
var files embed.FS

// AssetPrefix is the path under which the page's assets are served.
const AssetPrefix = "/web/"

// ContentSecurityPolicy forbids inline script and style and every other
// origin: all code is in app.js and all style in style.css, so text the API
// returns cannot become script even if the page mishandled it.
const ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// contentType names the type of an asset by its extension ("" for none we
// serve). It is fixed here instead of asking the mime package, which lets
// the host's mime.types override its answers.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}

// Handler serves the monitor page at "/" and its assets under AssetPrefix
// (/web/app.js, /web/style.css, /web/favicon.svg). Mount it at "/" of the
// management mux; it answers 404 for every other path, so API routes must be
// registered on more specific patterns.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := assetName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, err := files.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(name))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// assetName maps a request path to an embedded file: "/" is the page, and
// AssetPrefix+name one of the assets. The page is not served under the
// prefix, nor anything with a directory, so only the listed files are reachable.
func assetName(p string) (string, bool) {
	if p == "/" {
		return "index.html", true
	}
	name, ok := strings.CutPrefix(p, AssetPrefix)
	if !ok || name == "index.html" || strings.Contains(name, "/") {
		return "", false
	}
	return name, contentType(name) != ""
}
