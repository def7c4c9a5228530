package api

import (
	"errors"
	"net/netip"
	"time"
)

// Error is every failed call's body: {"error": "..."} with a 4xx or 5xx status.
type Error struct {
	Error string `json:"error"`
}

// Status is GET /api/v1/status (and /status?format=json): the node at a glance.
type Status struct {
	Version string    `json:"version"`
	Host    string    `json:"host"`
	Engine  string    `json:"engine"` // io_uring or epoll
	Shards  int       `json:"shards"`
	Started time.Time `json:"started"`
	// UptimeSeconds is how long volleyd has run.
	UptimeSeconds float64  `json:"uptimeSeconds"`
	Listeners     []string `json:"listeners"`
	// Traffic counts since the start or the last `reset counters`.
	Traffic     Traffic     `json:"traffic"`
	Queued      Queued      `json:"queued"`
	Connections Connections `json:"connections"`
	Spool       Spool       `json:"spool"`
	Config      ConfigInfo  `json:"config"`
}

// Traffic counts messages and recipients by what happened to them.
type Traffic struct {
	Since              time.Time `json:"since"`
	MessagesReceived   uint64    `json:"messagesReceived"`
	RecipientsReceived uint64    `json:"recipientsReceived"`
	Delivered          uint64    `json:"delivered"`
	Bounced            uint64    `json:"bounced"`
	Deferred           uint64    `json:"deferred"`
	// RemoteBounces counts the bounces the bounce processor read.
	RemoteBounces uint64 `json:"remoteBounces"`
}

// Queued sums the queues.
type Queued struct {
	Recipients int `json:"recipients"`
	Queues     int `json:"queues"`
	Domains    int `json:"domains"`
	Paused     int `json:"paused"`
	Backoff    int `json:"backoff"`
}

// Connections are the open SMTP connections.
type Connections struct {
	In  int `json:"in"`
	Out int `json:"out"`
}

