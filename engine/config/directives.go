package config

// The directive table: every directive Volley understands, the blocks it may appear in, and
// how its value is parsed and printed. One table (rather than a switch per block) lets Build
// say where a misplaced directive belongs and lets Dump print every field in a fixed order.

import (
	"net/netip"
	"strings"
	"time"
)

// blockSet is a set of block kinds, used to say where a directive is allowed.
type blockSet uint32

const (
	bGlobal blockSet = 1 << iota
	bSpool
	bSource
	bUser
	bVMTA
	bPool
	bDomain
	bPatterns // <smtp-pattern-list>
	bAcct
	bAddrList
	bProc
	bRollup
	bProxy
	bListener
	bSourceGroup
	bTransAPI
	bTransListener
	bDNS
	blockKindCount = iota
)

// blockKindNames maps each bit of blockSet to its name in messages, in bit order.
var blockKindNames = [blockKindCount]string{
	"the top level", "<spool>", "<source>", "<smtp-user>", "<virtual-mta>", "<virtual-mta-pool>",
	"<domain>", "<smtp-pattern-list>", "<acct-file>", "<address-list>",
	"<bounce-processor>", "<mx-rollup-list>", "<proxy>", "<smtp-listener>", "<source-group>",
	"<transmissions-api>", "<transmissions-api-listener>", "<dns>",
}

