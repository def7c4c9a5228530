package main

// The HTTP client for volleyd's management API. Every command goes through client.call, so
// that connection failures, access refusals and API errors are reported the same way and
// map to the same exit statuses.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/volleymta/volley/engine/api"
)

// apiTimeout bounds one request. It is generous because an injection waits until the
// message is durable and a reload validates the whole config.
const apiTimeout = 60 * time.Second

// maxErrorBody is how much of a non-JSON error body is quoted in a message.
const maxErrorBody = 200

// client calls one volleyd's management API.
type client struct {
	// base is the API's base URL without a trailing slash (the --api flag).
	base string
	// key is sent as X-API-Key when not empty.
	key  string
	http *http.Client
}

// newClient checks the --api URL and returns a client for it. A URL without a scheme or
// host is a usage error, caught here rather than as a confusing transport error.
func newClient(o options) (*client, error) {
	u, err := url.Parse(o.api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--api %q is not an http:// or https:// URL", o.api)
	}
	return &client{
		base: strings.TrimRight(o.api, "/"),
		key:  o.apiKey,
		http: &http.Client{Timeout: apiTimeout},
	}, nil
}

// apiError is a non-2xx answer. Msg is the API's {"error"} text, or the start of the body
// when the answer was not the API's JSON (a proxy, or a volleyd without that route).
type apiError struct {
	Status int
	// Line is the status line's text, e.g. "404 Not Found".
	Line string
	Msg  string
	// FromAPI says that the body was an api.Error, so volleyd itself answered.
	FromAPI bool
}

func (e *apiError) Error() string {
	if e.Msg == "" {
		return "HTTP " + e.Line
	}
	return e.Msg + " (HTTP " + e.Line + ")"
}

// unsupported reports whether the route itself is missing: a 404 that is not the API's
// "no such queue" answer comes from a volleyd too old for the command.
func (e *apiError) unsupported() bool {
	return (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed) && !e.FromAPI
}

// unreachableError is a request that never got an HTTP answer.
type unreachableError struct {
	url string
	err error
}

func (e *unreachableError) Error() string {
	if errors.Is(e.err, syscall.ECONNREFUSED) {
		return "volleyd is not running at " + e.url + " (connection refused)"
	}
	return "cannot reach volleyd at " + e.url + ": " + e.err.Error()
}

func (e *unreachableError) Unwrap() error { return e.err }

// request is one API call. path is already escaped (see pathSegment); query and body are
// optional. A non-nil body is sent as JSON.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	// text, when set, is sent as the body as it is (a file to import).
	text []byte
}

// call sends r and returns the answer's body on a 2xx status. Any other status becomes an
// *apiError, and a transport failure an *unreachableError.
func (c *client) call(r request) ([]byte, error) {
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	} else if r.text != nil {
		body = bytes.NewReader(r.text)
	}
	req, err := http.NewRequest(r.method, target, body)
	if err != nil {
		return nil, err
	}
	switch {
	case r.body != nil:
		req.Header.Set("Content-Type", "application/json")
	case r.text != nil:
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("X-API-Key", c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &unreachableError{url: c.base, err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &unreachableError{url: c.base, err: err}
	}
	if resp.StatusCode/100 != 2 {
		return raw, newAPIError(resp, raw)
	}
	return raw, nil
}

// newAPIError reads the API's {"error"} body, falling back to the raw text.
func newAPIError(resp *http.Response, raw []byte) *apiError {
	e := &apiError{Status: resp.StatusCode, Line: resp.Status}
	if e.Line == "" {
		e.Line = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var body api.Error
	if json.Unmarshal(raw, &body) == nil && body.Error != "" {
		e.Msg, e.FromAPI = body.Error, true
		return e
	}
	text := strings.TrimSpace(string(raw))
	if len(text) > maxErrorBody {
		text = text[:maxErrorBody] + "..."
	}
	e.Msg = text
	return e
}

// getJSON calls GET path and decodes the answer into v, returning the raw JSON too so that
// --json can print exactly what the API said.
func (c *client) getJSON(path string, query url.Values, v any) ([]byte, error) {
	return c.callJSON(request{method: http.MethodGet, path: path, query: query}, v)
}

// callJSON sends r and decodes the answer into v. An empty answer (204) leaves v alone.
func (c *client) callJSON(r request, v any) ([]byte, error) {
	raw, err := c.call(r)
	if err != nil {
		return raw, err
	}
	if len(bytes.TrimSpace(raw)) == 0 || v == nil {
		return raw, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return raw, fmt.Errorf("the answer to %s %s is not the JSON expected: %w", r.method, r.path, err)
	}
	return raw, nil
}

// pathSegment escapes one path segment of a queue, vMTA, job or domain name. The empty
// name (the default vMTA) is written "_", as the API spells it.
func pathSegment(s string) string {
	if s == "" {
		return "_"
	}
	return url.PathEscape(s)
}
