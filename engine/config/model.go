package config

// The typed model: what a PowerMTA-syntax config means once every value is parsed. A Config
// is built once by Build and never changed afterwards, so a reload builds a new one and
// swaps a pointer; readers never lock.

import (
	"crypto"
	"net/netip"
	"regexp"
	"time"
)

// Config is an immutable snapshot of a whole configuration. Build fills it; nothing may
// change it afterwards, because shards read it without locks while a reload builds the next.
type Config struct {
	// Global holds the top-level directives.
	Global Global
	// Spools lists the <spool DIR> blocks (and the old one-line `spool DIR`) in file order.
	Spools []*Spool
	// VMTAs lists the <virtual-mta> blocks in file order.
	VMTAs []*VirtualMTA
	// Pools lists the <virtual-mta-pool> blocks in file order.
	Pools []*Pool
	// PatternLists lists the <smtp-pattern-list> blocks in file order.
	PatternLists []*SMTPPatternList
	// VMTAPatternLists are the <pattern-list> blocks.
	VMTAPatternLists []*VMTAPatternList
	// Proxies are the <proxy> blocks; DefaultProxies the global use-proxy
	// list, for vMTAs without their own and for mail sent without a vMTA.
	Proxies        []*Proxy
	DefaultProxies []*Proxy
	// SourceGroups are the <source-group> blocks.
	SourceGroups []*SourceGroup
	// RewriteLists are the <rewrite-list> blocks.
	RewriteLists []*RewriteList
	// TransmissionsAPI and TransmissionsListeners are the Transmissions
	// API's keys and HTTPS listeners.
	TransmissionsAPI       TransmissionsAPI
	TransmissionsListeners []TransmissionsListener
	// DNS is the <dns> block (its defaults without one).
	DNS DNS
	// BounceCategories is the <bounce-category-patterns> list, or PowerMTA's built-in list
	// when the config has none; first match wins.
	BounceCategories []BounceCategory
	// BounceCategoriesWritten says the list came from the config's own
	// <bounce-category-patterns> block, not the built-in default.
	BounceCategoriesWritten bool
	// AcctFiles lists the <acct-file> blocks in file order.
	AcctFiles []*AcctFile
	// AddressLists lists the top-level <address-list> blocks in file order.
	AddressLists []*AddressList
	// SMTPUsers lists the <smtp-user> blocks in file order.
	SMTPUsers []*SMTPUser
	// MXRollups is the <mx-rollup-list>, in file order.
	MXRollups []MXRollup
	// BounceProcessor and FeedbackLoopProcessor are nil when the config has no such block.
	BounceProcessor       *Processor
	FeedbackLoopProcessor *Processor
	// DomainMacros maps a domain-macro name to its (fully expanded) list of domains.
	DomainMacros map[string][]string

	vmtaByName    map[string]*VirtualMTA
	poolByName    map[string]*Pool
	patternByName map[string]*SMTPPatternList
	vmtaPatterns  map[string]*VMTAPatternList
	proxyByName   map[string]*Proxy
	groupByName   map[string]*SourceGroup
	rewriteByName map[string]*RewriteList
	aliases       map[string]string // lower-cased SRC -> TARGET
	userByName    map[string]*SMTPUser
	listByName    map[string]*AddressList

	domains domainTables
	sources sourceTables
	// keyLines are the domain-key lines; keys their loaded private keys by
	// file as written (LoadKeys).
	keyLines []keyLine
	keys     map[string]crypto.Signer
	// domainBlocks and sourceBlocks keep the layers as written, for Dump.
	domainBlocks []*layer
	sourceBlocks []*layer
}

// VMTA returns the named virtual MTA, or nil.
func (c *Config) VMTA(name string) *VirtualMTA { return c.vmtaByName[name] }

// HostName is the server's name: the first host-name line, or "localhost"
// without one (greetings, Received, EHLO, DSNs).
func (c *Config) HostName() string {
	if hs := c.Global.HostNames; len(hs) > 0 && hs[0] != "" {
		return hs[0]
	}
	return "localhost"
}

// HasDomainBlock reports whether a <domain> block names domain exactly
// (not through a wildcard): its settings are the operator's for it alone.
func (c *Config) HasDomainBlock(domain string) bool {
	_, ok := c.domains.exactIdx[domain]
	return ok
}

