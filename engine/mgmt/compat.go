package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/volleymta/volley/engine/api"
)

// PowerMTA's read paths (reference §3.1): the same data as the REST API,
// wrapped as PowerMTA wraps it, {"data": ...}, with ?format=json. Other
// formats (xml, the HTML pages) are not served: 400 says so.

func (s *Server) compat() {
	b := s.o.Backend
	read := func(path string, get func(r *http.Request) (any, error)) {
		s.handle("GET "+path, levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
			if f := r.URL.Query().Get("format"); f != "json" {
				return nil, errorf(http.StatusBadRequest, "%s: only format=json is served (format %q is not)", path, f)
			}
			v, err := get(r)
			if err != nil {
				return nil, err
			}
			return map[string]any{"data": v}, nil
		})
	}
	read("/status", func(r *http.Request) (any, error) {
		st, err := b.Status(r.Context())
		if err != nil {
			return nil, err
		}
		return pmtaStatus(st), nil
	})
	read("/queues", func(r *http.Request) (any, error) {
		f, err := queueFilter(r)
		if err != nil {
			return nil, err
		}
		return nonNil(b.Queues(r.Context(), f))
	})
	read("/queueDetail", func(r *http.Request) (any, error) {
		return queueNamed(r, b, r.URL.Query().Get("queue"))
	})
	read("/domains", func(r *http.Request) (any, error) { return nonNil(b.Domains(r.Context())) })
	read("/vmtas", func(r *http.Request) (any, error) { return nonNil(b.VMTAs(r.Context())) })
	read("/jobs", func(r *http.Request) (any, error) { return nonNilList(b.Jobs()), nil })
	read("/listqueue", func(r *http.Request) (any, error) {
		f, err := listFilter(r)
		if err != nil {
			return nil, err
		}
		return nonNil(b.ListRecipients(r.Context(), f))
	})
}

// pmtaStatus is `show status` in PowerMTA's JSON shape (data.mta,
// data.status.traffic.total.{in,out}.{rcp,msg}, ...), with Volley's own
// status beside it under "volley".
func pmtaStatus(st api.Status) map[string]any {
	t := st.Traffic
	return map[string]any{
		"mta": map[string]any{"product": "Volley", "version": st.Version, "host": st.Host,
			"engine": st.Engine, "shards": st.Shards, "started": st.Started},
		"status": map[string]any{
			"traffic": map[string]any{"total": map[string]any{
				"in":  map[string]uint64{"msg": t.MessagesReceived, "rcp": t.RecipientsReceived},
				"out": map[string]uint64{"rcp": t.Delivered + t.Bounced, "delivered": t.Delivered, "bounced": t.Bounced},
			}},
			"queue": map[string]any{"smtp": map[string]int{"rcp": st.Queued.Recipients, "dom": st.Queued.Domains,
				"queues": st.Queued.Queues}},
			"conn":  map[string]int{"smtpIn": st.Connections.In, "smtpOut": st.Connections.Out},
			"spool": map[string]int64{"files": st.Spool.Messages, "bytes": st.Spool.Bytes},
		},
		"volley": st,
	}
}

// command runs a volley CLI command line given as words (POST
// /api/v1/commands, PowerMTA's Command API) and answers its result as
// JSON text: the commands that read or change queues, jobs and the
// config. Commands that change mail or the config need admin, as their
// own endpoints do.
func (s *Server) command(w http.ResponseWriter, r *http.Request) (any, error) {
	var c api.Command
	if err := decode(r, &c); err != nil {
		return nil, err
	}
	b := s.o.Backend
	ctx := r.Context()
	word := func(i int) string {
		if i < len(c.Args) {
			return c.Args[i]
		}
		return ""
	}
	var v any
	var err error
	switch cmd := word(0) + " " + word(1); cmd {
	case "show status":
		v, err = b.Status(ctx)
	case "show queues", "show topqueues":
		v, err = b.Queues(ctx, api.QueueFilter{Pattern: word(2), MaxItems: 20})
	case "show domains", "show topdomains":
		v, err = b.Domains(ctx)
	case "show vmtas":
		v, err = b.VMTAs(ctx)
	case "show jobs":
		v = b.Jobs()
	case "pause queue", "resume queue":
		v, err = b.QueueAction(ctx, word(2), word(0))
	case "schedule " + word(1):
		v, err = b.QueueAction(ctx, word(1), "schedule")
	case "set queue":
		mode, _ := strings.CutPrefix(word(2), "--mode=")
		if mode != api.ModeNormal && mode != api.ModeBackoff {
			return nil, errorf(http.StatusBadRequest, "set queue --mode=normal|backoff QUEUE")
		}
		v, err = b.QueueAction(ctx, word(3), mode)
	case "pause job":
		v = b.PauseJob(word(2))
	case "resume job":
		v, err = b.ResumeJob(ctx, word(2))
	case "resolve " + word(1):
		v = b.Resolve(ctx, word(1))
	case "reload ":
		if !s.allowed(r, levelAdmin) {
			return nil, errorf(http.StatusForbidden, "reload needs admin")
		}
		v = b.Reload(ctx)
	default:
		return nil, errorf(http.StatusBadRequest, "command %q is not served by /api/v1/commands (use its own endpoint)", strings.Join(c.Args, " "))
	}
	if err != nil {
		return api.CommandOutput{Output: err.Error()}, nil
	}
	text, _ := json.MarshalIndent(v, "", "  ")
	return api.CommandOutput{Output: string(text), OK: true}, nil
}

