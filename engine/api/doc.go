// Package api holds the management API's wire types: what volleyd's HTTP
// API (engine/mgmt) sends and receives as JSON, and what the volley CLI
// (cmd/volley) and the web monitor read. One definition serves both ends,
// so a field renamed on one side cannot silently go missing on the other.
//
// Responsibility: the JSON shapes of SPEC.md's HTTP section, their field
// names (stable: scripts read them), and the filters the list endpoints
// accept.
//
// Not responsible for: serving them (engine/mgmt), computing them (engine),
// or printing them (cmd/volley).
//
// Concurrency: plain values.
//
// Failure behaviour: none; errors travel as Error with a 4xx or 5xx status.
package api
