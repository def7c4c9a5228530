package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wrap puts a directive line into a block of the given kind, with whatever that block
// needs around it to build.
func wrap(block, line string) string {
	switch block {
	case "":
		return line + "\n"
	case "domain":
		return "<domain example.com>\n" + line + "\n</domain>\n"
	case "source":
		return "<source 10.0.0.0/8>\n" + line + "\n</source>\n"
	case "vmta":
		return "<virtual-mta v>\n" + line + "\n</virtual-mta>\n<virtual-mta cold>\n</virtual-mta>\n"
	case "pool":
		return "<virtual-mta v>\n</virtual-mta>\n<virtual-mta-pool p>\n" + line + "\n</virtual-mta-pool>\n"
	case "user":
		return "<source s1>\n</source>\n<smtp-user u>\n" + line + "\n</smtp-user>\n"
	case "acct":
		return "<acct-file /var/log/acct.csv>\n" + line + "\n</acct-file>\n"
	case "list":
		return "<address-list l>\n" + line + "\n</address-list>\n"
	case "spool":
		return "<spool /var/spool/volley>\n" + line + "\n</spool>\n"
	case "proc":
		return "<bounce-processor>\n" + line + "\n</bounce-processor>\n"
	}
	panic(block)
}

func dom(c *Config) *DomainSettings { return c.Effective("example.com", "") }
func src(c *Config) *SourceSettings {
	return c.SourceFor(netip.MustParseAddr("10.1.2.3"), "", false)
}

type dcase struct {
	block, line string
	get         func(c *Config) any
	want        any
	bad         string // a bad value for the directive, "" when any text is accepted
}

func mins(m ...int) []time.Duration {
	out := make([]time.Duration, len(m))
	for i, x := range m {
		out[i] = time.Duration(x) * time.Minute
	}
	return out
}

var pfx = netip.MustParsePrefix

