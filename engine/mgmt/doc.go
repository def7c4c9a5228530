// Package mgmt is volleyd's management HTTP server: the REST API under
// /api/v1/, PowerMTA's read paths (/status, /queues, ... with
// ?format=json), the Transmissions API, Prometheus /metrics and the web
// monitor at /.
//
// Responsibility: routing, decoding and encoding (engine/api's types),
// access control (http-access by client IP: none, monitor, operator,
// admin; a valid X-API-Key is admin), JSON errors with 4xx/5xx, and a log
// line for every call that changes something.
//
// Not responsible for: the answers themselves (the Backend, the running
// engine, gathers them from the shards through their rings), the
// metrics' values (engine/metrics), the page's code (engine/mgmt/web).
//
// Access levels: monitor reads (status, queues, domains, vMTAs, jobs,
// events, rates, settings, /metrics, the monitor page); operator also
// runs commands on queues and jobs (pause, resume, schedule, mode),
// resets counters, rotates files, resolves and clears the DNS cache;
// admin also deletes mail, reloads the config, changes vMTAs and injects.
// The rule of the longest http-access prefix holding the client applies
// (as <source> blocks match); no rule means none. With http-api-key set,
// a request carrying a key is judged by the key alone: a right one is
// admin from any client, a wrong one gets 401.
//
// Concurrency: net/http's; the Backend's methods are safe from any
// goroutine. Access rules are read from the Backend per request, so a
// reload changes them at once.
//
// Failure behaviour: a Backend that does not answer in time (a stuck
// shard) makes the request fail with 503 after requestTimeout; bad input
// gets 400 with what was wrong; nothing panics on client input.
package mgmt