// Pool returns the named virtual-MTA pool, or nil.
func (c *Config) Pool(name string) *Pool { return c.poolByName[name] }

// KnownVMTA reports whether name is a virtual MTA or a pool (they share
// one namespace: X-Virtual-MTA and a pattern-list may name either).
func (c *Config) KnownVMTA(name string) bool {
	return c.vmtaByName[name] != nil || c.poolByName[name] != nil
}

// VMTAPatternList returns the named <pattern-list>, or nil.
func (c *Config) VMTAPatternList(name string) *VMTAPatternList { return c.vmtaPatterns[name] }

// PatternList returns the named <smtp-pattern-list>, or nil.
func (c *Config) PatternList(name string) *SMTPPatternList { return c.patternByName[name] }

// SMTPUser returns the named <smtp-user>, or nil.
func (c *Config) SMTPUser(name string) *SMTPUser { return c.userByName[name] }

// AddressList returns the named top-level <address-list>, or nil.
func (c *Config) AddressList(name string) *AddressList { return c.listByName[name] }

// Global holds the top-level directives. Zero values are replaced by PowerMTA's defaults in
// defaultGlobal, so a field's doc names its default.
type Global struct {
	Postmaster []string // postmaster (repeatable)
	HostNames  []string // host-name (repeatable); the first is used in banner and EHLO
	Listeners  []Listener
	// oldSMTPIP and oldSMTPPort are the deprecated smtp-ip and smtp-port
	// lines, turned into one more listener by Build.
	oldSMTPIP   netip.Addr
	oldSMTPPort int
	oldSMTPPos  Pos
	// UseProxy names the proxies of vMTAs without their own use-proxy.
	UseProxy    []string
	useProxyPos Pos
	// Aliases are the alias lines; aliasPos the line of each.
	Aliases  []Alias
	aliasPos []Pos
	LogFile  string // log-file
	// LogAutoRotation starts a new log file at midnight (log-auto-rotation,
	// default yes), keeping LogRotate old ones (log-rotate, default 8);
	// LogFileWorldReadable makes it 0644 rather than 0640.
	LogAutoRotation      bool
	LogFileWorldReadable bool
	NameServers          []netip.AddrPort // name-server IP[:PORT]; port defaults to 53
	// TotalMaxSMTPOut caps outbound connections (total-max-smtp-out, default 1200).
	TotalMaxSMTPOut int
	// TotalMaxSMTPIn caps inbound connections (total-max-smtp-in, default 100).
	TotalMaxSMTPIn int
	// TLSCertificate and TLSCertificatePassword come from smtp-server-tls-certificate FILE [PASS].
	TLSCertificate         string
	TLSCertificatePassword string
	TLSCAFile              string // smtp-server-tls-ca-file
	TLSCiphers             string // smtp-server-tls-ciphers, default HIGH:!ADH:@STRENGTH
	HTTPMgmtPort           int    // http-mgmt-port, default 8080; 0 disables
	HTTPMgmtListen         netip.AddrPort
	HTTPAccess             []HTTPAccess
	HTTPAPIKeys            []string // http-api-key (repeatable), sent as X-API-Key
	Pickup                 Pickup
	PickupRemoveDot        bool
	DomainKeys             []DomainKey
	RelayDomains           []DomainPattern
	RelayAddresses         []string
	AlwaysAllowRelaying    bool
	SMTPSourceHosts        []SourceHost
	// RelayDebug answers a relaying refusal with 450 4.7.1 instead of 550
	// 5.7.1 (relay-debug).
	RelayDebug bool
	// RunAsRoot is run-as-root, PowerMTA's default yes: volleyd runs as
	// the user that starts it (no is refused: it changes no user).
	RunAsRoot bool
	// SpoolMinFreeSpace is the deprecated top-level spool-min-free-space
	// (PowerMTA: in megabytes), for a <spool> block without min-free-space.
	SpoolMinFreeSpace int64
	// SpoolMaxRecipients refuses new mail past that many queued
	// recipients (spool-max-recipients N; 0 is "auto": no fixed limit).
	SpoolMaxRecipients int
	// SyncMsgCreate and SyncMsgUpdate fsync spool writes (default yes; no trades
	// durability for speed).
	SyncMsgCreate bool
	SyncMsgUpdate bool
	IOEngine      string // io-engine auto|io_uring|epoll (Volley), default auto
	// MXRollupAuto (Volley's mx-rollup-auto, default no) rolls up domains
	// whose MX hosts are the same set, as KumoMTA's sites do.
	MXRollupAuto  bool
	Shards        int           // shards N|auto (Volley); 0 means auto
	StartupRamp   time.Duration // startup-ramp (Volley)
	HostID        int           // host-id
	DomainSuffix  string        // domain-suffix
	CustomDSNFrom string        // custom-dsn-from-header
	SMTPAwaitSlot bool          // smtp-await-slot
	// InvalidVirtualMTAFallback names the vMTA used when a message names one that does not exist.
	InvalidVirtualMTAFallback string
	LogRotate                 int // log-rotate, default 8
	SpoolDeleteCorrupted      bool
}