// String lists the block kinds, e.g. "<domain>, <virtual-mta>".
func (s blockSet) String() string {
	var out []string
	for i, n := range blockKindNames {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// target points at the objects the block being built fills; only the ones for the current
// block kind are set.
type target struct {
	g        *Global
	sp       *Spool
	src      *SourceSettings
	user     *SMTPUser
	vm       *VirtualMTA
	pool     *Pool
	dom      *DomainSettings
	acct     *AcctFile
	al       *AddressList
	proc     *Processor
	proxy    *Proxy
	listener *Listener
	group    *SourceGroup
	ta       *TransmissionsAPI
	tl       *TransmissionsListener
	dns      *DNS
}

// dirEntry is one row of the directive table. A name may have several rows when different
// blocks store it in different structs (max-smtp-out in <domain> and <virtual-mta>).
type dirEntry struct {
	name   string
	blocks blockSet
	// repeat means each line adds a value rather than replacing the previous one.
	repeat bool
	set    func(t *target, v string) error
	get    func(t *target) []string
}

type access struct {
	repeat bool
	set    func(t *target, v string) error
	get    func(t *target) []string
}

// fld builds the accessors of a single-valued field of the struct obj picks from a target.
func fld[S, T any](obj func(*target) *S, c codec[T], f func(*S) *T) access {
	return access{
		set: func(t *target, v string) error {
			x, err := c.parse(v)
			if err == nil {
				*f(obj(t)) = x
			}
			return err
		},
		get: func(t *target) []string { return []string{c.format(*f(obj(t)))} },
	}
}

// many builds the accessors of a repeatable directive: each line appends one value. The
// append copies, so layers that share a slice never see each other's additions.
func many[S, T any](obj func(*target) *S, c codec[T], f func(*S) *[]T) access {
	return access{
		repeat: true,
		set: func(t *target, v string) error {
			x, err := c.parse(v)
			if err == nil {
				p := f(obj(t))
				*p = append((*p)[:len(*p):len(*p)], x)
			}
			return err
		},
		get: func(t *target) []string {
			var out []string
			for _, x := range *f(obj(t)) {
				out = append(out, c.format(x))
			}
			return out
		},
	}
}

func onG(t *target) *Global            { return t.g }
func onSpool(t *target) *Spool         { return t.sp }
func onSrc(t *target) *SourceSettings  { return t.src }
func onUser(t *target) *SMTPUser       { return t.user }
func onVM(t *target) *VirtualMTA       { return t.vm }
func onPool(t *target) *Pool           { return t.pool }
func onDom(t *target) *DomainSettings  { return t.dom }
func onAcct(t *target) *AcctFile       { return t.acct }
func onList(t *target) *AddressList    { return t.al }
func onProc(t *target) *Processor      { return t.proc }
func onProxy(t *target) *Proxy         { return t.proxy }
func onListener(t *target) *Listener   { return t.listener }
func onGroup(t *target) *SourceGroup   { return t.group }
func onTA(t *target) *TransmissionsAPI { return t.ta }
func onDNS(t *target) *DNS             { return t.dns }
func row(name string, b blockSet, a access) dirEntry {
	return dirEntry{name: name, blocks: b, repeat: a.repeat, set: a.set, get: a.get}
}

// directiveTable returns every directive. The order is the order of Dump output.
func directiveTable() []dirEntry {
	t := globalDirectives()
	t = append(t, sourceDirectives()...)
	t = append(t, vmtaDirectives()...)
	t = append(t, domainDirectives()...)
	return append(t, otherDirectives()...)
}

func globalDirectives() []dirEntry {
	type G = Global
	return []dirEntry{
		row("relay-debug", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.RelayDebug })),
		row("run-as-root", bGlobal, fld(onG, cRunAsRoot, func(g *G) *bool { return &g.RunAsRoot })),
		row("postmaster", bGlobal, many(onG, cString, func(g *G) *[]string { return &g.Postmaster })),
		row("host-name", bGlobal, many(onG, cString, func(g *G) *[]string { return &g.HostNames })),
		// The one-line form; listeners with block-only settings are dumped as blocks.
		row("smtp-listener", bGlobal, access{repeat: true,
			set: many(onG, cListener, func(g *G) *[]Listener { return &g.Listeners }).set,
			get: func(t *target) []string {
				var out []string
				for _, l := range t.g.Listeners {
					if !l.blockOnly() {
						out = append(out, cListener.format(l))
					}
				}
				return out
			}}),
		// <smtp-listener IP:PORT> block directives.
		row("source", bListener, fld(onListener, cString, func(l *Listener) *string { return &l.Source })),
		row("immediate-tls", bListener, fld(onListener, cBool, func(l *Listener) *bool { return &l.ImmediateTLS })),
		row("tls-certificate", bListener, access{set: func(t *target, v string) error {
			return setCertLine(v, &t.listener.TLSCertificate, &t.listener.TLSPassword)
		}, get: func(t *target) []string { return certLine(t.listener.TLSCertificate, t.listener.TLSPassword) }}),
		row("await-slot", bListener, access{set: func(_ *target, v string) error { _, err := cAwaitSlot.parse(v); return err }}),
		// Deprecated (reference §2.2): set, never dumped; Build makes them a listener.
		row("smtp-ip", bGlobal, access{set: fld(onG, cIP, func(g *G) *netip.Addr { return &g.oldSMTPIP }).set}),
		row("smtp-port", bGlobal, access{set: fld(onG, cPort, func(g *G) *int { return &g.oldSMTPPort }).set}),
		row("log-file", bGlobal, fld(onG, cString, func(g *G) *string { return &g.LogFile })),
		row("name-server", bGlobal, many(onG, cNameServer, func(g *G) *[]netip.AddrPort { return &g.NameServers })),
		row("total-max-smtp-out", bGlobal, fld(onG, cInt, func(g *G) *int { return &g.TotalMaxSMTPOut })),
		row("total-max-smtp-in", bGlobal, fld(onG, cInt, func(g *G) *int { return &g.TotalMaxSMTPIn })),
		row("smtp-server-tls-certificate", bGlobal, access{set: setTLSCert, get: getTLSCert}),
		row("smtp-server-tls-ca-file", bGlobal, fld(onG, cString, func(g *G) *string { return &g.TLSCAFile })),
		row("smtp-server-tls-ciphers", bGlobal, fld(onG, cString, func(g *G) *string { return &g.TLSCiphers })),
		row("http-mgmt-port", bGlobal, fld(onG, cPort, func(g *G) *int { return &g.HTTPMgmtPort })),
		row("http-mgmt-listen", bGlobal, fld(onG, cAddrPort, func(g *G) *netip.AddrPort { return &g.HTTPMgmtListen })),
		row("http-access", bGlobal, many(onG, cHTTPAccess, func(g *G) *[]HTTPAccess { return &g.HTTPAccess })),
		row("http-api-key", bGlobal, many(onG, cAPIKey, func(g *G) *[]string { return &g.HTTPAPIKeys })),
		row("pickup", bGlobal, fld(onG, cPickup, func(g *G) *Pickup { return &g.Pickup })),
		row("pickup-remove-dot", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.PickupRemoveDot })),
		row("domain-key", bGlobal, many(onG, cDomainKey, func(g *G) *[]DomainKey { return &g.DomainKeys })),
		row("relay-domain", bGlobal, many(onG, cDomainPattern, func(g *G) *[]DomainPattern { return &g.RelayDomains })),
		row("relay-address", bGlobal, many(onG, cString, func(g *G) *[]string { return &g.RelayAddresses })),
		row("always-allow-relaying", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.AlwaysAllowRelaying })),
		row("smtp-source-host", bGlobal, many(onG, cSourceHost, func(g *G) *[]SourceHost { return &g.SMTPSourceHosts })),
		row("use-proxy", bGlobal, fld(onG, cList, func(g *G) *[]string { return &g.UseProxy })),
		row("alias", bGlobal, many(onG, cAlias, func(g *G) *[]Alias { return &g.Aliases })),
		// <proxy NAME> block directives.
		row("server", bProxy, fld(onProxy, cServerAddr, func(p *Proxy) *netip.AddrPort { return &p.Server })),
		row("client", bProxy, many(onProxy, cProxyClient, func(p *Proxy) *[]ProxyClient { return &p.Clients })),
		// Deprecated (reference §2.2): set, never dumped; <spool> min-free-space is the form.
		row("spool-min-free-space", bGlobal, access{set: fld(onG, cMegabytes, func(g *G) *int64 { return &g.SpoolMinFreeSpace }).set}),
		row("spool-max-recipients", bGlobal, fld(onG, cAutoCount, func(g *G) *int { return &g.SpoolMaxRecipients })),
		row("sync-msg-create", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.SyncMsgCreate })),
		row("sync-msg-update", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.SyncMsgUpdate })),
		row("mx-rollup-auto", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.MXRollupAuto })),
		row("io-engine", bGlobal, fld(onG, cEnum("auto", "io_uring", "epoll"), func(g *G) *string { return &g.IOEngine })),
		row("shards", bGlobal, fld(onG, cShards, func(g *G) *int { return &g.Shards })),
		row("startup-ramp", bGlobal, fld(onG, cInterval, func(g *G) *time.Duration { return &g.StartupRamp })),
		row("host-id", bGlobal, fld(onG, cInt, func(g *G) *int { return &g.HostID })),
		row("domain-suffix", bGlobal, fld(onG, cString, func(g *G) *string { return &g.DomainSuffix })),
		row("custom-dsn-from-header", bGlobal, fld(onG, cString, func(g *G) *string { return &g.CustomDSNFrom })),
		row("smtp-await-slot", bGlobal, fld(onG, cAwaitSlot, func(g *G) *bool { return &g.SMTPAwaitSlot })),
		row("invalid-virtual-mta-fallback", bGlobal, fld(onG, cString, func(g *G) *string { return &g.InvalidVirtualMTAFallback })),
		row("log-rotate", bGlobal, fld(onG, cInt, func(g *G) *int { return &g.LogRotate })),
		row("log-auto-rotation", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.LogAutoRotation })),
		row("log-file-world-readable", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.LogFileWorldReadable })),
		row("spool-delete-corrupted", bGlobal, fld(onG, cBool, func(g *G) *bool { return &g.SpoolDeleteCorrupted })),
		// <spool DIR> block directives.
		row("delete-file-holders", bSpool, fld(onSpool, cBool, func(s *Spool) *bool { return &s.DeleteFileHolders })),
		row("deliver-only", bSpool, fld(onSpool, cBool, func(s *Spool) *bool { return &s.DeliverOnly })),
		row("priority", bSpool, fld(onSpool, cPriority, func(s *Spool) *int { return &s.Priority })),
		row("min-free-space", bSpool, fld(onSpool, cSize, func(s *Spool) *int64 { return &s.MinFreeSpace })),
	}
}

