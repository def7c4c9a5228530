package mgmt

import (
	"io"
	"net/http"
	"strings"

	"github.com/volleymta/volley/engine/api"
)

// The suppression list endpoints. Reads are monitor's; adding and removing
// entries is operator's (it changes who gets mail, not what is queued).
func (s *Server) suppressions() {
	b := s.o.Backend
	s.handle("GET /api/v1/suppressions", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nonNilList(b.Suppressions()), nil
	})
	s.handle("GET /api/v1/suppressions/check", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		addr := r.URL.Query().Get("address")
		if addr == "" {
			return nil, errorf(http.StatusBadRequest, "address is required")
		}
		return b.SuppressCheck(addr), nil
	})
	s.handle("GET /api/v1/suppressions/export", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		var sb strings.Builder
		if err := b.SuppressExport(&sb, r.URL.Query().Get("list")); err != nil {
			return nil, errorf(http.StatusNotFound, "%v", err)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, sb.String())
		return raw{}, nil
	})
	change := func(do func([]string) (int, error)) handler {
		return func(w http.ResponseWriter, r *http.Request) (any, error) {
			var in api.SuppressionEntries
			if err := decode(r, &in); err != nil {
				return nil, err
			}
			if len(in.Entries) == 0 {
				return nil, errorf(http.StatusBadRequest, "entries is required")
			}
			n, err := do(in.Entries)
			if err != nil {
				if strings.HasPrefix(err.Error(), "suppress:") {
					return nil, errorf(http.StatusBadRequest, "%v", err)
				}
				return nil, err
			}
			return api.Result{Affected: in.Entries, Count: n}, nil
		}
	}
	s.handle("POST /api/v1/suppressions", levelOperator, change(b.SuppressAdd))
	s.handle("DELETE /api/v1/suppressions", levelOperator, change(b.SuppressRemove))
	s.handle("POST /api/v1/suppressions/import", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		res, err := b.SuppressImport(io.LimitReader(r.Body, maxBody), r.URL.Query().Get("format"))
		if err != nil && strings.Contains(err.Error(), "unknown format") {
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
		return res, err
	})
}
