// Package metrics keeps volleyd's Prometheus metrics and serves them in the
// Prometheus text format (SPEC.md, Metrics).
//
// Responsibility: the metrics SPEC.md names, with their help text, types and
// bounded labels; counters the engine bumps as events happen (Received,
// Delivered, Bounced, Deferred, Reply, DeliverySeconds: counters.go); gauges
// read once per scrape from the engine's Sample callback (the queues, their
// modes, connections and the spool: sample.go) and volley_engine_info;
// Volley's deliverability metrics (deliverability.go): recipients moved to
// cold virtual MTAs and stopped by suppression (counters), the source
// addresses a warm-up holds with their share of the rate, and those
// disabled (gauges from Sample); a
// registry of its own, with the Go runtime and process collectors, and the
// HTTP handler that serves it (metrics.go).
//
// Labels are bounded whatever the callers pass: a source past the first
// MaxSources (default 64), or one that is empty, over 128 bytes or not UTF-8,
// counts as source="other"; a bounce category outside PowerMTA's list (plus
// Volley's deleted and suppressed) counts as "other"; a reply code outside
// 200-599's 2xx, 4xx and 5xx counts as class="other"; only the TopQueues
// (default 50) queues with the most recipients get their own series, and the
// rest are summed into queue="other"; only the MaxSources most held warming
// source addresses get a volley_warmup_fraction series, and source="other"
// shows the lowest share of the rest.
//
// Not responsible for: deciding what counts (the engine calls the counters
// where an outcome is final, as it writes accounting); the /metrics route
// and its access control (engine/mgmt mounts Handler); `volley reset
// counters`, which resets the management API's counters only: Prometheus
// counters never go backwards, so this package has no Reset, and rate()
// over a restart is Prometheus's business.
//
// Concurrency: the counter methods may be called from any goroutine and do
// not allocate once a label value has been seen. Each is one atomic add on a
// counter shared by every caller (client_golang's), so a shard in a tight
// loop should batch with Delivered(n) and Deferred(n). A source's counter is
// found in a copy-on-write map read without a lock; a mutex serialises only
// the first sighting of each source, until MaxSources are known. Sample is
// called on the scraping goroutine, once per scrape, and concurrent scrapes
// may call it concurrently; it may wait, bounded, for the shards' answers
// (the engine asks them through their rings and caches the answer).
//
// Standards: the Prometheus text exposition format and its naming rules
// (base units, counters ending in _total; TestPromtool runs `promtool check
// metrics` over a scrape); RFC 5321 §4.2.1 for the reply classes.
//
// Failure behaviour: metrics never hold up mail and never stop a scrape. A
// bad label value is counted under "other", never refused, and a negative
// count or duration is ignored or taken as zero. A Sample that panics is
// recovered: that scrape serves every other metric, the error is counted in
// promhttp_metric_handler_errors_total{cause="gathering"} and logged when
// Options.Logger is set.
package metrics