func sourceDirectives() []dirEntry {
	type S = SourceSettings
	b := func(name string, f func(*S) *bool) dirEntry { return row(name, bSource, fld(onSrc, cBool, f)) }
	return []dirEntry{
		b("smtp-service", func(s *S) *bool { return &s.SMTPService }),
		b("always-allow-relaying", func(s *S) *bool { return &s.AlwaysAllowRelaying }),
		b("require-auth", func(s *S) *bool { return &s.RequireAuth }),
		b("allow-auth", func(s *S) *bool { return &s.AllowAuth }),
		b("allow-starttls", func(s *S) *bool { return &s.AllowStartTLS }),
		b("allow-unencrypted-plain-auth", func(s *S) *bool { return &s.AllowUnencryptedPlainAuth }),
		b("require-starttls-before-auth", func(s *S) *bool { return &s.RequireStartTLSBeforeAuth }),
		b("require-starttls", func(s *S) *bool { return &s.RequireStartTLS }),
		row("default-virtual-mta", bSource, fld(onSrc, cString, func(s *S) *string { return &s.DefaultVirtualMTA })),
		b("process-x-virtual-mta", func(s *S) *bool { return &s.ProcessXVirtualMTA }),
		b("retain-x-virtual-mta", func(s *S) *bool { return &s.RetainXVirtualMTA }),
		b("reject-invalid-virtual-mta", func(s *S) *bool { return &s.RejectInvalidVirtualMTA }),
		b("process-x-job", func(s *S) *bool { return &s.ProcessXJob }),
		b("retain-x-job", func(s *S) *bool { return &s.RetainXJob }),
		row("jobid-header", bSource, fld(onSrc, cString, func(s *S) *string { return &s.JobIDHeader })),
		b("process-x-envid", func(s *S) *bool { return &s.ProcessXEnvID }),
		row("pattern-list", bSource, fld(onSrc, cString, func(s *S) *string { return &s.PatternList })),
		row("max-message-size", bSource, fld(onSrc, cSizeUnlimited, func(s *S) *int64 { return &s.MaxMessageSize })),
		row("max-message-hops", bSource, fld(onSrc, cInt, func(s *S) *int { return &s.MaxMessageHops })),
		row("max-rcpt-per-message", bSource, fld(onSrc, cInt, func(s *S) *int { return &s.MaxRcptPerMessage })),
		b("add-received-header", func(s *S) *bool { return &s.AddReceivedHeader }),
		b("add-message-id-header", func(s *S) *bool { return &s.AddMessageIDHeader }),
		row("add-date-header", bSource, fld(onSrc, cAddDate, func(s *S) *string { return &s.AddDateHeader })),
		row("date-header-time", bSource, fld(onSrc, cDateHeaderTime, func(s *S) *string { return &s.DateHeaderTime })),
		row("remove-header", bSource, fld(onSrc, cList, func(s *S) *[]string { return &s.RemoveHeaders })),
		row("bcc", bSource, fld(onSrc, cAddress, func(s *S) *string { return &s.BCC })),
		row("suppression-lists", bSource, fld(onSrc, cList, func(s *S) *[]string { return &s.SuppressionLists })),
		b("log-connections", func(s *S) *bool { return &s.LogConnections }),
		b("log-commands", func(s *S) *bool { return &s.LogCommands }),
		b("log-data", func(s *S) *bool { return &s.LogData }),
		row("smtp-data-timeout", bSource, fld(onSrc, cInterval, func(s *S) *time.Duration { return &s.SMTPDataTimeout })),
		row("smtp-command-timeout", bSource, fld(onSrc, cInterval, func(s *S) *time.Duration { return &s.SMTPCommandTimeout })),
		b("check-spf-inbound", func(s *S) *bool { return &s.CheckSPFInbound }),
		b("check-dkim-inbound", func(s *S) *bool { return &s.CheckDKIMInbound }),
		b("check-iprev-inbound", func(s *S) *bool { return &s.CheckIPRevInbound }),
		b("allow-chunking", func(s *S) *bool { return &s.AllowChunking }),
		b("allow-smtputf8", func(s *S) *bool { return &s.AllowSMTPUTF8 }),
		b("accept-invalid-recipients", func(s *S) *bool { return &s.AcceptInvalidRecipients }),
		b("disconnect-on-transient-error", func(s *S) *bool { return &s.DisconnectOnTransientError }),
		row("max-msg-rate", bSource, fld(onSrc, cRate, func(s *S) *Rate { return &s.MaxMsgRate })),
		row("smtp-max-auth-failure-rate", bSource, fld(onSrc, cRate, func(s *S) *Rate { return &s.SMTPMaxAuthFailureRate })),
		row("max-smtp-in", bSource, fld(onSrc, cInt, func(s *S) *int { return &s.MaxSMTPIn })),
		row("max-connections", bSource, fld(onSrc, cInt, func(s *S) *int { return &s.MaxSMTPIn })),
		row("source-group", bSource, fld(onSrc, cString, func(s *S) *string { return &s.SourceGroup })),
		// <transmissions-api> and <transmissions-api-listener IP:PORT> block directives.
		row("api-key", bTransAPI, many(onTA, cAPIKey, func(a *TransmissionsAPI) *[]string { return &a.APIKeys })),
		row("log-requests", bTransAPI, fld(onTA, cBool, func(a *TransmissionsAPI) *bool { return &a.LogRequests })),
		row("log-data", bTransAPI, access{set: func(_ *target, v string) error { _, err := cLogRefusingYes.parse(v); return err }}),
		row("log-tls", bTransAPI, access{set: func(_ *target, v string) error { _, err := cLogRefusingYes.parse(v); return err }}),
		row("tls-certificate", bTransListener, access{set: setListenerCert, get: getListenerCert}),
		// <dns> block directives.
		row("precached-domains-file", bDNS, fld(onDNS, cString, func(d *DNS) *string { return &d.PrecachedDomainsFile })),
		row("precached-max-domains", bDNS, fld(onDNS, cInt, func(d *DNS) *int { return &d.PrecachedMaxDomains })),
		row("precached-refresh-interval", bDNS, fld(onDNS, cInterval, func(d *DNS) *time.Duration { return &d.PrecachedRefreshInterval })),
		// <source-group NAME> block directives.
		row("max-smtp-in", bSourceGroup, fld(onGroup, cInt, func(g *SourceGroup) *int { return &g.MaxSMTPIn })),
		row("reserved-smtp-in", bSourceGroup, fld(onGroup, cInt, func(g *SourceGroup) *int { return &g.ReservedSMTPIn })),
		b("accept-proxy-protocol", func(s *S) *bool { return &s.AcceptProxyProtocol }),
		b("log-tls", func(s *S) *bool { return &s.LogTLS }),
		b("hide-message-source", func(s *S) *bool { return &s.HideMessageSource }),
		b("verp-default", func(s *S) *bool { return &s.VERPDefault }),
		b("allow-mailmerge", func(s *S) *bool { return &s.AllowMailmerge }),
		b("suppress-local-dsn", func(s *S) *bool { return &s.SuppressLocalDSN }),
		row("dsn-return-default", bSource, fld(onSrc, cEnum("headers", "full", "system"), func(s *S) *string { return &s.DSNReturnDefault })),
		b("auto-qualify-domain", func(s *S) *bool { return &s.AutoQualifyDomain }),
		b("too-many-rcpts-fails-message", func(s *S) *bool { return &s.TooManyRcptsFailsMessage }),
		row("jobid-prefix", bSource, fld(onSrc, cString, func(s *S) *string { return &s.JobIDPrefix })),
		b("add-x-virtual-mta-header", func(s *S) *bool { return &s.AddXVirtualMTAHeader }),
		b("allow-empty-x-virtual-mta", func(s *S) *bool { return &s.AllowEmptyXVirtualMTA }),
		b("process-x-dkim-options", func(s *S) *bool { return &s.ProcessXDKIMOptions }),
		// <smtp-user NAME> directives.
		row("password", bUser, fld(onUser, cString, func(u *SMTPUser) *string { return &u.Password })),
		row("source", bUser, fld(onUser, cString, func(u *SMTPUser) *string { return &u.Source })),
	}
}