// directiveCases has one case per directive in SPEC.md's "Config file" section.
var directiveCases = []dcase{
	{"", "postmaster ops@example.net", func(c *Config) any { return c.Global.Postmaster }, []string{"ops@example.net"}, ""},
	{"", "host-name mta1.example.net", func(c *Config) any { return c.Global.HostNames }, []string{"mta1.example.net"}, ""},
	{"", "smtp-listener [::]:2525", func(c *Config) any { return c.Global.Listeners[0].Addr.String() }, "[::]:2525", "localhost"},
	{"", "log-file /var/log/volley.log", func(c *Config) any { return c.Global.LogFile }, "/var/log/volley.log", ""},
	{"", "name-server 127.0.0.1:5353", func(c *Config) any { return c.Global.NameServers[0].String() }, "127.0.0.1:5353", "dns.example"},
	{"", "total-max-smtp-out 500", func(c *Config) any { return c.Global.TotalMaxSMTPOut }, 500, "many"},
	{"", "total-max-smtp-in 50", func(c *Config) any { return c.Global.TotalMaxSMTPIn }, 50, "-1"},
	{"", "smtp-server-tls-certificate /etc/volley/cert.pem", func(c *Config) any { return c.Global.TLSCertificate }, "/etc/volley/cert.pem", ""},
	{"", "http-mgmt-port 1080", func(c *Config) any { return c.Global.HTTPMgmtPort }, 1080, "99999"},
	{"", "http-access 10.0.0.0/8 operator", func(c *Config) any { return c.Global.HTTPAccess[0] }, HTTPAccess{pfx("10.0.0.0/8"), "operator"}, "10.0.0.0/8 root"},
	{"", "http-api-key " + strings.Repeat("k", 32), func(c *Config) any { return c.Global.HTTPAPIKeys }, []string{strings.Repeat("k", 32)}, "short"},
	{"", "pickup /var/pickup /var/pickup-bad", func(c *Config) any { return c.Global.Pickup }, Pickup{"/var/pickup", "/var/pickup-bad"}, "/var/pickup"},
	{"", "domain-key s1,example.net,/etc/s1.pem", func(c *Config) any { return c.Global.DomainKeys[0] }, DomainKey{"s1", "example.net", "/etc/s1.pem"}, "s1,example.net"},
	{"", "relay-domain [*.]example.net", func(c *Config) any { return c.Global.RelayDomains[0].String() }, "[*.]example.net", "a..b"},
	{"", "sync-msg-create false", func(c *Config) any { return c.Global.SyncMsgCreate }, false, "maybe"},
	{"", "io-engine epoll", func(c *Config) any { return c.Global.IOEngine }, "epoll", "kqueue"},
	{"", "shards 4", func(c *Config) any { return c.Global.Shards }, 4, "0"},
	{"", "startup-ramp 10m", func(c *Config) any { return c.Global.StartupRamp }, 10 * time.Minute, "soon"},
	{"", "http-mgmt-listen 127.0.0.1:8080", func(c *Config) any { return c.Global.HTTPMgmtListen.String() }, "127.0.0.1:8080", "8080"},
	{"spool", "priority 10", func(c *Config) any { return c.Spools[0].Priority }, 10, "101"},
	{"spool", "min-free-space 1g", func(c *Config) any { return c.Spools[0].MinFreeSpace }, int64(1 << 30), "lots"},
	{"source", "smtp-service no", func(c *Config) any { return src(c).SMTPService }, false, "nope"},
	{"source", "always-allow-relaying yes", func(c *Config) any { return src(c).AlwaysAllowRelaying }, true, "x"},
	{"source", "require-auth true", func(c *Config) any { return src(c).RequireAuth }, true, "x"},
	{"source", "allow-starttls yes", func(c *Config) any { return src(c).AllowStartTLS }, true, "x"},
	{"source", "allow-unencrypted-plain-auth yes", func(c *Config) any { return src(c).AllowUnencryptedPlainAuth }, true, "x"},
	{"source", "default-virtual-mta by-smtp-source-ip", func(c *Config) any { return src(c).DefaultVirtualMTA }, "by-smtp-source-ip", ""},
	{"source", "process-x-virtual-mta yes", func(c *Config) any { return src(c).ProcessXVirtualMTA }, true, "x"},
	{"source", "process-x-job yes", func(c *Config) any { return src(c).ProcessXJob }, true, "x"},
	{"source", "process-x-envid yes", func(c *Config) any { return src(c).ProcessXEnvID }, true, "x"},
	{"source", "max-message-size 20M", func(c *Config) any { return src(c).MaxMessageSize }, int64(20 << 20), "big"},
	{"source", "max-rcpt-per-message 500", func(c *Config) any { return src(c).MaxRcptPerMessage }, 500, "x"},
	{"source", "add-received-header no", func(c *Config) any { return src(c).AddReceivedHeader }, false, "x"},
	{"source", "add-message-id-header yes", func(c *Config) any { return src(c).AddMessageIDHeader }, true, "x"},
	{"source", "add-date-header override", func(c *Config) any { return src(c).AddDateHeader }, "override", "sometimes"},
	{"source", "remove-header X-Mailer, X-Originating-IP", func(c *Config) any { return src(c).RemoveHeaders }, []string{"X-Mailer", "X-Originating-IP"}, "a,,b"},
	{"source", "suppression-lists global,bounced", func(c *Config) any { return src(c).SuppressionLists }, []string{"global", "bounced"}, ","},
	{"source", "log-connections yes", func(c *Config) any { return src(c).LogConnections }, true, "x"},
	{"source", "log-commands yes", func(c *Config) any { return src(c).LogCommands }, true, "x"},
	{"source", "smtp-data-timeout 5m", func(c *Config) any { return src(c).SMTPDataTimeout }, 5 * time.Minute, "x"},
	{"source", "smtp-command-timeout 1m30s", func(c *Config) any { return src(c).SMTPCommandTimeout }, 90 * time.Second, "x"},
	{"source", "check-spf-inbound yes", func(c *Config) any { return src(c).CheckSPFInbound }, true, "x"},
	{"source", "check-dkim-inbound yes", func(c *Config) any { return src(c).CheckDKIMInbound }, true, "x"},
	{"source", "max-msg-rate 100/m", func(c *Config) any { return src(c).MaxMsgRate }, Rate{100, time.Minute}, "fast"},
	{"source", "max-smtp-in 5", func(c *Config) any { return src(c).MaxSMTPIn }, 5, "x"},
	{"source", "max-connections 6", func(c *Config) any { return src(c).MaxSMTPIn }, 6, "x"},
	{"source", "require-starttls yes", func(c *Config) any { return src(c).RequireStartTLS }, true, "x"},
	{"source", "accept-proxy-protocol yes", func(c *Config) any { return src(c).AcceptProxyProtocol }, true, "x"},
	{"source", "dsn-return-default headers", func(c *Config) any { return src(c).DSNReturnDefault }, "headers", "body"},
	{"source", "hide-message-source yes", func(c *Config) any { return src(c).HideMessageSource }, true, "x"},
	{"source", "verp-default yes", func(c *Config) any { return src(c).VERPDefault }, true, "x"},
	{"user", "password $2y$10$abcdefghijklmnopqrstuv", func(c *Config) any { return c.SMTPUser("u").Password }, "$2y$10$abcdefghijklmnopqrstuv", ""},
	{"user", "source s1", func(c *Config) any { return c.SMTPUser("u").Source }, "s1", ""},
	{"vmta", "smtp-source-host 192.0.2.10 Out1.example.net", func(c *Config) any { return c.VMTA("v").SourceHosts }, []SourceHost{{netip.MustParseAddr("192.0.2.10"), "out1.example.net"}}, "out1.example.net"},
	{"vmta", "host-name out.example.net", func(c *Config) any { return c.VMTA("v").HostName }, "out.example.net", ""},
	{"vmta", "domain-key s2,*,/etc/s2.pem", func(c *Config) any { return c.VMTA("v").DomainKeys[0].Domain }, "*", "s2"},
	{"vmta", "max-smtp-out 100", func(c *Config) any { return c.VMTA("v").MaxSMTPOut }, 100, "x"},
	{"vmta", "max-smtp-msg-rate 1000/h", func(c *Config) any { return c.VMTA("v").MaxSMTPMsgRate }, Rate{1000, time.Hour}, "x"},
	{"vmta", "cold-virtual-mta cold", func(c *Config) any { return c.VMTA("v").ColdVirtualMTAs }, []string{"cold"}, ""},
	{"pool", "virtual-mta v", func(c *Config) any { return c.Pool("p").Members[0].Name }, "v", "a b"},
	{"domain", "max-smtp-out 7", func(c *Config) any { return dom(c).MaxSMTPOut }, 7, "seven"},
	{"domain", "backoff-max-smtp-out 2", func(c *Config) any { return dom(c).BackoffMaxSMTPOut }, 2, "x"},
	{"domain", "max-msg-per-connection 50", func(c *Config) any { return dom(c).MaxMsgPerConnection }, 50, "x"},
	{"domain", "max-rcpt-per-message 100", func(c *Config) any { return dom(c).MaxRcptPerMessage }, 100, "x"},
	{"domain", "max-errors-per-connection 3", func(c *Config) any { return dom(c).MaxErrorsPerConnection }, 3, "x"},
	{"domain", "max-msg-rate 3000/h", func(c *Config) any { return dom(c).MaxMsgRate }, Rate{3000, time.Hour}, "fast"},
	{"domain", "backoff-max-msg-rate 300/h", func(c *Config) any { return dom(c).BackoffMaxMsgRate }, Rate{300, time.Hour}, "x"},
	{"domain", "max-connect-rate 10/min", func(c *Config) any { return dom(c).MaxConnectRate }, Rate{10, time.Minute}, "x"},
	{"domain", "backoff-max-connect-rate 1/min", func(c *Config) any { return dom(c).BackoffMaxConnectRate }, Rate{1, time.Minute}, "x"},
	{"domain", "source-ip-max-msg-rate 192.0.2.0/24 100/h", func(c *Config) any { return dom(c).SourceIPMaxMsgRate }, []SourceIPRate{{pfx("192.0.2.0/24"), Rate{100, time.Hour}}}, "192.0.2.0/24"},
	{"domain", "source-ip-max-smtp-out 192.0.2.1 3", func(c *Config) any { return dom(c).SourceIPMaxSMTPOut }, []SourceIPLimit{{pfx("192.0.2.1/32"), 3}}, "x 3"},
	{"domain", "source-ip-max-connect-rate 2001:db8::/32 5/m", func(c *Config) any { return dom(c).SourceIPMaxConnectRate }, []SourceIPRate{{pfx("2001:db8::/32"), Rate{5, time.Minute}}}, "2001:db8::/32 fast"},
	{"domain", "queue-priority 90", func(c *Config) any { return dom(c).QueuePriority }, 90, "101"},
	{"domain", "queue-to bulk", func(c *Config) any { return dom(c).QueueTo }, "bulk", ""},
	{"domain", "disable-mx-rollup yes", func(c *Config) any { return dom(c).DisableMXRollup }, true, "x"},
	{"domain", "retry-after 10m,10m,1h", func(c *Config) any { return dom(c).RetryAfter }, mins(10, 10, 60), "10m,,1h"},
	{"domain", "backoff-retry-after 30m", func(c *Config) any { return dom(c).BackoffRetryAfter }, mins(30), "x"},
	{"domain", "retry-recipients-after 5m", func(c *Config) any { return dom(c).RetryRecipientsAfter }, 5 * time.Minute, "x"},
	{"domain", "bounce-after 2d", func(c *Config) any { return dom(c).BounceAfter }, 48 * time.Hour, "x"},
	{"domain", "backoff-to-normal-after never", func(c *Config) any { return dom(c).BackoffToNormalAfter }, time.Duration(0), "x"},
	{"domain", "backoff-to-normal-after-delivery yes", func(c *Config) any { return dom(c).BackoffToNormalAfterDelivery }, true, "x"},
	{"domain", "backoff-notify a@example.net,b@example.net", func(c *Config) any { return dom(c).BackoffNotify }, []string{"a@example.net", "b@example.net"}, ""},
	{"domain", "smtp-pattern-list none", nil, nil, ""}, // referencing needs a list; see TestPatternList
	{"domain", "smtp-hosts mx1.example.net,mx2.example.net; [192.0.2.1]:2525", func(c *Config) any { return dom(c).SMTPHosts }, [][]string{{"mx1.example.net", "mx2.example.net"}, {"[192.0.2.1]:2525"}}, "a;;b"},
	{"domain", "route relay.example.net", func(c *Config) any { return dom(c).SMTPHosts }, [][]string{{"relay.example.net"}}, ""},
	{"domain", "default-smtp-port 2525", func(c *Config) any { return dom(c).DefaultSMTPPort }, 2525, "70000"},
	{"domain", "connect-timeout 30s", func(c *Config) any { return dom(c).ConnectTimeout }, 30 * time.Second, "x"},
	{"domain", "smtp-greeting-timeout 1m", func(c *Config) any { return dom(c).SMTPGreetingTimeout }, time.Minute, "x"},
	{"domain", "data-send-timeout 2m", func(c *Config) any { return dom(c).DataSendTimeout }, 2 * time.Minute, "x"},
	{"domain", "bounce-upon-no-mx yes", func(c *Config) any { return dom(c).BounceUponNoMX }, true, "x"},
	{"domain", "smtp-421-means-mx-unavailable yes", func(c *Config) any { return dom(c).SMTP421MeansMXUnavailable }, true, "x"},
	{"domain", "use-starttls no", func(c *Config) any { return dom(c).UseStartTLS }, false, "x"},
	{"domain", "require-starttls yes", func(c *Config) any { return dom(c).RequireStartTLS }, true, "x"},
	{"domain", "use-dane no", func(c *Config) any { return dom(c).UseDANE }, false, "x"},
	{"", "smtp-port 2525", func(c *Config) any { return c.Global.Listeners[0].Addr.String() }, "0.0.0.0:2525", "99999"},
	{"", "smtp-ip 127.0.0.2", func(c *Config) any { return c.Global.Listeners[0].Addr.String() }, "127.0.0.2:25", "localhost"},
	{"", "relay-debug yes", func(c *Config) any { return c.Global.RelayDebug }, true, "x"},
	{"", "run-as-root yes", func(c *Config) any { return c.Global.RunAsRoot }, true, "x"},
	{"", "spool-min-free-space 500", func(c *Config) any { return c.Global.SpoolMinFreeSpace }, int64(500 << 20), "lots"},
	{"", "spool-min-free-space 2g", func(c *Config) any { return c.Global.SpoolMinFreeSpace }, int64(2 << 30), "-1"},
	{"source", "date-header-time reception", func(c *Config) any { return src(c).DateHeaderTime }, "reception", "noon"},
	{"source", "check-iprev-inbound yes", func(c *Config) any { return src(c).CheckIPRevInbound }, true, "maybe"},
	{"source", "bcc archive@example.com", func(c *Config) any { return src(c).BCC }, "archive@example.com", "archive"},
	{"source", "smtp-max-auth-failure-rate 5/h", func(c *Config) any { return src(c).SMTPMaxAuthFailureRate }, Rate{5, time.Hour}, "often"},
	{"domain", "dkim-sign yes", func(c *Config) any { return dom(c).DKIM.Sign }, "yes", "always"},
	{"domain", "dkim-algorithm rsa-sha1", func(c *Config) any { return dom(c).DKIM.Algorithm }, "rsa-sha1", "md5"},
	{"domain", "dkim-headers From,To,Subject", func(c *Config) any { return dom(c).DKIM.Headers }, []string{"From", "To", "Subject"}, ""},
	{"domain", "dkim-body-canon simple", func(c *Config) any { return dom(c).DKIM.BodyCanon }, "simple", "loose"},
	{"domain", "dkim-headers-canon simple", func(c *Config) any { return dom(c).DKIM.HeadersCanon }, "simple", "loose"},
	{"domain", "dsn-format plain-text", func(c *Config) any { return dom(c).DSNFormat }, "plain-text", "html"},
	{"domain", "max-cold-virtual-mta-msg 2000/day", func(c *Config) any { return dom(c).MaxColdVirtualMTAMsg }, Rate{2000, 24 * time.Hour}, "x"},
	{"domain", "type discard", func(c *Config) any { return dom(c).Type }, "discard", "pipe"},
	{"domain", "disable-acct-records t,tq", func(c *Config) any { return dom(c).DisableAcctRecords }, []string{"t", "tq"}, "d,z"},
	{"domain", "retry-after-dns-error 2m", func(c *Config) any { return dom(c).RetryAfterDNSError }, 2 * time.Minute, "x"},
	{"domain", "max-msg-per-hour 500", func(c *Config) any { return dom(c).MaxMsgRate }, Rate{500, time.Hour}, "x"},
	{"domain", "backoff-max-msg-per-hour 50", func(c *Config) any { return dom(c).BackoffMaxMsgRate }, Rate{50, time.Hour}, "x"},
	{"domain", "dkim-identity sender", func(c *Config) any { return dom(c).DKIM.Identity }, "sender", "nodot"},
	{"domain", "dkim-identity Mailer@ESP.example", func(c *Config) any { return dom(c).DKIM.Identity }, "mailer@esp.example", "a@"},
	{"domain", "dkim-identity @esp.example", func(c *Config) any { return dom(c).DKIM.Identity }, "@esp.example", "a b@esp.example"},
	{"domain", "dkim-identity-fallback esp.example", func(c *Config) any { return dom(c).DKIM.IdentityFallback }, "esp.example", "from"},
	{"domain", "dkim-expire-after 7d", func(c *Config) any { return dom(c).DKIM.ExpireAfter }, 7 * 24 * time.Hour, "soon"},
	{"domain", "dkim-expire-after never", func(c *Config) any { return dom(c).DKIM.ExpireAfter }, time.Duration(0), "x"},
	{"domain", "dkim-disallow-adding-headers From,To", func(c *Config) any { return dom(c).DKIM.DisallowAddingHeaders }, []string{"From", "To"}, "From,,To"},
	{"domain", "dkim-add-timestamp yes", func(c *Config) any { return dom(c).DKIM.AddTimestamp }, true, "maybe"},
	{"domain", "dkim-add-body-limit no", func(c *Config) any { return dom(c).DKIM.AddBodyLimit }, false, "maybe"},
	{"domain", "dkim-query-method dns/txt", func(c *Config) any { return dom(c).DKIM.QueryMethod }, "dns/txt", "http"},
	{"domain", "second-dkim-sign yes", func(c *Config) any { return dom(c).SecondDKIM.Sign }, "yes", "always"},
	{"domain", "second-dkim-identity @esp.example", func(c *Config) any { return dom(c).SecondDKIM.Identity }, "@esp.example", "x"},
	{"domain", "second-dkim-headers From,Subject", func(c *Config) any { return dom(c).SecondDKIM.Headers }, []string{"From", "Subject"}, ""},
	{"domain", "second-dkim-body-canon simple", func(c *Config) any { return dom(c).SecondDKIM.BodyCanon }, "simple", "loose"},
	{"domain", "second-dkim-expire-after 2d", func(c *Config) any { return dom(c).SecondDKIM.ExpireAfter }, 48 * time.Hour, "x"},
	{"domain", "max-events-recorded 20", func(c *Config) any { return dom(c).MaxEventsRecorded }, 20, "x"},
	{"domain", "track-recipient-events yes", func(c *Config) any { return dom(c).TrackRecipientEvents }, true, "x"},
	{"domain", "warmup 30d", func(c *Config) any { return dom(c).Warmup }, 30 * 24 * time.Hour, "x"},
	{"domain", "arc-seal yes", func(c *Config) any { return dom(c).ARCSeal }, true, "x"},
	{"acct", "records delivery,bounce,rb", func(c *Config) any { return c.AcctFiles[0].Records }, []string{"d", "b", "rb"}, "d,x"},
	{"acct", "record-fields d *,!orcpt,header_X-Foo", func(c *Config) any { return c.AcctFiles[0].RecordFields["d"] }, []string{"*", "!orcpt", "header_X-Foo"}, "zz *"},
	{"acct", "move-interval 5m", func(c *Config) any { return c.AcctFiles[0].MoveInterval }, 5 * time.Minute, "x"},
	{"acct", "move-to /var/log/old", func(c *Config) any { return c.AcctFiles[0].MoveTo }, "/var/log/old", ""},
	{"acct", "max-size 50M", func(c *Config) any { return c.AcctFiles[0].MaxSize }, int64(50 << 20), "x"},
	{"acct", "delete-after never", func(c *Config) any { return c.AcctFiles[0].DeleteAfter }, time.Duration(0), "x"},
	{"acct", "iso-times no", func(c *Config) any { return c.AcctFiles[0].ISOTimes }, false, "x"},
	{"acct", "privacy-policy redact", func(c *Config) any { return c.AcctFiles[0].PrivacyPolicy }, "redact", ""},
	{"list", "address Bob@Example.com", func(c *Config) any { return c.AddressList("l").Addresses }, []string{"bob@example.com"}, "a b"},
	{"list", "address-file /etc/supp.txt", func(c *Config) any { return c.AddressList("l").AddressFiles }, []string{"/etc/supp.txt"}, ""},
	{"list", "domain example.org", func(c *Config) any { return c.AddressList("l").Domains }, []string{"example.org"}, ""},
	{"list", "hashed-address-file /etc/h.txt md5", func(c *Config) any { return c.AddressList("l").HashedFiles }, []HashedFile{{"/etc/h.txt", "md5"}}, "/etc/h.txt sha1"},
	{"proc", "deliver-unmatched-email no", func(c *Config) any { return c.BounceProcessor.DeliverUnmatchedEmail }, false, "x"},
}