// Listener is one smtp-listener line.
type Listener struct {
	Addr   netip.AddrPort
	Source string // source=NAME: the named <source> whose rules apply on this listener
	// ImmediateTLS: TLS from the first byte, before the greeting (the
	// block form's immediate-tls; SMTPS on port 465, RFC 8314).
	ImmediateTLS bool
	// TLSCertificate (and TLSPassword) is the block form's tls-certificate:
	// this listener's own, for immediate TLS and STARTTLS, instead of
	// smtp-server-tls-certificate.
	TLSCertificate, TLSPassword string
	Pos                         Pos
}

// blockOnly reports settings only the block form can hold.
func (l *Listener) blockOnly() bool { return l.ImmediateTLS || l.TLSCertificate != "" }

// HTTPAccess is one http-access line; the list is checked in order.
type HTTPAccess struct {
	Prefix netip.Prefix
	Level  string // none, monitor, operator or admin
}

// Pickup is the pickup directory and its bad-mail directory; empty Dir means off.
type Pickup struct {
	Dir, BadDir string
}

// DomainKey is one domain-key SELECTOR,DOMAIN,FILE line; Domain "*" signs for any domain.
type DomainKey struct {
	Selector, Domain, File string
}

// SourceHost is one smtp-source-host IP HOST line: the local IP and its HELO name.
type SourceHost struct {
	IP   netip.Addr
	Host string
}

// Spool is one <spool DIR> block.
type Spool struct {
	Dir               string
	DeleteFileHolders bool
	DeliverOnly       bool
	Priority          int   // 1..100, default 1
	MinFreeSpace      int64 // bytes, default 0
}

// SourceSettings is the inbound policy for a client: defaults, then matching <source CIDR>
// blocks from shortest to longest prefix, then the named source, then {auth}.
type SourceSettings struct {
	SMTPService               bool // default yes
	AlwaysAllowRelaying       bool
	RequireAuth               bool
	AllowAuth                 bool // default yes
	AllowStartTLS             bool
	AllowUnencryptedPlainAuth bool
	RequireStartTLSBeforeAuth bool
	RequireStartTLS           bool
	DefaultVirtualMTA         string
	ProcessXVirtualMTA        bool
	RetainXVirtualMTA         bool
	RejectInvalidVirtualMTA   bool // default yes
	ProcessXJob               bool
	RetainXJob                bool
	JobIDHeader               string
	ProcessXEnvID             bool
	PatternList               string
	MaxMessageSize            int64 // bytes; 0 = unlimited (default)
	MaxMessageHops            int   // default 100
	MaxRcptPerMessage         int   // 0 = unlimited (default)
	AddReceivedHeader         bool  // default yes
	AddMessageIDHeader        bool
	AddDateHeader             string // no (default), yes or override
	DateHeaderTime            string // reception (the only value Volley takes: the Date is written before the commit)
	RemoveHeaders             []string
	// BCC is bcc ADDR: every message from the source also goes to ADDR (an
	// archive), as one more recipient.
	BCC                        string
	SuppressionLists           []string
	LogConnections             bool
	LogCommands                bool
	LogData                    bool
	SMTPDataTimeout            time.Duration // default 10m
	SMTPCommandTimeout         time.Duration // default 10m
	CheckSPFInbound            bool
	CheckDKIMInbound           bool
	CheckIPRevInbound          bool // the client's reverse DNS into Authentication-Results (iprev=)
	AllowChunking              bool // default yes
	AllowSMTPUTF8              bool // default yes
	AcceptInvalidRecipients    bool
	DisconnectOnTransientError bool
	// MaxMsgRate and MaxSMTPIn are Volley's per-client-IP limits; zero means unlimited.
	MaxMsgRate Rate
	// SMTPMaxAuthFailureRate is smtp-max-auth-failure-rate: failed AUTH
	// attempts allowed per client IP (default unlimited).
	SMTPMaxAuthFailureRate Rate
	MaxSMTPIn              int
	// SourceGroup names the <source-group> its connections count in.
	SourceGroup              string
	AcceptProxyProtocol      bool
	LogTLS                   bool
	HideMessageSource        bool
	VERPDefault              bool
	AllowMailmerge           bool
	SuppressLocalDSN         bool
	DSNReturnDefault         string // headers, full or system (default)
	AutoQualifyDomain        bool   // default yes
	TooManyRcptsFailsMessage bool
	JobIDPrefix              string
	AddXVirtualMTAHeader     bool
	AllowEmptyXVirtualMTA    bool
	ProcessXDKIMOptions      bool
}