func vmtaDirectives() []dirEntry {
	type V = VirtualMTA
	type P = Pool
	return []dirEntry{
		row("smtp-source-host", bVMTA, many(onVM, cSourceHost, func(v *V) *[]SourceHost { return &v.SourceHosts })),
		row("host-name", bVMTA, fld(onVM, cString, func(v *V) *string { return &v.HostName })),
		row("domain-key", bVMTA, many(onVM, cDomainKey, func(v *V) *[]DomainKey { return &v.DomainKeys })),
		row("max-smtp-out", bVMTA, fld(onVM, cInt, func(v *V) *int { return &v.MaxSMTPOut })),
		row("max-smtp-msg-rate", bVMTA, fld(onVM, cRate, func(v *V) *Rate { return &v.MaxSMTPMsgRate })),
		row("max-smtp-data-volume-rate", bVMTA, fld(onVM, cVolumeRate, func(v *V) *VolumeRate { return &v.MaxSMTPDataVolumeRate })),
		row("cold-virtual-mta", bVMTA, many(onVM, cString, func(v *V) *[]string { return &v.ColdVirtualMTAs })),
		row("include-headers-from", bVMTA, fld(onVM, cNotBuilt("Volley does not add a file's header fields to a vMTA's mail"), func(v *V) *string { return &v.IncludeHeadersFrom })),
		row("rewrite-list", bVMTA, fld(onVM, cString, func(v *V) *string { return &v.RewriteList })),
		row("use-proxy", bVMTA, fld(onVM, cList, func(v *V) *[]string { return &v.UseProxy })),
		row("virtual-mta", bPool, access{repeat: true, set: setPoolMember, get: getPoolMembers}),
		row("domain-key", bPool, many(onPool, cDomainKey, func(p *P) *[]DomainKey { return &p.DomainKeys })),
		row("max-smtp-out", bPool, fld(onPool, cInt, func(p *P) *int { return &p.MaxSMTPOut })),
		row("max-smtp-msg-rate", bPool, fld(onPool, cRate, func(p *P) *Rate { return &p.MaxSMTPMsgRate })),
		row("max-smtp-data-volume-rate", bPool, fld(onPool, cVolumeRate, func(p *P) *VolumeRate { return &p.MaxSMTPDataVolumeRate })),
		row("cold-virtual-mta", bPool, many(onPool, cString, func(p *P) *[]string { return &p.ColdVirtualMTAs })),
		row("rewrite-list", bPool, fld(onPool, cString, func(p *P) *string { return &p.RewriteList })),
	}
}

