package mgmt

import (
	"errors"
	"net/http"
	"strings"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/mgmt/web"
)

// routes registers every path (SPEC.md, HTTP).
func (s *Server) routes() {
	b := s.o.Backend
	// Reads (monitor).
	s.handle("GET /api/v1/status", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Status(r.Context())
	})
	s.handle("GET /api/v1/queues", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		f, err := queueFilter(r)
		if err != nil {
			return nil, err
		}
		return nonNil(b.Queues(r.Context(), f))
	})
	s.handle("GET /api/v1/queues/{domain}/{vmta}", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return queueNamed(r, b, queueName(r))
	})
	s.handle("GET /api/v1/domains", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nonNil(b.Domains(r.Context()))
	})
	s.handle("GET /api/v1/vmtas", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nonNil(b.VMTAs(r.Context()))
	})
	s.handle("GET /api/v1/vmtas/{name}", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		v, ok, err := b.VMTA(r.Context(), r.PathValue("name"))
		if err == nil && !ok {
			err = errorf(http.StatusNotFound, "no virtual-mta or pool %q", r.PathValue("name"))
		}
		return v, err
	})
	s.handle("GET /api/v1/jobs", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nonNilList(b.Jobs()), nil
	})
	s.handle("GET /api/v1/events", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nonNilList(b.Events()), nil
	})
	s.handle("GET /api/v1/rates", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nonNilList(b.Rates()), nil
	})
	s.handle("GET /api/v1/settings", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		text := b.Settings()
		if q := r.URL.Query().Get("queue"); q != "" {
			domain, vmta, _ := strings.Cut(q, "/")
			text = b.QueueSettings(domain, vmta)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(text))
		return raw{}, nil
	})

	s.handle("GET /api/v1/recipients", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		f, err := listFilter(r)
		if err != nil {
			return nil, err
		}
		return nonNil(b.ListRecipients(r.Context(), f))
	})
	s.handle("GET /api/v1/complaints", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Complaints(), nil
	})
	s.handle("GET /api/v1/clients", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Clients(), nil
	})
	s.handle("GET /api/v1/warmup", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Warmups(), nil
	})
	s.handle("GET /api/v1/sources/disabled", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.DisabledSources(), nil
	})

	// Operator commands.
	for _, action := range []string{"pause", "resume", "schedule"} {
		s.handle("POST /api/v1/queues/{domain}/{vmta}/"+action, levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
			if action == "schedule" {
				var req api.ScheduleRequest
				if err := decode(r, &req); err != nil {
					return nil, err
				}
			}
			return queueResult(b.QueueAction(r.Context(), queueName(r), action))
		})
	}
	s.handle("POST /api/v1/queues/{domain}/{vmta}/mode", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req api.ModeRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		if req.Mode != api.ModeNormal && req.Mode != api.ModeBackoff {
			return nil, errorf(http.StatusBadRequest, "mode must be %q or %q, not %q", api.ModeNormal, api.ModeBackoff, req.Mode)
		}
		return queueResult(b.QueueAction(r.Context(), queueName(r), req.Mode))
	})
	s.handle("POST /api/v1/jobs/{id}/pause", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.PauseJob(r.PathValue("id")), nil
	})
	s.handle("POST /api/v1/jobs/{id}/resume", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.ResumeJob(r.Context(), r.PathValue("id"))
	})
	s.handle("POST /api/v1/sources/{ip}/disable", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return badRequest(b.DisableSource(r.PathValue("ip"), r.URL.Query().Get("queue")))
	})
	s.handle("POST /api/v1/sources/{ip}/enable", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return queueResult(b.EnableSource(r.Context(), r.PathValue("ip"), r.URL.Query().Get("queue")))
	})
	s.handle("POST /api/v1/counters/reset", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		b.ResetCounters()
		return nil, nil
	})
	s.handle("POST /api/v1/rotate/acct", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, b.RotateAcct()
	})
	s.handle("POST /api/v1/rotate/log", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		if s.o.RotateLog == nil {
			return nil, errorf(http.StatusNotImplemented, "volleyd logs to stderr: there is no log file to reopen")
		}
		return nil, s.o.RotateLog()
	})
	s.handle("GET /api/v1/dns/precache", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Precache(), nil
	})
	s.handle("GET /api/v1/resolve/{domain}", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Resolve(r.Context(), r.PathValue("domain")), nil
	})
	s.handle("POST /api/v1/dnscache/clear", levelOperator, func(w http.ResponseWriter, r *http.Request) (any, error) {
		d := r.URL.Query().Get("domain")
		if d == "" {
			return nil, errorf(http.StatusBadRequest, "domain is required (a domain or *)")
		}
		b.ClearDNSCache(d)
		return nil, nil
	})

	// Admin commands.
	s.handle("DELETE /api/v1/queues", levelAdmin, func(w http.ResponseWriter, r *http.Request) (any, error) {
		q := r.URL.Query()
		older, err := intParam(r, "olderThan")
		if err != nil {
			return nil, err
		}
		f := api.DeleteFilter{Queue: q.Get("queue"), Orig: q.Get("orig"), Rcpt: q.Get("rcpt"), JobID: q.Get("jobId"),
			EnvID: q.Get("envId"), OlderThan: older, DSN: flag(r, "dsn")}
		res, err := b.Delete(r.Context(), f)
		if err != nil && res.Count == 0 && !errors.Is(err, r.Context().Err()) {
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
		return res, err
	})
	s.handle("PUT /api/v1/vmtas/{name}", levelAdmin, func(w http.ResponseWriter, r *http.Request) (any, error) {
		var spec api.VMTASpec
		if err := decode(r, &spec); err != nil {
			return nil, err
		}
		return b.PutVMTA(r.PathValue("name"), spec), nil
	})
	s.handle("DELETE /api/v1/vmtas/{name}", levelAdmin, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.DeleteVMTA(r.PathValue("name")), nil
	})
	s.handle("POST /api/v1/reload", levelAdmin, func(w http.ResponseWriter, r *http.Request) (any, error) {
		return b.Reload(r.Context()), nil
	})
	s.handle("POST /api/v1/inject", levelAdmin, func(w http.ResponseWriter, r *http.Request) (any, error) {
		var in api.Inject
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		out, err := b.Inject(r.Context(), in, "api "+clientAddr(r).String())
		switch {
		case errors.Is(err, api.ErrTryLater):
			return nil, errorf(http.StatusServiceUnavailable, "%v", err)
		case err != nil && strings.HasPrefix(err.Error(), "inject:"):
			return nil, errorf(http.StatusBadRequest, "%v", err)
		}
		return out, err
	})
	s.suppressions()
	s.transmissions()
	s.compat()
	s.handle("POST /api/v1/commands", levelOperator, s.command)

	s.handle("GET /metrics", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		b.MetricsHandler().ServeHTTP(w, r)
		return raw{}, nil
	})
	webPage := web.Handler()
	s.handle("GET /", levelMonitor, func(w http.ResponseWriter, r *http.Request) (any, error) {
		if r.URL.Query().Get("format") == "json" && r.URL.Path == "/" {
			return b.Status(r.Context())
		}
		webPage.ServeHTTP(w, r)
		return raw{}, nil
	})
}