// VirtualMTA is one <virtual-mta NAME> block. Its nested <domain> blocks are folded into
// the resolution tables and reached through Config.Effective.
type VirtualMTA struct {
	Name           string
	Pos            Pos
	SourceHosts    []SourceHost // smtp-source-host (repeat = round-robin)
	HostName       string
	DomainKeys     []DomainKey
	MaxSMTPOut     int  // all queues of this vMTA; 0 = no vMTA-wide cap
	MaxSMTPMsgRate Rate // zero = unlimited
	// MaxSMTPDataVolumeRate meters the bytes it delivers, all domains.
	MaxSMTPDataVolumeRate VolumeRate
	ColdVirtualMTAs       []string
	IncludeHeadersFrom    string
	RewriteList           string
	UseProxy              []string
	// Rewrite is the <rewrite-list> RewriteList names, or nil.
	Rewrite *RewriteList
	// Proxies are the proxies it sends through, in order (use-proxy, else
	// the global use-proxy); none: it connects itself.
	Proxies []*Proxy
}

// Pool is one <virtual-mta-pool NAME> block; Members are resolved from the virtual-mta lines.
type Pool struct {
	Name           string
	Pos            Pos
	Members        []*VirtualMTA
	DomainKeys     []DomainKey
	MaxSMTPOut     int
	MaxSMTPMsgRate Rate
	// MaxSMTPDataVolumeRate meters the bytes its members deliver together.
	MaxSMTPDataVolumeRate VolumeRate
	ColdVirtualMTAs       []string
	// RewriteList names its members' MAIL FROM rewrites (a member's own
	// list wins); Rewrite is that list, or nil.
	RewriteList string
	Rewrite     *RewriteList
	memberNames []Directive
}

// SourceIPRate is a per-local-IP rate inside a multi-IP vMTA (source-ip-max-*-rate CIDR RATE).
type SourceIPRate struct {
	Prefix netip.Prefix
	Rate   Rate
}

// SourceIPLimit is a per-local-IP connection cap (source-ip-max-smtp-out CIDR N).
type SourceIPLimit struct {
	Prefix netip.Prefix
	N      int
}

// Mode is a queue's delivery mode switch requested by an smtp-pattern-list reply rule.
type Mode uint8

const (
	ModeUnchanged Mode = iota
	ModeBackoff
	ModeNormal
	modeCount
)

// String returns the name used in the config ("" for unchanged).
func (m Mode) String() string {
	switch m {
	case ModeBackoff:
		return "backoff"
	case ModeNormal:
		return "normal"
	}
	return ""
}

// ReplyAction is the parsed ACTION list of one `reply /RE/ ACTION[,ACTION]` line.
type ReplyAction struct {
	Mode            Mode
	SkipMX          bool
	BounceQueue     bool
	BounceRcpt      bool
	DeferQueue      bool
	DisableSourceIP bool
	// ReenableAfter is reenable-after=INT; zero means the domain's reenable-source-ip-after.
	ReenableAfter time.Duration
}

// ReplyRule is one reply line; rules are tried in order and the first match wins.
type ReplyRule struct {
	Regexp *regexp.Regexp
	Action ReplyAction
	Pos    Pos
	text   string
}

// SMTPPatternList is one <smtp-pattern-list NAME> block.
type SMTPPatternList struct {
	Name  string
	Pos   Pos
	Rules []ReplyRule
}