func TestDirectives(t *testing.T) {
	for _, tc := range directiveCases {
		name := strings.Fields(tc.line)[0]
		if tc.get == nil {
			continue
		}
		t.Run(tc.block+"/"+name, func(t *testing.T) {
			c, probs := LoadText("t.conf", []byte(wrap(tc.block, tc.line)))
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			if got := tc.get(c); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if tc.bad == "" {
				return
			}
			_, probs = LoadText("t.conf", []byte(wrap(tc.block, name+" "+tc.bad)))
			if len(probs) != 1 || !strings.HasPrefix(probs[0].Msg, name+": expected ") {
				t.Errorf("bad value %q: got problems %v, want one starting %q", tc.bad, probs, name+": expected ")
			}
		})
	}
}

func TestProblemMessages(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown", "foo bar\n", `t.conf:1: unknown directive "foo"`},
		{"wrong block", "<source 0/0>\nmax-smtp-out 5\n</source>\n",
			`t.conf:2: directive "max-smtp-out" is not allowed in <source>; it belongs in <virtual-mta>, <virtual-mta-pool>, <domain>`},
		{"wrong block top", "max-msg-per-connection 5\n",
			`t.conf:1: directive "max-msg-per-connection" is not allowed at the top level; it belongs in <domain>`},
		{"bad int", "<domain *>\nmax-smtp-out x\n</domain>\n", `t.conf:2: max-smtp-out: expected a whole number, got "x"`},
		{"unknown block", "<pickup /x>\n</pickup>\n", `t.conf:1: unknown block <pickup>`},
		{"pool member", "<virtual-mta-pool p>\nvirtual-mta nope\n</virtual-mta-pool>\n", `t.conf:2: virtual-mta-pool p: unknown virtual-mta "nope"`},
		{"dup vmta", "<virtual-mta a>\n</virtual-mta>\n<virtual-mta-pool a>\n</virtual-mta-pool>\n", `t.conf:3: duplicate virtual-mta or pool name "a" (first defined at t.conf:1)`},
		{"nested", "<source 0/0>\n<domain *>\n</domain>\n</source>\n", `t.conf:2: block <domain> is not allowed inside <source>`},
		{"unknown macro", "<domain x.$NOPE>\n</domain>\n", `t.conf:1: <domain>: unknown domain-macro "$NOPE"`},
		{"listener source", "smtp-listener 0/0:25 source=nope\n", `t.conf:1: smtp-listener: unknown source "nope"; define <source nope>`},
		{"pattern list ref", "<domain *>\nsmtp-pattern-list nope\n</domain>\n", `t.conf:2: smtp-pattern-list: unknown list "nope"`},
		{"default vmta", "<source 0/0>\ndefault-virtual-mta nope\n</source>\n", `t.conf:2: default-virtual-mta: unknown virtual-mta or pool "nope"`},
		{"bad source", "<source {bogus}>\n</source>\n", `t.conf:1: <source>: expected a CIDR, a name, {auth}, {pickup} or {transmissions-api}, got "{bogus}"`},
		{"bad rollup", "<mx-rollup-list>\nmx *.x.net outlook\n</mx-rollup-list>\n", `t.conf:2: mx: expected MXHOST NAME.rollup [rollup-by-ip], got "*.x.net outlook"`},
		{"bad category", "<bounce-category-patterns>\nbad-mailbox\n</bounce-category-patterns>\n", `t.conf:2: expected /REGEX/ CATEGORY, got "bad-mailbox"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, probs := LoadText("t.conf", []byte(tc.src))
			if c != nil || len(probs) != 1 || probs[0].Error() != tc.want {
				t.Errorf("got %v, want [%s]", probs, tc.want)
			}
		})
	}
}

func TestProblemsCollectedInFileOrder(t *testing.T) {
	src := "<domain *>\nmax-smtp-out x\n</domain>\nbogus 1\n<virtual-mta-pool p>\nvirtual-mta missing\n</virtual-mta-pool>\n" +
		"total-max-smtp-in many\n<source 0/0>\nsmtp-service perhaps\n</source>\n"
	_, probs := LoadText("t.conf", []byte(src))
	var lines []int
	for _, p := range probs {
		lines = append(lines, p.Pos.Line)
	}
	if fmt.Sprint(lines) != "[2 4 6 8 10]" {
		t.Errorf("problem lines %v, want [2 4 6 8 10]; %v", lines, probs)
	}
}

func TestPatternList(t *testing.T) {
	src := `<smtp-pattern-list pl>
reply /421 .*try again later/ mode=backoff
reply /\[TS0[1-3]\]/ mode=backoff,disable-source-ip,reenable-after=1h
reply /too many connections/ skip-mx
reply /mailbox (is )?full/ bounce-rcpt
reply /resources temporarily unavail/ defer-queue
reply /(?-i)CaseSensitive/ bounce-queue
</smtp-pattern-list>
<domain yahoo.com>
smtp-pattern-list pl
</domain>
`
	c, probs := LoadText("t.conf", []byte(src))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if got := c.Effective("yahoo.com", "").SMTPPatternList; got != "pl" {
		t.Fatalf("smtp-pattern-list = %q", got)
	}
	pl := c.PatternList("pl")
	cases := []struct{ reply, want string }{
		{"421 4.7.0 Please TRY AGAIN LATER", "mode=backoff"},
		{"421 4.7.0 [TS02] Messages temporarily deferred", "mode=backoff,disable-source-ip,reenable-after=1h"},
		{"421 too many connections", "skip-mx"},
		{"452 Mailbox full", "bounce-rcpt"},
		{"451 resources temporarily unavailable", "defer-queue"},
		{"550 CaseSensitive", "bounce-queue"},
		{"550 casesensitive", ""},
	}
	for _, tc := range cases {
		t.Run(tc.reply, func(t *testing.T) {
			a, _ := pl.Match(tc.reply)
			if a.String() != tc.want {
				t.Errorf("got %q, want %q", a.String(), tc.want)
			}
		})
	}
}

func TestPatternListIllegal(t *testing.T) {
	cases := []struct{ actions, want string }{
		{"mode=backoff,mode=normal", "mode=backoff and mode=normal cannot be combined"},
		{"skip-mx,bounce-queue", "skip-mx and bounce-queue cannot be combined"},
		{"reenable-after=1h", "reenable-after needs disable-source-ip"},
		{"explode", `expected actions from mode=backoff, mode=normal, skip-mx, bounce-queue, bounce-rcpt, defer-queue, disable-source-ip, reenable-after=INTERVAL, got "explode"`},
	}
	for _, tc := range cases {
		t.Run(tc.actions, func(t *testing.T) {
			src := "<smtp-pattern-list pl>\nreply /x/ " + tc.actions + "\n</smtp-pattern-list>\n"
			_, probs := LoadText("t.conf", []byte(src))
			if len(probs) != 1 || probs[0].Error() != "t.conf:2: reply: "+tc.want {
				t.Errorf("got %v, want reply: %s", probs, tc.want)
			}
		})
	}
}

func TestBounceCategories(t *testing.T) {
	src := "<bounce-category-patterns>\n/^[45]\\.1\\.1/ bad-mailbox\n/quota/ quota-issues\n/spam/ my-spam\n// other\n</bounce-category-patterns>\n"
	c, probs := LoadText("t.conf", []byte(src))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for text, want := range map[string]string{"5.1.1 user unknown": "bad-mailbox", "over QUOTA": "quota-issues", "spam detected": "my-spam", "huh": "other"} {
		if got := c.BounceCategoryFor(text); got != want {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
	def, _ := LoadText("t.conf", nil)
	if got := def.BounceCategoryFor("4.4.7 message expired"); got != "message-expired" {
		t.Errorf("built-in list: got %q", got)
	}
}

func TestRollupList(t *testing.T) {
	src := "<mx-rollup-list>\nmx *.mail.protection.outlook.com outlook.rollup rollup-by-ip\nmx gmail-smtp-in.l.google.com google.rollup\n</mx-rollup-list>\n"
	c, probs := LoadText("t.conf", []byte(src))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want := "[{*.mail.protection.outlook.com outlook.rollup true} {gmail-smtp-in.l.google.com google.rollup false}]"
	var got []string
	for _, r := range c.MXRollups {
		got = append(got, fmt.Sprintf("{%s %s %v}", r.MX, r.Queue, r.ByIP))
	}
	if "["+strings.Join(got, " ")+"]" != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if !c.MXRollups[0].MX.Match("eur01.mail.protection.outlook.com") {
		t.Error("rollup pattern does not match")
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c == nil || c.Effective("example.com", "") == nil {
		t.Fatal("default config has no domain settings")
	}
	d := defaultDomain()
	if d.MaxSMTPOut != 20 || d.BounceAfter != 108*time.Hour || d.QueuePriority != 50 || !d.UseStartTLS {
		t.Errorf("built-in domain defaults differ from PowerMTA's: %+v", d)
	}
}

func TestDumpRoundTrip(t *testing.T) {
	byBlock := map[string][]string{}
	var order []string
	for _, tc := range directiveCases {
		if tc.get == nil {
			continue
		}
		if byBlock[tc.block] == nil {
			order = append(order, tc.block)
		}
		byBlock[tc.block] = append(byBlock[tc.block], tc.line)
	}
	var b strings.Builder
	for _, k := range order {
		body := strings.Join(byBlock[k], "\n")
		if k == "pool" {
			b.WriteString("<virtual-mta-pool p>\n" + body + "\n</virtual-mta-pool>\n")
			continue
		}
		b.WriteString(wrap(k, body))
	}
	c, probs := LoadText("all.conf", []byte(b.String()))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	d1 := c.Dump()
	c2, probs := LoadText("dump.conf", []byte(d1))
	if len(probs) > 0 {
		t.Fatalf("dump does not load: %v\n%s", probs, d1)
	}
	if d2 := c2.Dump(); d2 != d1 {
		t.Errorf("dump is not stable:\n%s\n---\n%s", d1, d2)
	}
}

func TestDomainSettingsDump(t *testing.T) {
	c, _ := LoadText("t.conf", []byte("<domain *>\nmax-smtp-out 7\nretry-after 10m,1h\n</domain>\n"))
	got := c.Effective("a.example", "").Dump()
	for _, want := range []string{"max-smtp-out 7\n", "retry-after 10m,1h\n", "bounce-after 4d12h\n", "backoff-retry-after 1h\n", "queue-priority 50\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("dump lacks %q:\n%s", want, got)
		}
	}
}

func TestSyntaxAndModelProblemsInterleave(t *testing.T) {
	_, probs := LoadText("t.conf", []byte("bogus 1\n</domain>\nmax-msg-rate 1/h\n"))
	var lines []int
	for _, p := range probs {
		lines = append(lines, p.Pos.Line)
	}
	if fmt.Sprint(lines) != "[1 2 3]" {
		t.Errorf("problem lines %v, want [1 2 3]: %v", lines, probs)
	}
}

// TestDKIMSettingsNotHonoured: the two dkim-* values Volley's signer cannot
// honour are refused at their line with the reason, not accepted and
// ignored.
func TestDKIMSettingsNotHonoured(t *testing.T) {
	for line, want := range map[string]string{
		"dkim-add-timestamp no":           "t.conf:2: dkim-add-timestamp: not supported: Volley always writes t=",
		"second-dkim-add-body-limit true": "t.conf:2: second-dkim-add-body-limit: not supported: Volley does not write l=",
	} {
		_, probs := LoadText("t.conf", []byte("<domain x.test>\n"+line+"\n</domain>\n"))
		if len(probs) != 1 || !strings.HasPrefix(probs[0].Error(), want) {
			t.Errorf("%s: problems %v, want one starting %q", line, probs, want)
		}
	}
}

// TestNotBuiltRefused: directives whose feature Volley lacks are refused
// at their line with what ignoring them would do, not accepted silently.
func TestNotBuiltRefused(t *testing.T) {
	wantOneProblem(t, map[string]string{
		"smtp-await-slot yes\n": "t.conf:1: smtp-await-slot: not supported: past total-max-smtp-in volleyd answers 421 4.3.2",
		"<virtual-mta v>\ninclude-headers-from h.txt\n</virtual-mta>\n": "t.conf:2: include-headers-from: not supported: Volley does not add",
	})
	if _, probs := LoadText("t.conf", []byte("smtp-await-slot no\n")); len(probs) != 0 {
		t.Errorf("smtp-await-slot no: %v", probs)
	}
}

// TestOldSMTPListener: the deprecated smtp-ip and smtp-port lines make one
// listener beside the smtp-listener lines, named at their line in problems
// (a duplicate address, for instance).
func TestOldSMTPListener(t *testing.T) {
	c, probs := LoadText("t.conf", []byte("smtp-listener 127.0.0.1:2525\nsmtp-ip ::1\nsmtp-port 2526\n"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var got []string
	for _, l := range c.Global.Listeners {
		got = append(got, l.Addr.String()+"@"+strconv.Itoa(l.Pos.Line))
	}
	if strings.Join(got, " ") != "127.0.0.1:2525@1 [::1]:2526@3" {
		t.Errorf("listeners %v", got)
	}
}

// wantOneProblem loads each config and wants exactly one problem, whose
// text starts as given (FILE:LINE: and the message).
func wantOneProblem(t *testing.T, cases map[string]string) {
	t.Helper()
	for conf, want := range cases {
		_, probs := LoadText("t.conf", []byte(conf))
		if len(probs) != 1 || !strings.HasPrefix(probs[0].Error(), want) {
			t.Errorf("%q: problems %v, want one starting %q", conf, probs, want)
		}
	}
}