// allowed reports whether r's client has level by http-access or key,
// without answering.
func (s *Server) allowed(r *http.Request, level int) bool {
	rec := &discard{h: http.Header{}}
	_, ok := s.authorize(rec, r, level)
	return ok
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// transmissionsPath is PowerMTA's HTTP injection API (§10.19).
const transmissionsPath = "/api/v1/transmissions"

// transmission is its request: one pre-built message and its recipients.
type transmission struct {
	ReturnPath string `json:"return_path"`
	CampaignID string `json:"campaign_id"`
	Recipients []struct {
		Address json.RawMessage `json:"address"`
	} `json:"recipients"`
	Content struct {
		EmailRFC822 string `json:"email_rfc822"`
	} `json:"content"`
}

func (s *Server) transmissions() {
	s.mux.HandleFunc("POST "+transmissionsPath, func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.authorize(&discard{h: http.Header{}}, r, levelAdmin)
		if !ok {
			failTransmission(w, http.StatusForbidden, "forbidden: an API key (Authorization or X-API-Key) or admin http-access is needed")
			return
		}
		s.transmit(w, r, who)
	})
}

// TransmissionsHandler serves only the Transmissions API, for a
// <transmissions-api-listener>: a client sends one of the
// <transmissions-api> block's keys in Authorization (or X-API-Key).
func (s *Server) TransmissionsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+transmissionsPath, func(w http.ResponseWriter, r *http.Request) {
		who := clientAddr(r).String()
		keys, logRequests := s.o.Backend.TransmissionsKeys()
		key := r.Header.Get("Authorization")
		if key == "" {
			key = r.Header.Get("X-API-Key")
		}
		if keyIn(keys, key) {
			if logRequests {
				s.o.Logf("mgmt: transmissions-api request from %s", who)
			}
			s.transmit(w, r, who+" (transmissions-api key)")
			return
		}
		if logRequests {
			s.o.Logf("mgmt: transmissions-api request from %s refused: no valid key", who)
		}
		failTransmission(w, http.StatusUnauthorized, "unauthorized: send a <transmissions-api> api-key in the Authorization header")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		failTransmission(w, http.StatusNotFound, "this listener serves POST "+transmissionsPath+" only")
	})
	return mux
}

// failTransmission answers in the Transmissions API's error shape.
func failTransmission(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": msg, "description": msg}}})
}

// transmit injects one transmission for an authorized client.
func (s *Server) transmit(w http.ResponseWriter, r *http.Request, who string) {
	fail := func(status int, msg string) { failTransmission(w, status, msg) } // the API's error shape
	var t transmission
	if err := decode(r, &t); err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	in := api.Inject{From: t.ReturnPath, Job: t.CampaignID, Data: t.Content.EmailRFC822}
	for _, rc := range t.Recipients {
		var addr string
		if json.Unmarshal(rc.Address, &addr) != nil {
			var obj struct {
				Email string `json:"email"`
			}
			_ = json.Unmarshal(rc.Address, &obj)
			addr = obj.Email
		}
		if addr != "" {
			in.To = append(in.To, addr)
		}
	}
	if in.Data == "" {
		fail(http.StatusBadRequest, "content.email_rfc822 is required")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	got, err := s.o.Backend.Inject(ctx, in, "transmissions-api "+clientAddr(r).String())
	if errors.Is(err, api.ErrTryLater) {
		fail(http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	s.o.Logf("mgmt: transmission %s of %d recipients by %s", got.ID, got.Recipients, who)
	writeJSON(w, http.StatusOK, map[string]any{"results": map[string]any{"total_accepted_recipients": got.Recipients,
		"total_rejected_recipients": len(t.Recipients) - got.Recipients, "id": got.ID}})
}