// raw marks a handler that wrote its own response.
type raw struct{}

// queueResult turns "nothing matched" into a 404.
func queueResult(res api.Result, err error) (any, error) {
	if err != nil && strings.Contains(err.Error(), "no queue matches") {
		return nil, errorf(http.StatusNotFound, "no queue matches")
	}
	if err != nil && strings.Contains(err.Error(), "bad queue pattern") {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return res, err
}

// queueFilter reads a queue list's query parameters.
func queueFilter(r *http.Request) (api.QueueFilter, error) {
	q := r.URL.Query()
	n, err := intParam(r, "maxitems")
	if err != nil {
		return api.QueueFilter{}, err
	}
	f := api.QueueFilter{Pattern: q.Get("pattern"), Paused: flag(r, "paused"), Mode: q.Get("mode"),
		Errors: flag(r, "errors"), Sort: q.Get("sort"), MaxItems: int(n)}
	if f.Pattern == "" {
		f.Pattern = q.Get("queue") // PowerMTA's name for it
	}
	if f.Mode != "" && f.Mode != api.ModeNormal && f.Mode != api.ModeBackoff {
		return f, errorf(http.StatusBadRequest, "mode must be normal or backoff")
	}
	if f.Sort != "" && f.Sort != "name" && f.Sort != "recipients" {
		return f, errorf(http.StatusBadRequest, "sort must be name or recipients")
	}
	return f, nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](v []T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return nonNilList(v), nil
}

func nonNilList[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// badRequest makes an error of the caller's input a 400.
func badRequest(res api.Result, err error) (any, error) {
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return res, nil
}

// listFilter reads a recipient list's query parameters (PowerMTA's
// /listqueue names: queue, rcpt, orig, jobid, envid).
func listFilter(r *http.Request) (api.ListFilter, error) {
	q := r.URL.Query()
	n, err := intParam(r, "maxitems")
	if err != nil {
		return api.ListFilter{}, err
	}
	first := func(names ...string) string {
		for _, n := range names {
			if v := q.Get(n); v != "" {
				return v
			}
		}
		return ""
	}
	return api.ListFilter{Queue: q.Get("queue"), Rcpt: q.Get("rcpt"), Orig: q.Get("orig"), JobID: first("jobId", "jobid"),
		EnvID: first("envId", "envid"), MaxItems: int(n)}, nil
}

// queueNamed returns the queue called exactly name ("domain/vmta"), or 404.
func queueNamed(r *http.Request, b Backend, name string) (any, error) {
	qs, err := b.Queues(r.Context(), api.QueueFilter{Pattern: name})
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return q, nil
		}
	}
	return nil, errorf(http.StatusNotFound, "no queue %s", name)
}
