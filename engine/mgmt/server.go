package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/volleymta/volley/engine/api"
)

// Backend is what the server asks: the running engine.
type Backend interface {
	Status(ctx context.Context) (api.Status, error)
	Queues(ctx context.Context, f api.QueueFilter) ([]api.Queue, error)
	QueueAction(ctx context.Context, pattern, action string) (api.Result, error)
	Delete(ctx context.Context, f api.DeleteFilter) (api.Result, error)
	Domains(ctx context.Context) ([]api.Domain, error)
	VMTAs(ctx context.Context) ([]api.VMTA, error)
	VMTA(ctx context.Context, name string) (api.VMTA, bool, error)
	PutVMTA(name string, spec api.VMTASpec) api.Reload
	DeleteVMTA(name string) api.Reload
	Jobs() []api.Job
	PauseJob(id string) api.Result
	ResumeJob(ctx context.Context, id string) (api.Result, error)
	Reload(ctx context.Context) api.Reload
	Inject(ctx context.Context, in api.Inject, origin string) (api.Injected, error)
	Events() []api.Event
	Rates() []api.RatePoint
	ResetCounters()
	RotateAcct() error
	Resolve(ctx context.Context, domain string) api.Resolved
	Precache() []api.Precached
	ClearDNSCache(domain string)
	Settings() string
	QueueSettings(domain, vmta string) string
	ListRecipients(ctx context.Context, f api.ListFilter) ([]api.Recipient, error)
	DisabledSources() []api.DisabledSource
	Warmups() []api.Warmup
	Clients() []api.Client
	Complaints() api.Complaints
	Suppressions() []api.SuppressionList
	SuppressAdd(entries []string) (int, error)
	SuppressRemove(entries []string) (int, error)
	SuppressCheck(addr string) api.SuppressionCheck
	SuppressImport(r io.Reader, format string) (api.SuppressionImport, error)
	SuppressExport(w io.Writer, list string) error
	DisableSource(ip, pattern string) (api.Result, error)
	EnableSource(ctx context.Context, ip, pattern string) (api.Result, error)
	HTTPAccess() (rules []api.AccessRule, keys []string)
	// TransmissionsKeys returns the <transmissions-api> keys in force and
	// whether each request is logged.
	TransmissionsKeys() (keys []string, logRequests bool)
	MetricsHandler() http.Handler
}

// Options configure a Server.
type Options struct {
	Backend Backend
	// RotateLog reopens volleyd's log file (`rotate log`); nil: 501.
	RotateLog func() error
	// Logf receives the log line of each changing call.
	Logf func(format string, args ...any)
}

// Server is the management HTTP handler.
type Server struct {
	o   Options
	mux *http.ServeMux
}

// requestTimeout bounds how long a request waits for the shards.
const requestTimeout = 10 * time.Second

// Access levels, in order.
const (
	levelNone = iota
	levelMonitor
	levelOperator
	levelAdmin
)

var levelNames = map[string]int{"none": levelNone, "monitor": levelMonitor, "operator": levelOperator, "admin": levelAdmin}

// New returns the server's handler.
func New(o Options) *Server {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	s := &Server{o: o, mux: http.NewServeMux()}
	s.routes()
	return s
}

// handler is a route's code: it returns the value to send as JSON (nil
// with status 204 for none), or an error.
type handler func(w http.ResponseWriter, r *http.Request) (any, error)

// httpError is an error with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

// handle registers pattern at the level it needs; changing calls
// (above monitor) are logged.
func (s *Server) handle(pattern string, level int, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.authorize(w, r, level)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		v, err := h(w, r)
		status := http.StatusOK
		switch {
		case err != nil:
			status = statusOf(err)
			writeJSON(w, status, api.Error{Error: err.Error()})
		case v == nil:
			status = http.StatusNoContent
			w.WriteHeader(status)
		case v == raw{}:
			// written by the handler
		default:
			if rl, ok := v.(api.Reload); ok && !rl.OK {
				status = http.StatusUnprocessableEntity
			}
			writeJSON(w, status, v)
		}
		if level > levelMonitor {
			s.o.Logf("mgmt: %s %s %s by %s: %d", r.Method, r.URL.Path, r.URL.RawQuery, who, status)
		}
	})
}

func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// authorize decides whether r may run at level; when not, it answers
// 401 or 403 itself. who names the caller for the log.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, need int) (who string, ok bool) {
	client := clientAddr(r)
	who = client.String()
	rules, keys := s.o.Backend.HTTPAccess()
	key := r.Header.Get("X-API-Key")
	if key == "" && r.URL.Path == transmissionsPath {
		key = r.Header.Get("Authorization") // the Transmissions API's header
	}
	if key != "" {
		if keyIn(keys, key) {
			return who + " (API key)", true
		}
		writeJSON(w, http.StatusUnauthorized, api.Error{Error: "the X-API-Key is not valid"})
		s.o.Logf("mgmt: %s %s from %s: bad API key", r.Method, r.URL.Path, who)
		return who, false
	}
	have, bits := levelNone, -1
	for _, rule := range rules {
		if rule.Prefix.Contains(client) && rule.Prefix.Bits() >= bits {
			have, bits = levelNames[rule.Level], rule.Prefix.Bits()
		}
	}
	if have >= need {
		return who, true
	}
	if need == levelAdmin && len(keys) > 0 {
		w.Header().Set("WWW-Authenticate", `X-API-Key realm="volley"`)
		writeJSON(w, http.StatusUnauthorized, api.Error{Error: "this call needs an X-API-Key or an admin http-access rule for " + who})
		return who, false
	}
	names := []string{"none", "monitor", "operator", "admin"}
	writeJSON(w, http.StatusForbidden, api.Error{Error: fmt.Sprintf("%s may not do this: it needs http-access %s, the client has %s",
		who, names[need], names[have])})
	return who, false
}

// keyIn reports whether key is one of keys (none matches "").
func keyIn(keys []string, key string) bool {
	for _, k := range keys {
		if key != "" && constantTimeEqual(k, key) {
			return true
		}
	}
	return false
}

func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := range len(a) {
		d |= a[i] ^ b[i]
	}
	return d == 0
}

// clientAddr is the request's peer address (never a header: the
// management port is reached directly).
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// decode reads a JSON body into v (an empty body leaves v as it is).
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errorf(http.StatusBadRequest, "reading the body: %v", err)
	}
	if len(body) > maxBody {
		return errorf(http.StatusRequestEntityTooLarge, "the body is over %d bytes", maxBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "bad JSON body: %v", err)
	}
	return nil
}

// maxBody bounds request bodies (an injected message included).
const maxBody = 64 << 20

// queueName turns a path's {domain} and {vmta} into a queue pattern: "_"
// is the default (empty) vMTA.
func queueName(r *http.Request) string {
	vmta := r.PathValue("vmta")
	if vmta == "_" {
		vmta = ""
	}
	return r.PathValue("domain") + "/" + vmta
}

func flag(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
}

func intParam(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "%s: not a count: %q", name, v)
	}
	return n, nil
}