// setPoolMember records a member name; Build resolves it once every vMTA is known.
func setPoolMember(t *target, v string) error {
	if v == "" || strings.ContainsAny(v, " \t,") {
		return errExpected("one virtual-mta name", v)
	}
	t.pool.memberNames = append(t.pool.memberNames, Directive{Name: "virtual-mta", Value: v})
	return nil
}

func getPoolMembers(t *target) []string {
	var out []string
	for _, d := range t.pool.memberNames {
		out = append(out, d.Value)
	}
	return out
}

func otherDirectives() []dirEntry {
	type A = AcctFile
	type L = AddressList
	return []dirEntry{
		row("records", bAcct, fld(onAcct, cRecords, func(a *A) *[]string { return &a.Records })),
		row("record-fields", bAcct, access{repeat: true, set: setRecordFields, get: getRecordFields}),
		row("move-interval", bAcct, fld(onAcct, cInterval, func(a *A) *time.Duration { return &a.MoveInterval })),
		row("move-to", bAcct, fld(onAcct, cString, func(a *A) *string { return &a.MoveTo })),
		row("max-size", bAcct, fld(onAcct, cSize, func(a *A) *int64 { return &a.MaxSize })),
		row("delete-after", bAcct, fld(onAcct, cIntervalNever, func(a *A) *time.Duration { return &a.DeleteAfter })),
		row("iso-times", bAcct, fld(onAcct, cBool, func(a *A) *bool { return &a.ISOTimes })),
		row("privacy-policy", bAcct, fld(onAcct, cString, func(a *A) *string { return &a.PrivacyPolicy })),
		row("user-string", bAcct, fld(onAcct, cString, func(a *A) *string { return &a.UserString })),
		row("address", bAddrList, access{repeat: true, set: setAddress, get: getAddresses}),
		row("address-file", bAddrList, many(onList, cString, func(l *L) *[]string { return &l.AddressFiles })),
		row("domain", bAddrList, many(onList, cString, func(l *L) *[]string { return &l.Domains })),
		row("hashed-address-file", bAddrList, many(onList, cHashedFile, func(l *L) *[]HashedFile { return &l.HashedFiles })),
		row("deliver-unmatched-email", bProc, fld(onProc, cBool, func(p *Processor) *bool { return &p.DeliverUnmatchedEmail })),
		row("deliver-matched-email", bProc, fld(onProc, cBool, func(p *Processor) *bool { return &p.DeliverMatchedEmail })),
		row("forward-unmatched-to", bProc, fld(onProc, cString, func(p *Processor) *string { return &p.ForwardUnmatchedTo })),
		row("forward-errors-to", bProc, fld(onProc, cString, func(p *Processor) *string { return &p.ForwardErrorsTo })),
		// Lines of <smtp-pattern-list> and <mx-rollup-list> are parsed by Build itself; these
		// rows only make the names known for the wrong-block message.
		{name: "reply", blocks: bPatterns},
		{name: "mx", blocks: bRollup},
	}
}

// The dInt ... dEnum helpers build one <domain> row of a given value kind.
func dInt(name string, f func(*DomainSettings) *int) dirEntry {
	return row(name, bDomain, fld(onDom, cInt, f))
}
func dBool(name string, f func(*DomainSettings) *bool) dirEntry {
	return row(name, bDomain, fld(onDom, cBool, f))
}
func dRate(name string, f func(*DomainSettings) *Rate) dirEntry {
	return row(name, bDomain, fld(onDom, cRate, f))
}
func dDur(name string, f func(*DomainSettings) *time.Duration) dirEntry {
	return row(name, bDomain, fld(onDom, cInterval, f))
}
func dStr(name string, f func(*DomainSettings) *string) dirEntry {
	return row(name, bDomain, fld(onDom, cString, f))
}
func dEnum(name string, c codec[string], f func(*DomainSettings) *string) dirEntry {
	return row(name, bDomain, fld(onDom, c, f))
}

func domainDirectives() []dirEntry {
	t := append(domainShapingDirectives(), domainProtocolDirectives()...)
	t = append(t, dkimDirectives("dkim-", func(d *DomainSettings) *DKIMOptions { return &d.DKIM })...)
	return append(t, dkimDirectives("second-dkim-", func(d *DomainSettings) *DKIMOptions { return &d.SecondDKIM })...)
}