// Spool is what the spool holds on disk.
type Spool struct {
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

// ConfigInfo says which config is in force.
type ConfigInfo struct {
	File     string    `json:"file"` // "" for the built-in default
	Loaded   time.Time `json:"loaded"`
	Reloads  int       `json:"reloads"`
	Problems []string  `json:"problems,omitempty"` // of the last refused reload
}

// Queue is one domain/vMTA queue (GET /api/v1/queues, /queues?format=json).
type Queue struct {
	Name   string `json:"name"` // domain/vmta
	Domain string `json:"domain"`
	VMTA   string `json:"vmta"`
	// Recipients = Ready + Waiting + InFlight.
	Recipients  int    `json:"recipients"`
	Ready       int    `json:"ready"`
	Waiting     int    `json:"waiting"`
	InFlight    int    `json:"inFlight"`
	Connections int    `json:"connections"`
	Mode        string `json:"mode"` // normal or backoff
	Paused      bool   `json:"paused"`
	// NextRetry is when the earliest waiting recipient is due (omitted: none waits).
	NextRetry *time.Time `json:"nextRetry,omitempty"`
	// LastError is the last reply or failure that deferred or bounced mail here.
	LastError string `json:"lastError,omitempty"`
	Shard     int    `json:"shard"`
}

// Modes of a queue.
const (
	ModeNormal  = "normal"
	ModeBackoff = "backoff"
)

// QueueFilter selects queues: Pattern is "domain[/vmta]" with * and ?
// wildcards (PowerMTA's `show queues` argument); the flags narrow it.
type QueueFilter struct {
	Pattern string `json:"pattern,omitempty"`
	Paused  bool   `json:"paused,omitempty"`
	Mode    string `json:"mode,omitempty"`
	Errors  bool   `json:"errors,omitempty"` // only queues with a LastError
	// Sort is "name" or "recipients" (largest first; the default).
	Sort     string `json:"sort,omitempty"`
	MaxItems int    `json:"maxItems,omitempty"`
}

// Domain sums a domain's queues (GET /api/v1/domains).
type Domain struct {
	Name        string `json:"name"`
	Queues      int    `json:"queues"`
	Recipients  int    `json:"recipients"`
	Connections int    `json:"connections"`
	Paused      int    `json:"paused"`  // queues paused
	Backoff     int    `json:"backoff"` // queues in backoff
}

// VMTA is one virtual MTA or pool (GET /api/v1/vmtas).
type VMTA struct {
	Name       string   `json:"name"`
	Pool       bool     `json:"pool"`
	Members    []string `json:"members,omitempty"` // a pool's vMTAs
	Sources    []Source `json:"sources,omitempty"`
	MaxSMTPOut int      `json:"maxSmtpOut,omitempty"`
	// MaxSMTPMsgRate is max-smtp-msg-rate: its messages over all domains.
	MaxSMTPMsgRate string `json:"maxSmtpMsgRate,omitempty"`
	// Live marks a vMTA created or changed through the API.
	Live        bool `json:"live,omitempty"`
	Queues      int  `json:"queues"`
	Recipients  int  `json:"recipients"`
	Connections int  `json:"connections"`
}

// Source is one smtp-source-host: the address to send from and its name.
type Source struct {
	IP   string `json:"ip"`
	Host string `json:"host"`
}

// VMTASpec is the body of PUT /api/v1/vmtas/{name}: the vMTA's directives
// in config-file syntax, one per entry ("smtp-source-host 192.0.2.1
// mta1.example.com", "max-smtp-out 20", ...), checked as the config file is.
type VMTASpec struct {
	Directives []string `json:"directives"`
}

// Job counts one job's recipients (GET /api/v1/jobs).
type Job struct {
	ID        string    `json:"id"`
	Received  uint64    `json:"received"`
	Delivered uint64    `json:"delivered"`
	Bounced   uint64    `json:"bounced"`
	Deferrals uint64    `json:"deferrals"`
	Queued    int64     `json:"queued"` // received and not final yet
	Paused    bool      `json:"paused"`
	FirstSeen time.Time `json:"firstSeen"`
}

// Result answers a command that acts on queues or jobs.
type Result struct {
	// Affected names what changed (queues, jobs), Count how many recipients
	// where that applies.
	Affected []string `json:"affected"`
	Count    int      `json:"count"`
}

// DeleteFilter selects recipients for DELETE /api/v1/queues (PowerMTA's
// `delete`): all given fields must match; at least one is required.
type DeleteFilter struct {
	Queue string `json:"queue,omitempty"` // domain[/vmta] pattern
	Orig  string `json:"orig,omitempty"`  // MAIL FROM
	Rcpt  string `json:"rcpt,omitempty"`
	JobID string `json:"jobId,omitempty"`
	EnvID string `json:"envId,omitempty"`
	// OlderThan selects recipients received longer ago than this many seconds.
	OlderThan int64 `json:"olderThan,omitempty"`
	// DSN sends a bounce report to the senders that asked for one.
	DSN bool `json:"dsn,omitempty"`
}

// ModeRequest is the body of POST .../mode.
type ModeRequest struct {
	Mode string `json:"mode"`
}

// ScheduleRequest is the body of POST .../schedule (optional).
type ScheduleRequest struct {
	// RetryRecipients also retries recipients deferred by retry-recipients-after.
	RetryRecipients bool `json:"retryRecipients,omitempty"`
}

// Reload answers POST /api/v1/reload.
type Reload struct {
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
	// Restart lists changed settings that take effect only after a restart.
	Restart []string `json:"restart,omitempty"`
}

// Inject is the body of POST /api/v1/inject: one message, its envelope and
// its content (headers and body, CRLF or LF line ends).
type Inject struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	Data string   `json:"data"`
	VMTA string   `json:"vmta,omitempty"`
	Job  string   `json:"job,omitempty"`
}

// ErrTryLater marks an injection refused for now, not for good (the spool
// is short of disk, or spool-max-recipients is reached): HTTP 503, which
// a client retries.
var ErrTryLater = errors.New("try again later")

// Injected answers an injection once the message is durable.
type Injected struct {
	ID         string `json:"id"`
	Recipients int    `json:"recipients"`
}

// Event is a recent deferral or bounce, for the web monitor's error list.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"` // deferred or bounced
	Queue     string    `json:"queue"`
	Recipient string    `json:"recipient"`
	Reply     string    `json:"reply"`
}

// RatePoint is one minute's traffic in recipients (GET /api/v1/rates: the
// last hour).
type RatePoint struct {
	Time      time.Time `json:"time"`
	Received  uint64    `json:"received"`
	Delivered uint64    `json:"delivered"`
	Bounced   uint64    `json:"bounced"`
	Deferred  uint64    `json:"deferred"`
}

// Command is the body of POST /api/v1/commands: a volley CLI command line.
type Command struct {
	Args []string `json:"args"`
}

// CommandOutput answers it with the command's text output.
type CommandOutput struct {
	Output string `json:"output"`
	OK     bool   `json:"ok"`
}