// Match returns the action of the first rule matching the reply text.
func (l *SMTPPatternList) Match(reply string) (ReplyAction, bool) {
	for i := range l.Rules {
		if l.Rules[i].Regexp.MatchString(reply) {
			return l.Rules[i].Action, true
		}
	}
	return ReplyAction{}, false
}

// BounceCategory is one `/RE/ category` line of <bounce-category-patterns>.
type BounceCategory struct {
	Regexp   *regexp.Regexp
	Category string
	text     string
}

// BounceCategoryFor returns the category of the first pattern matching text, or "other".
func (c *Config) BounceCategoryFor(text string) string {
	for i := range c.BounceCategories {
		if c.BounceCategories[i].Regexp.MatchString(text) {
			return c.BounceCategories[i].Category
		}
	}
	return "other"
}

// AcctFile is one <acct-file PATH> block.
type AcctFile struct {
	Path          string
	Records       []string            // short record types; default d,b
	RecordFields  map[string][]string // record type -> field list; absent = all fields
	MoveInterval  time.Duration       // default 1d
	MoveTo        string
	MaxSize       int64         // default 250M
	DeleteAfter   time.Duration // default 8d; 0 = never
	ISOTimes      bool          // default yes
	PrivacyPolicy string        // retain (default), redact, siphash ...
	UserString    string
}

// AddressList is one <address-list NAME> block.
type AddressList struct {
	Name         string
	Addresses    []string
	Patterns     []*regexp.Regexp
	AddressFiles []string
	Domains      []string
	HashedFiles  []HashedFile
}

// HashedFile is Volley's hashed-address-file FILE [sha256|md5].
type HashedFile struct {
	File, Algorithm string
}

// SMTPUser is one <smtp-user NAME> block.
type SMTPUser struct {
	Name     string
	Password string // plain text, or a bcrypt/argon2 hash
	Source   string // the named <source> whose rules apply after AUTH
	Pos      Pos
}

// MXRollup is one `mx PATTERN NAME.rollup [rollup-by-ip]` line.
type MXRollup struct {
	MX    DomainPattern
	Queue string
	ByIP  bool
}

// Processor is a <bounce-processor> or <feedback-loop-processor> block.
type Processor struct {
	AddressLists          []*AddressList
	DeliverUnmatchedEmail bool // default yes
	DeliverMatchedEmail   bool
	ForwardUnmatchedTo    string
	ForwardErrorsTo       string
}

