// Package web is volleyd's web monitor: one page, served at "/" by the
// management HTTP server, that shows the node's status, its largest queues,
// the last hour's rates as a chart and the recent deferrals and bounces,
// and refreshes itself every 5 seconds.
//
// Responsibility: serve the page and its assets (HTML, JavaScript, CSS and
// an icon, embedded in the binary) with their content types, no-cache and
// a Content-Security-Policy that allows only same-origin resources; the
// page itself reads the JSON API (engine/api types) from the same origin.
//
// Not responsible for: the API the page reads, authentication and TLS
// (the management server that mounts Handler applies them to every path),
// and any data: the handler serves fixed files and nothing else.
//
// Concurrency: Handler's result holds no mutable state and is safe for
// concurrent use.
//
// Failure behaviour: unknown paths get 404 and methods other than GET and
// HEAD get 405. In the browser, a failed API call shows as a banner naming
// the status and the {"error": ...} text, while the sections whose calls
// succeeded keep rendering.
package web