// dkimDirectives are one signature's lines, each name prefix+suffix:
// PowerMTA names the second signature's lines as the first's with
// "second-" in front.
func dkimDirectives(prefix string, o func(*DomainSettings) *DKIMOptions) []dirEntry {
	on := func(t *target) *DKIMOptions { return o(t.dom) }
	str := func(name string, c codec[string], f func(*DKIMOptions) *string) dirEntry {
		return row(prefix+name, bDomain, fld(on, c, f))
	}
	flag := func(name string, c codec[bool], f func(*DKIMOptions) *bool) dirEntry {
		return row(prefix+name, bDomain, fld(on, c, f))
	}
	list := func(name string, f func(*DKIMOptions) *[]string) dirEntry {
		return row(prefix+name, bDomain, fld(on, cList, f))
	}
	return []dirEntry{
		str("sign", cDKIMSign, func(d *DKIMOptions) *string { return &d.Sign }),
		str("algorithm", cEnum("rsa-sha256", "rsa-sha1"), func(d *DKIMOptions) *string { return &d.Algorithm }),
		list("headers", func(d *DKIMOptions) *[]string { return &d.Headers }),
		str("body-canon", cEnum("relaxed", "simple"), func(d *DKIMOptions) *string { return &d.BodyCanon }),
		str("headers-canon", cEnum("relaxed", "simple"), func(d *DKIMOptions) *string { return &d.HeadersCanon }),
		str("identity", cDKIMIdentity, func(d *DKIMOptions) *string { return &d.Identity }),
		str("identity-fallback", cDKIMFallback, func(d *DKIMOptions) *string { return &d.IdentityFallback }),
		row(prefix+"expire-after", bDomain, fld(on, cIntervalNever, func(d *DKIMOptions) *time.Duration { return &d.ExpireAfter })),
		list("disallow-adding-headers", func(d *DKIMOptions) *[]string { return &d.DisallowAddingHeaders }),
		flag("add-timestamp", cDKIMTimestamp, func(d *DKIMOptions) *bool { return &d.AddTimestamp }),
		flag("add-body-limit", cDKIMBodyLimit, func(d *DKIMOptions) *bool { return &d.AddBodyLimit }),
		str("query-method", cEnum("dns/txt"), func(d *DKIMOptions) *string { return &d.QueryMethod }),
	}
}

// domainShapingDirectives are the limits, rates, retry and backoff settings (reference §2.5).
func domainShapingDirectives() []dirEntry {
	return []dirEntry{
		dInt("max-smtp-out", func(d *DomainSettings) *int { return &d.MaxSMTPOut }),
		dInt("backoff-max-smtp-out", func(d *DomainSettings) *int { return &d.BackoffMaxSMTPOut }),
		dInt("max-msg-per-connection", func(d *DomainSettings) *int { return &d.MaxMsgPerConnection }),
		dInt("max-rcpt-per-message", func(d *DomainSettings) *int { return &d.MaxRcptPerMessage }),
		dInt("max-rcpt-per-transaction", func(d *DomainSettings) *int { return &d.MaxRcptPerMessage }),
		dInt("max-errors-per-connection", func(d *DomainSettings) *int { return &d.MaxErrorsPerConnection }),
		dRate("max-msg-rate", func(d *DomainSettings) *Rate { return &d.MaxMsgRate }),
		row("backoff-max-msg-rate", bDomain, access{set: setBackoffMsgRate, get: func(t *target) []string {
			return []string{t.dom.BackoffMaxMsgRate.String()}
		}}),
		dRate("max-connect-rate", func(d *DomainSettings) *Rate { return &d.MaxConnectRate }),
		dRate("backoff-max-connect-rate", func(d *DomainSettings) *Rate { return &d.BackoffMaxConnectRate }),
		row("source-ip-max-msg-rate", bDomain, many(onDom, cPrefixRate, func(d *DomainSettings) *[]SourceIPRate { return &d.SourceIPMaxMsgRate })),
		row("source-ip-max-smtp-out", bDomain, many(onDom, cPrefixInt, func(d *DomainSettings) *[]SourceIPLimit { return &d.SourceIPMaxSMTPOut })),
		row("source-ip-max-connect-rate", bDomain, many(onDom, cPrefixRate, func(d *DomainSettings) *[]SourceIPRate { return &d.SourceIPMaxConnectRate })),
		row("max-data-volume-rate", bDomain, fld(onDom, cVolumeRate, func(d *DomainSettings) *VolumeRate { return &d.MaxDataVolumeRate })),
		row("backoff-max-data-volume-rate", bDomain, access{set: setBackoffVolumeRate, get: func(t *target) []string {
			return []string{t.dom.BackoffMaxDataVolumeRate.String()}
		}}),
		row("source-ip-max-data-volume-rate", bDomain, many(onDom, cPrefixVolumeRate, func(d *DomainSettings) *[]SourceIPVolumeRate { return &d.SourceIPMaxDataVolumeRate })),
		row("queue-priority", bDomain, fld(onDom, cPriority, func(d *DomainSettings) *int { return &d.QueuePriority })),
		dStr("queue-to", func(d *DomainSettings) *string { return &d.QueueTo }),
		dBool("disable-mx-rollup", func(d *DomainSettings) *bool { return &d.DisableMXRollup }),
		row("retry-after", bDomain, fld(onDom, cIntervalList, func(d *DomainSettings) *[]time.Duration { return &d.RetryAfter })),
		row("backoff-retry-after", bDomain, fld(onDom, cIntervalList, func(d *DomainSettings) *[]time.Duration { return &d.BackoffRetryAfter })),
		dDur("retry-recipients-after", func(d *DomainSettings) *time.Duration { return &d.RetryRecipientsAfter }),
		dDur("bounce-after", func(d *DomainSettings) *time.Duration { return &d.BounceAfter }),
		row("notify-of-delay-every", bDomain, fld(onDom, cIntervalNever, func(d *DomainSettings) *time.Duration { return &d.NotifyOfDelayEvery })),
		row("backoff-to-normal-after", bDomain, fld(onDom, cIntervalNever, func(d *DomainSettings) *time.Duration { return &d.BackoffToNormalAfter })),
		dBool("backoff-to-normal-after-delivery", func(d *DomainSettings) *bool { return &d.BackoffToNormalAfterDelivery }),
		row("backoff-notify", bDomain, fld(onDom, cList, func(d *DomainSettings) *[]string { return &d.BackoffNotify })),
		dBool("backoff-upon-all-sources-disabled", func(d *DomainSettings) *bool { return &d.BackoffUponAllSourcesDisabled }),
		row("reenable-source-ip-after", bDomain, fld(onDom, cIntervalNever, func(d *DomainSettings) *time.Duration { return &d.ReenableSourceIPAfter })),
		dStr("reroute-to-virtual-mta", func(d *DomainSettings) *string { return &d.RerouteToVirtualMTA }),
		dStr("backoff-reroute-to-virtual-mta", func(d *DomainSettings) *string { return &d.BackoffRerouteToVirtualMTA }),
		dBool("retry-upon-new-mail", func(d *DomainSettings) *bool { return &d.RetryUponNewMail }),
		dStr("smtp-pattern-list", func(d *DomainSettings) *string { return &d.SMTPPatternList }),
	}
}