// Resolved answers GET /api/v1/resolve/{domain}: where mail for the
// domain goes, as the delivery path sees it (DNS, with the cache).
type Resolved struct {
	Domain string         `json:"domain"`
	Hosts  []ResolvedHost `json:"hosts"`
	NullMX bool           `json:"nullMx,omitempty"`
	// Implicit: no MX records, the domain's own address is used (RFC 5321 §5.1).
	Implicit bool   `json:"implicit,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Precached is one of the <dns> block's precached domains (GET
// /api/v1/dns/precache, `show precache`) as its last refresh found it.
type Precached struct {
	Domain    string    `json:"domain"`
	Hosts     int       `json:"hosts"`
	Addrs     int       `json:"addrs"`
	Refreshed time.Time `json:"refreshed"`
	Expires   time.Time `json:"expires,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// ResolvedHost is one mail exchanger and its addresses.
type ResolvedHost struct {
	Name  string   `json:"name"`
	Pref  int      `json:"pref"`
	Addrs []string `json:"addrs"`
}

// AccessRule is one http-access line: clients in Prefix get Level (none,
// monitor, operator or admin).
type AccessRule struct {
	Prefix netip.Prefix `json:"prefix"`
	Level  string       `json:"level"`
}

// ListFilter selects queued recipients (GET /listqueue, `volley list`).
type ListFilter struct {
	Queue    string `json:"queue,omitempty"` // domain[/vmta] pattern
	Rcpt     string `json:"rcpt,omitempty"`
	Orig     string `json:"orig,omitempty"`
	JobID    string `json:"jobId,omitempty"`
	EnvID    string `json:"envId,omitempty"`
	MaxItems int    `json:"maxItems,omitempty"` // default 1,000
}

// Recipient is one queued recipient. Orig, JobID and EnvID are empty for
// recipients whose envelope is not in memory (queued cold at start).
type Recipient struct {
	Queue    string     `json:"queue"`
	ID       string     `json:"id"`
	Rcpt     string     `json:"rcpt"`
	Orig     string     `json:"orig,omitempty"`
	JobID    string     `json:"jobId,omitempty"`
	EnvID    string     `json:"envId,omitempty"`
	Attempts uint32     `json:"attempts"`
	Next     *time.Time `json:"next,omitempty"`
}

// DisabledSource is a source address taken out of use for the queues
// Queue matches (`disable source IP QUEUE`; GET /api/v1/sources/disabled).
type DisabledSource struct {
	IP    string    `json:"ip"`
	Queue string    `json:"queue"`
	Since time.Time `json:"since"`
}

// SuppressionList sums one suppression list (GET /api/v1/suppressions):
// "runtime" is the list the API and hard bounces change, the others are
// the config's <address-list> blocks.
type SuppressionList struct {
	Name    string         `json:"name"`
	Entries int            `json:"entries"`
	ByKind  map[string]int `json:"byKind"`
}

// SuppressionEntries is the body of POST and DELETE /api/v1/suppressions:
// entries in list-file form ("user@example.com", "@example.com",
// "@*.example.com", "postmaster@*", or a SHA-256 or MD5 hex digest).
type SuppressionEntries struct {
	Entries []string `json:"entries"`
}

// SuppressionCheck answers GET /api/v1/suppressions/check?address=A.
type SuppressionCheck struct {
	Address    string `json:"address"`
	Suppressed bool   `json:"suppressed"`
	List       string `json:"list,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// SuppressionImport answers POST /api/v1/suppressions/import (a file in
// the body; ?format=list|address|sha256|md5).
type SuppressionImport struct {
	Lines   int      `json:"lines"`
	Entries int      `json:"entries"`
	Added   int      `json:"added"`
	Bad     int      `json:"bad"`
	Errors  []string `json:"errors,omitempty"`
}

// Complaints counts feedback-loop complaints since the start (GET
// /api/v1/complaints) by job, vMTA and the complainer's domain.
type Complaints struct {
	ByJob    map[string]uint64 `json:"byJob"`
	ByVMTA   map[string]uint64 `json:"byVmta"`
	ByDomain map[string]uint64 `json:"byDomain"`
}

// Warmup is a source address warming up to a domain (GET /api/v1/warmup).
type Warmup struct {
	Source   string    `json:"source"`
	Domain   string    `json:"domain"`
	FirstUse time.Time `json:"firstUse"`
	Day      int       `json:"day"`
	// Rate is what the source may send today ("" when warmed up).
	Rate string `json:"rate,omitempty"`
	Done bool   `json:"done"`
}

// Client is one injecting client IP (GET /api/v1/clients): its open
// connections and its use of its <source>'s max-msg-rate.
type Client struct {
	IP          string `json:"ip"`
	Connections int    `json:"connections"`
	MaxSMTPIn   int    `json:"maxSmtpIn,omitempty"`
	MaxMsgRate  string `json:"maxMsgRate,omitempty"`
	// AheadSeconds is how far its message schedule runs ahead of now: at
	// the rate's period it is at its limit (its next message gets 451).
	AheadSeconds float64 `json:"aheadSeconds"`
}