// DomainSettings is the resolved settings of one queue (domain, vMTA): PowerMTA's built-in
// defaults overlaid with every matching <domain> block from general to specific. Values are
// shared between queues and must not be modified.
type DomainSettings struct {
	MaxSMTPOut             int // max-smtp-out, default 20
	BackoffMaxSMTPOut      int // backoff-max-smtp-out, default 20
	MaxMsgPerConnection    int // 0 = unlimited (default)
	MaxRcptPerMessage      int // max-rcpt-per-message / max-rcpt-per-transaction, default 1000; 0 = unlimited
	MaxErrorsPerConnection int // 0 = unlimited (default)
	MaxMsgRate             Rate
	// BackoffMaxMsgRate equals MaxMsgRate unless backoff-max-msg-rate is set.
	BackoffMaxMsgRate      Rate
	MaxConnectRate         Rate
	BackoffMaxConnectRate  Rate
	SourceIPMaxMsgRate     []SourceIPRate
	SourceIPMaxSMTPOut     []SourceIPLimit
	SourceIPMaxConnectRate []SourceIPRate
	// MaxDataVolumeRate meters the bytes of delivered messages;
	// BackoffMaxDataVolumeRate equals it unless backoff-max-data-volume-rate is set.
	MaxDataVolumeRate             VolumeRate
	BackoffMaxDataVolumeRate      VolumeRate
	SourceIPMaxDataVolumeRate     []SourceIPVolumeRate
	QueuePriority                 int // 0..100, default 50
	QueueTo                       string
	DisableMXRollup               bool
	RetryAfter                    []time.Duration // default 10m; the last dirEntry repeats
	BackoffRetryAfter             []time.Duration // default 1h
	RetryRecipientsAfter          time.Duration   // default 10m
	BounceAfter                   time.Duration   // default 4d12h
	NotifyOfDelayEvery            time.Duration   // default 4h; 0 = never
	BackoffToNormalAfter          time.Duration   // 0 = never (default)
	BackoffToNormalAfterDelivery  bool
	BackoffNotify                 []string
	BackoffUponAllSourcesDisabled bool
	ReenableSourceIPAfter         time.Duration // 0 = never (default)
	RerouteToVirtualMTA           string
	BackoffRerouteToVirtualMTA    string
	RetryUponNewMail              bool
	SMTPPatternList               string
	// SMTPHosts is smtp-hosts (or old route): levels separated by ';', hosts in a level by ','.
	SMTPHosts                  [][]string
	DefaultSMTPPort            int           // default 25
	ConnectTimeout             time.Duration // default 2m
	SMTPGreetingTimeout        time.Duration // default 5m
	DataSendTimeout            time.Duration // default 3m
	SMTPDataTerminationTimeout time.Duration // default 10m
	ConnectionIdleTimeout      time.Duration
	SMTPOutRampupInterval      time.Duration
	BounceUponNoMX             bool
	BounceUpon5xxGreeting      bool // default yes
	SMTP421MeansMXUnavailable  bool
	SMTP553MeansInvalidMailbox bool // default yes
	UseStartTLS                bool // default yes
	RequireStartTLS            bool
	UseDANE                    bool // default yes
	ReuseSSLSession            bool
	// DKIM is the dkim-* lines: the signature Volley adds (PowerMTA
	// §3.3.10.19-30); SecondDKIM the second-dkim-* lines, a second
	// signature for another identity (§10.6.4), as an ESP signs its own
	// domain beside its customer's.
	DKIM, SecondDKIM                         DKIMOptions
	DSNFormat                                string // standard (default) or plain-text
	MaxColdVirtualMTAMsg                     Rate   // default 0/d
	Type                                     string // smtp (default) or discard
	DisableAcctRecords                       []string
	IgnoreChunking                           bool
	IgnorePipelining                         bool
	Ignore8BitMIME                           bool
	IgnoreDSN                                bool
	AuthUsername                             string
	AuthPassword                             string
	BCCUponDelivery                          string
	LogConnections                           bool
	LogCommands                              bool
	LogData                                  bool
	LogResolution                            bool
	LogTransferFailures                      bool
	LogTLS                                   bool
	RetryAfterDNSError                       time.Duration // default 1m
	DisabledSourceIPNotify                   []string
	LogDisabledIPs                           bool
	AssumeDeliveryUponDataTerminationTimeout bool
	AllowCancelDuringTransfer                bool // default yes
	BounceUponTransferFailure                bool
	ReplaceSMTP421ServiceResponse            bool
	UseUnencryptedPlainAuth                  bool
	CheckSPFOutbound                         bool
	TrackRecipientEvents                     bool
	MaxEventsRecorded                        int // default 10
	SMTPTLSCAFile                            string
	SMTPTLSCiphers                           string // default HIGH:!ADH:@STRENGTH
	// DKSign is the legacy DomainKeys dk-sign; accepted so old configs load, not acted on.
	DKSign  bool
	Warmup  time.Duration // Volley: ramp a new source IP up to these limits
	ARCSeal bool          // Volley

	backoffMsgRateSet    bool
	backoffVolumeRateSet bool
}

// DKIMOptions say whether and how one DKIM signature is made.
type DKIMOptions struct {
	Sign         string   // no (default), yes, if-x-dkim-options-present
	Algorithm    string   // rsa-sha256 (default) or rsa-sha1 (signed as rsa-sha256: RFC 8301)
	Headers      []string // h=; nil: the signer's default list
	BodyCanon    string   // relaxed (default) or simple
	HeadersCanon string   // relaxed (default) or simple
	// Identity is whose domain signs: sender-or-from (default), from,
	// sender, or a fixed address (i= is then that address) or domain.
	Identity string
	// IdentityFallback signs for this address or domain when no domain-key
	// fits Identity.
	IdentityFallback string
	ExpireAfter      time.Duration // x= is the signing time plus this; 0 (never): no x=
	// DisallowAddingHeaders are signed once more than present, so that
	// adding one breaks the signature; nil: From and Subject.
	DisallowAddingHeaders []string
	AddTimestamp          bool   // t=; always yes (the signer writes it)
	AddBodyLimit          bool   // l=; always no (RFC 6376 §8.2)
	QueryMethod           string // q=; dns/txt, the only one defined
}