// domainProtocolDirectives are routing, timeouts, TLS, DKIM and logging (reference §2.5).
func domainProtocolDirectives() []dirEntry {
	return []dirEntry{
		row("smtp-hosts", bDomain, fld(onDom, cSMTPHosts, func(d *DomainSettings) *[][]string { return &d.SMTPHosts })),
		row("route", bDomain, fld(onDom, cSMTPHosts, func(d *DomainSettings) *[][]string { return &d.SMTPHosts })),
		row("default-smtp-port", bDomain, fld(onDom, cPort, func(d *DomainSettings) *int { return &d.DefaultSMTPPort })),
		dDur("connect-timeout", func(d *DomainSettings) *time.Duration { return &d.ConnectTimeout }),
		dDur("smtp-greeting-timeout", func(d *DomainSettings) *time.Duration { return &d.SMTPGreetingTimeout }),
		dDur("data-send-timeout", func(d *DomainSettings) *time.Duration { return &d.DataSendTimeout }),
		dDur("smtp-data-termination-timeout", func(d *DomainSettings) *time.Duration { return &d.SMTPDataTerminationTimeout }),
		dDur("connection-idle-timeout", func(d *DomainSettings) *time.Duration { return &d.ConnectionIdleTimeout }),
		dDur("smtp-out-rampup-interval", func(d *DomainSettings) *time.Duration { return &d.SMTPOutRampupInterval }),
		dBool("bounce-upon-no-mx", func(d *DomainSettings) *bool { return &d.BounceUponNoMX }),
		dBool("bounce-upon-5xx-greeting", func(d *DomainSettings) *bool { return &d.BounceUpon5xxGreeting }),
		dBool("smtp-421-means-mx-unavailable", func(d *DomainSettings) *bool { return &d.SMTP421MeansMXUnavailable }),
		dBool("smtp-553-means-invalid-mailbox", func(d *DomainSettings) *bool { return &d.SMTP553MeansInvalidMailbox }),
		dBool("use-starttls", func(d *DomainSettings) *bool { return &d.UseStartTLS }),
		dBool("require-starttls", func(d *DomainSettings) *bool { return &d.RequireStartTLS }),
		dBool("use-dane", func(d *DomainSettings) *bool { return &d.UseDANE }),
		dBool("reuse-ssl-session", func(d *DomainSettings) *bool { return &d.ReuseSSLSession }),
		dEnum("dsn-format", cEnum("standard", "plain-text"), func(d *DomainSettings) *string { return &d.DSNFormat }),
		row("max-cold-virtual-mta-msg", bDomain, fld(onDom, cColdRate, func(d *DomainSettings) *Rate { return &d.MaxColdVirtualMTAMsg })),
		dEnum("type", cEnum("smtp", "discard"), func(d *DomainSettings) *string { return &d.Type }),
		row("disable-acct-records", bDomain, fld(onDom, cRecords, func(d *DomainSettings) *[]string { return &d.DisableAcctRecords })),
		dBool("ignore-chunking", func(d *DomainSettings) *bool { return &d.IgnoreChunking }),
		dBool("ignore-pipelining", func(d *DomainSettings) *bool { return &d.IgnorePipelining }),
		dBool("ignore-8bitmime", func(d *DomainSettings) *bool { return &d.Ignore8BitMIME }),
		dBool("ignore-dsn", func(d *DomainSettings) *bool { return &d.IgnoreDSN }),
		dStr("auth-username", func(d *DomainSettings) *string { return &d.AuthUsername }),
		dStr("auth-password", func(d *DomainSettings) *string { return &d.AuthPassword }),
		dStr("bcc-upon-delivery", func(d *DomainSettings) *string { return &d.BCCUponDelivery }),
		dBool("log-connections", func(d *DomainSettings) *bool { return &d.LogConnections }),
		dBool("log-commands", func(d *DomainSettings) *bool { return &d.LogCommands }),
		dBool("log-data", func(d *DomainSettings) *bool { return &d.LogData }),
		dBool("log-resolution", func(d *DomainSettings) *bool { return &d.LogResolution }),
		dBool("log-transfer-failures", func(d *DomainSettings) *bool { return &d.LogTransferFailures }),
		dBool("log-tls", func(d *DomainSettings) *bool { return &d.LogTLS }),
		dDur("retry-after-dns-error", func(d *DomainSettings) *time.Duration { return &d.RetryAfterDNSError }),
		row("disabled-source-ip-notify", bDomain, fld(onDom, cList, func(d *DomainSettings) *[]string { return &d.DisabledSourceIPNotify })),
		dBool("log-disabled-ips", func(d *DomainSettings) *bool { return &d.LogDisabledIPs }),
		dBool("assume-delivery-upon-data-termination-timeout", func(d *DomainSettings) *bool { return &d.AssumeDeliveryUponDataTerminationTimeout }),
		dBool("allow-cancel-during-transfer", func(d *DomainSettings) *bool { return &d.AllowCancelDuringTransfer }),
		dBool("bounce-upon-transfer-failure", func(d *DomainSettings) *bool { return &d.BounceUponTransferFailure }),
		dBool("replace-smtp-421-service-response", func(d *DomainSettings) *bool { return &d.ReplaceSMTP421ServiceResponse }),
		dBool("use-unencrypted-plain-auth", func(d *DomainSettings) *bool { return &d.UseUnencryptedPlainAuth }),
		dBool("check-spf-outbound", func(d *DomainSettings) *bool { return &d.CheckSPFOutbound }),
		dBool("track-recipient-events", func(d *DomainSettings) *bool { return &d.TrackRecipientEvents }),
		dInt("max-events-recorded", func(d *DomainSettings) *int { return &d.MaxEventsRecorded }),
		dStr("smtp-tls-ca-file", func(d *DomainSettings) *string { return &d.SMTPTLSCAFile }),
		dStr("smtp-tls-ciphers", func(d *DomainSettings) *string { return &d.SMTPTLSCiphers }),
		dBool("dk-sign", func(d *DomainSettings) *bool { return &d.DKSign }),
		// Deprecated per-hour forms (reference §2.5), kept so old configs load unchanged.
		row("max-msg-per-hour", bDomain, fld(onDom, cPerHour, func(d *DomainSettings) *Rate { return &d.MaxMsgRate })),
		row("backoff-max-msg-per-hour", bDomain, access{set: func(t *target, v string) error {
			r, err := cPerHour.parse(v)
			if err == nil {
				t.dom.BackoffMaxMsgRate, t.dom.backoffMsgRateSet = r, true
			}
			return err
		}, get: func(t *target) []string { return []string{cPerHour.format(t.dom.BackoffMaxMsgRate)} }}),
		dDur("warmup", func(d *DomainSettings) *time.Duration { return &d.Warmup }),
		dBool("arc-seal", func(d *DomainSettings) *bool { return &d.ARCSeal }),
	}
}

// setBackoffMsgRate records that backoff-max-msg-rate was given, because without it the
// backoff rate follows max-msg-rate.
func setBackoffMsgRate(t *target, v string) error {
	r, err := ParseRate(v)
	if err == nil {
		t.dom.BackoffMaxMsgRate, t.dom.backoffMsgRateSet = r, true
	}
	return err
}

// defaultGlobal returns PowerMTA's documented top-level defaults (reference §2.2).
func defaultGlobal() Global {
	return Global{
		TotalMaxSMTPOut: 1200,
		TotalMaxSMTPIn:  100,
		TLSCiphers:      "HIGH:!ADH:@STRENGTH",
		HTTPMgmtPort:    8080,
		SyncMsgCreate:   true,
		RunAsRoot:       true,
		SyncMsgUpdate:   true,
		IOEngine:        "auto",
		LogRotate:       8,
		LogAutoRotation: true,
	}
}

// defaultSource returns PowerMTA's documented <source> defaults (reference §2.4).
func defaultSource() SourceSettings {
	return SourceSettings{
		SMTPService:             true,
		AllowAuth:               true,
		RejectInvalidVirtualMTA: true,
		MaxMessageHops:          100,
		AddReceivedHeader:       true,
		AddDateHeader:           "no",
		SMTPDataTimeout:         10 * time.Minute,
		SMTPCommandTimeout:      10 * time.Minute,
		AllowChunking:           true,
		AllowSMTPUTF8:           true,
		DSNReturnDefault:        "system",
		AutoQualifyDomain:       true,
	}
}

// defaultDomain returns PowerMTA's documented <domain> defaults (reference §2.5).
//
// The 5.0 guide disagrees with itself: its `show settings` sample prints
// max-msg-per-connection 20 and backoff-retry-after 10m, while the directive reference gives
// 0 and 1h; we follow the directive reference. For max-rcpt-per-message the reference's
// table (max-rcpt-per-transaction, alias max-rcpt-per-message) and the sample both say 1000,
// so we use 1000, as default.conf states.
func defaultDomain() DomainSettings {
	return DomainSettings{
		MaxSMTPOut:                 20,
		BackoffMaxSMTPOut:          20,
		MaxMsgPerConnection:        0, // directive reference; the sample output says 20
		MaxRcptPerMessage:          1000,
		QueuePriority:              50,
		RetryAfter:                 []time.Duration{10 * time.Minute},
		BackoffRetryAfter:          []time.Duration{time.Hour}, // directive reference; sample says 10m
		RetryRecipientsAfter:       10 * time.Minute,
		BounceAfter:                4*24*time.Hour + 12*time.Hour,
		NotifyOfDelayEvery:         4 * time.Hour,
		DefaultSMTPPort:            25,
		ConnectTimeout:             2 * time.Minute,
		ConnectionIdleTimeout:      2 * time.Second, // Volley's; PowerMTA's is 0 (close at once)
		SMTPGreetingTimeout:        5 * time.Minute,
		DataSendTimeout:            3 * time.Minute,
		SMTPDataTerminationTimeout: 10 * time.Minute,
		BounceUpon5xxGreeting:      true,
		SMTP553MeansInvalidMailbox: true,
		UseStartTLS:                true,
		UseDANE:                    true,
		DKIM:                       defaultDKIM,
		SecondDKIM:                 defaultDKIM,
		DSNFormat:                  "standard",
		Type:                       "smtp",
		RetryAfterDNSError:         time.Minute,
		AllowCancelDuringTransfer:  true,
		MaxEventsRecorded:          10,
		SMTPTLSCiphers:             "HIGH:!ADH:@STRENGTH",
	}
}

// defaultAcctFile returns PowerMTA's documented <acct-file> defaults (reference §2.11).
func defaultAcctFile() AcctFile {
	return AcctFile{
		Records:       []string{"d", "b"},
		MoveInterval:  24 * time.Hour,
		MaxSize:       250 << 20,
		DeleteAfter:   8 * 24 * time.Hour,
		ISOTimes:      true,
		PrivacyPolicy: "retain",
	}
}
