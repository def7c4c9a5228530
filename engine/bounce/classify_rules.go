package bounce

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// PowerMTA's bounce categories (the bounceCat accounting field). A config's
// <bounce-category-patterns> may name others; those pass through as written.
const (
	CategoryBadConfiguration = "bad-configuration"
	CategoryBadConnection    = "bad-connection"
	CategoryBadDomain        = "bad-domain"
	CategoryBadMailbox       = "bad-mailbox"
	CategoryContentRelated   = "content-related"
	CategoryInactiveMailbox  = "inactive-mailbox"
	CategoryInvalidSender    = "invalid-sender"
	CategoryMessageExpired   = "message-expired"
	CategoryNoAnswerFromHost = "no-answer-from-host"
	CategoryOther            = "other"
	CategoryPolicyRelated    = "policy-related"
	CategoryProtocolErrors   = "protocol-errors"
	CategoryQuotaIssues      = "quota-issues"
	CategoryRelayingIssues   = "relaying-issues"
	CategoryRoutingErrors    = "routing-errors"
	CategorySpamRelated      = "spam-related"
	CategoryVirusRelated     = "virus-related"
)

// Categories returns PowerMTA's 17 category names, sorted.
func Categories() []string {
	return []string{
		CategoryBadConfiguration, CategoryBadConnection, CategoryBadDomain, CategoryBadMailbox,
		CategoryContentRelated, CategoryInactiveMailbox, CategoryInvalidSender, CategoryMessageExpired,
		CategoryNoAnswerFromHost, CategoryOther, CategoryPolicyRelated, CategoryProtocolErrors,
		CategoryQuotaIssues, CategoryRelayingIssues, CategoryRoutingErrors, CategorySpamRelated,
		CategoryVirusRelated,
	}
}

// textRule is a built-in rule: regexps over normalized diagnostic text
// (lower case, white space collapsed), any of which names the category.
type textRule struct {
	alts []alt
	cat  string
}

// alt is one regexp of a rule, with sets of literals such that every
// match contains one literal of each set: a text that does not is not run
// through the regexp, which keeps some 250 regexps at a few microseconds
// per text.
type alt struct {
	re   *regexp.Regexp
	must [][]string
}

// ruleSrc is a rule as written: the category, then its regexps.
type ruleSrc struct {
	cat  string
	alts []string
}

// reasonRules name what went wrong with the recipient, the sender or the
// message. They are tried in order, first match wins, before anything is
// inferred from the status code. An explicit spam verdict comes first, as
// such replies go on to advise on SPF; then viruses; then the sender and
// authentication rules, whose texts also say "rejected", "blocked" or "does
// not exist"; disabled accounts before spam, as "blocked" is said of both;
// spam before quota, content and relaying ("relay quota", "open relay");
// temporary DNS failures before missing domains; the mailbox rules late,
// because "not found" and "invalid" are the vaguest; a bare "policy" last.
var reasonRules = compileRules([]ruleSrc{
	{CategorySpamRelated, []string{
		`(rejected|blocked|refused|denied|classified|identified|detected|flagged|scored) (as|due to|because of|for|by) .{0,30}(spam|junk)`,
		`spam (classification|detected|content|message|score|filter)`, `(looks|appears) (like|to be) spam`,
	}},
	{CategoryVirusRelated, []string{
		`\bvirus`, `malware`, `\binfected\b`, `trojan`, `\bworm\b`, `ransomware`,
	}},
	{CategoryInvalidSender, []string{
		`sender (address |domain )?(is )?(rejected|refused|denied|invalid|unknown|not (allowed|permitted|accepted))`,
		`not a member of`, `permission to post`, `unrout\w* sender`, `provide a valid from`,
		`groups\.google\.com/support`, // Google Groups, in every language: the group refuses the sender's post
		`(domain|address) of sender( address)? .{0,80}(does not|doesn't|did not) (exist|resolve)`,
		`sender (domain|address) .{0,40}(does not|doesn't|must) (exist|resolve)`,
		`sender verif\w* failed`, `(unverif\w*|could not verify|cannot verify|unable to verify) (the )?sender`,
		`sender address verification`, `invalid (sender|mail from|from address|return.?path|envelope.?from)`,
		`(mail from|envelope.?from|return.?path)( address)? (rejected|refused|denied|invalid)`,
		`(do|does) not have (the )?permission to (post|send)`, `not (allowed|permitted|authori[sz]ed) to (post|send)`,
		`only members (can|may) (post|send)`, `unknown sender`, `sender unknown`, `bad sender`,
	}},
	{CategoryPolicyRelated, []string{
		`\bspf\b`, `\bdkim\b`, `\bdmarc\b`, `unauthenticated (e-?)?mail`, `authentication (information|check|result)`,
		`reverse (dns|lookup|hostname|name)`, `\bptr\b`, `\brdns\b`, `ip name lookup failed`,
		`(cannot|can't|could not|couldn't|unable to) (find|resolve|look ?up|verify) your (host ?name|ip|address|domain)`,
		`without a valid sender domain`, `(hostname|host name|domain|helo) .{0,30}mismatch`, `mismatches client ip`,
		`potential security issue`, `content presents a potential`, `unverif\w* sending ip`,
	}},
	{CategoryPolicyRelated, []string{
		`\b5\d\d:? : user unknown`, // KDDI (au): the recipient's filter refused the sender
	}},
	{CategoryInactiveMailbox, []string{
		`(account|mail ?box|user|address|recipient)\S* (has been |is |was |currently )?(temporarily )?(disabled|deactivated|inactive|suspended|expired|closed|frozen|locked|terminated|discontinued|de-?activated)`,
		`(recipient|user)('s)? (account|mail ?box) (is |has been )?blocked`,
		`(disabled|deactivated|inactive|suspended|expired|closed|frozen|locked|dormant) (e-?mail |recipient |user )?(account|mail ?box|user|address|recipient)`,
		`(is|account) not active`, `no longer (active|in use|used)`, `user account disabled`,
	}},
	{CategorySpamRelated, []string{
		`spam`, `junk ?mail`, `unsolicited`, `\bbulk (e-?)?mail`, `black ?list`, `block ?list`, `deny ?list`,
		`\brbl\b`, `dnsbl`, `spamhaus`, `spamcop`, `\bsorbs\b`, `barracuda`, `cloudmark`, `open relay`,
		`reputation`, `complaints`, `smtp server of your isp`, `your (isp|provider)'?s? (smtp|mail) server`,
		`(relay|sending|daily|hourly|send) (quota|limit)`, `\buce\b`, `mail flood`, `dynamic (ip|address)`, `dial-?up`, `residential`,
		`(is|are|currently|been) listed (on|in|at|by)`, `blocked`, `client host .{0,40}rejected`,
		`refused to talk to me`, `not accepting connections`, `banned sending ip`, `\bts0[1-4]\b`,
		`(connection|ip|host|sender) .{0,20}(refused|rejected) (due to|because of) .{0,40}(policy|reputation|listing)`,
	}},
	{CategoryQuotaIssues, []string{
		`quota`, `(mail ?box|inbox|mail ?folder|account|user) (is |was )?(full|over)`, `full mail ?box`,
		`(mail ?box|inbox|account|disk|storage).{0,40}(full|exceed)`, `exceed.{0,20}(storage|disk|mail ?box|space)`,
		`(storage|disk) (space|allocation|limit)`, `insufficient (disk|storage)`, `no (more )?space`,
		`too many messages (in|on|for)`, `mailbox size limit`,
	}},
	{CategoryContentRelated, []string{
		`\bcontent (was |is )?(rejected|refused|blocked|filter|policy|violat|not (allowed|accepted|permitted))`,
		`(message|mail|e-?mail|prohibited|inappropriate|objectionable|forbidden|illegal|suspicious|unacceptable) content`,
		`attachment`, `message body`, `\bmime\b`, `banned (file|attachment)`, `file (type|extension|name)`,
		`8-bit data`, `headers? too (large|long|many)`, `too many headers`, `message too (large|big)`,
		`message (size|length) exceeds`, `size exceeds`, `exceeds (the )?(maximum|fixed)? ?(message )?size`,
	}},
	{CategoryRelayingIssues, []string{
		`relay(ing)? (access )?(is )?(denied|not (permitted|allowed|authori[sz]ed|accepted)|prohibited|refused|rejected)`,
		`unable to relay`, `(not|isn't) (permitted|allowed|authori[sz]ed) to relay`, `(we|i) do not relay`,
		`relaying (denied|not allowed|forbidden)`, `rcpthosts`, `not (a|an) (gateway|relay)`, `no relaying`,
		`cannot relay`, `can't relay`, `relay not`, `(not configured|not set up) to relay`, `insecure (mail )?relay`,
		`address is not verified`, `identities failed the check`,
	}},
	{CategoryRoutingErrors, []string{
		`host not found, try again`, `malformed or unexpected name server reply`,
		`temporary (dns|name service|lookup|resolver) (failure|error)`, `dns (lookup )?(timeout|timed out|servfail|temporary)`,
	}},
	{CategoryBadDomain, []string{
		`host (or domain name )?not found`, `host \S+ not found`, `(domain|host)( name)? (is )?(not found|unknown|does not exist|doesn't exist|not exist)`,
		`unknown (host|domain)`, `host unknown`, `no such (host|domain)`, `no (valid )?(mx|mail exchanger)`,
		`(couldn't|could not|cannot|can't|unable to) find (a |any )?(mail exchanger|mx|host|ip address)`,
		`unrout(e)?able (mail )?(domain|address)`, `nxdomain`, `domain (is )?not reachable`,
		`(^|[\s<(\[])([a-z0-9-]+\.)+[a-z]{2,}>? (does not|doesn't) exist`, `not accepting (network )?(messages|mail)`,
		`(does not|doesn't) accept (e-?)?mail`, `null mx`, `point to non-existent hosts`, `dns error`,
		`domain (is )?(not (hosted|configured|valid|accepted)|invalid)`, `mx (record )?(lookup|points)`,
		`domain .{0,40}(couldn't|could not|cannot|can't) be found`, `(domain|host) .{0,40}(wasn't|was not) found`,
	}},
	{CategoryBadMailbox, []string{
		`recipient address rejected: access denied`, // Exchange Online and others: no such recipient
		`(user|recipient|mail ?box|address|addressee|account|local.?part|alias)( name)? (is )?unknown`,
		`unknown (user|recipient|mail ?box|address|addressee|account|local.?part|alias|e-?mail)`,
		`no such (user|recipient|mail ?box|address|account|person|local user|e-?mail)`,
		`(user|recipient|mail ?box|address|account|e-?mail)( address)? (does not|doesn't|did not) exist`,
		`(user|recipient|mail ?box|address|account) (was |is )?not found`, `not (a )?valid (recipient|user|mail ?box|address)`,
		`invalid (recipient|mail ?box|user|address|account)`, `(bad|non-?existent|unknown) (destination )?(user|recipient|mail ?box|address|account)`,
		`no mail ?box`, `mail ?box (is )?unavailable`, `mailbox not available`, `not listed in`, `addressee unknown`,
		`(wasn't|was not|couldn't be|could not be|cannot be|can't be) found`, `does not exist`, `doesn't exist`,
		`(user|address|mailbox|recipient) (has )?(moved|changed)`, `no longer (valid|available|with)`,
		`(this|that) user doesn't have`, `not our customer`, `undeliverable address`,
		`check (if|that|whether) (the )?(e-?mail |recipient )?address is (correct|valid)`,
		`no valid recipients`, `unknown or illegal alias`, `user not found`,
	}},
	{CategoryMessageExpired, []string{
		`expired`, `retry time(out)? (not reached|exceeded)`, `time ?out exceeded`, `(queue|delivery) time (limit|exceeded)`,
		`(too long|maximum time) in (the )?queue`, `been in the queue too long`, `have been failing for`,
		`(could not|couldn't|unable to) (be )?deliver\w* .{0,40}(for|within|after|in) (the last )?\d+ ?(day|hour|minute|second)`,
		`not (been )?deliver\w* within`, `still undelivered`,
	}},
	{CategoryPolicyRelated, []string{
		`polic(y|ies)`,
	}},
})

// transportRules name failures of the connection or the conversation. They
// are tried after reasonRules and after the rule that a DSN's failed
// recipient with a 4.x.x status has expired: an MTA that gives up after
// temporary failures reports the last one, often a timeout.
var transportRules = compileRules([]ruleSrc{
	{CategoryBadConfiguration, []string{
		`misconfigur`, `configuration error`, `incorrectly configured`, `loops back to myself`, `mail loop`,
	}},
	{CategoryRoutingErrors, []string{
		`routing`, `too many hops`, `hop count`, `misrouted`,
	}},
	{CategoryNoAnswerFromHost, []string{
		`no answer`, `not responding`, `not reachable`, `timed out`, `time-?out`, `connection refused`, `did not accept our requests to connect`,
		`(could not|couldn't|unable to|failed to|cannot|can't) connect`, `no route to host`, `network is unreachable`,
		`host (is )?unreachable`,
	}},
	{CategoryRelayingIssues, []string{
		`\brelay`,
	}},
	{CategoryBadConnection, []string{
		`connection (reset|closed|dropped|lost|aborted)`, `lost connection`, `broken pipe`, `\btls\b`, `\bssl\b`,
		`starttls`, `handshake`,
	}},
	{CategoryPolicyRelated, []string{
		`policy`, `not authori[sz]ed`, `access denied`, `permission denied`, `prohibited`, `not permitted`,
		`not allowed`, `authenticat`, `greylist`, `rate limit`, `too many (connections|messages|recipients)`, `helo`, `ehlo`,
		`refused`, `denied`,
	}},
	{CategoryProtocolErrors, []string{
		`syntax`, `command (not )?(recognized|unrecognized|not implemented)`, `unrecognized command`, `bad sequence`,
		`protocol`, `line too long`, `pipelining`, `invalid (command|argument|parameter)`, `parameter not implemented`,
		`malformed`, `incorrectly constructed`,
	}},
	{CategoryOther, []string{
		`system error`, `internal (server |system )?error`, `mailer error`, `local delivery failed`, `command died`,
		`service (currently )?unavailable`,
	}},
})

func compileRules(src []ruleSrc) []textRule {
	out := make([]textRule, 0, len(src))
	for _, s := range src {
		r := textRule{cat: s.cat}
		for _, a := range s.alts {
			re := regexp.MustCompile(a)
			tree, err := syntax.Parse(a, syntax.Perl)
			if err != nil {
				panic(err) // MustCompile accepted it
			}
			var must [][]string
			for _, set := range requiredLiterals(tree.Simplify()) {
				if score(set) >= 2 { // shorter literals are too common to be worth a look
					must = append(must, set)
				}
			}
			r.alts = append(r.alts, alt{re: re, must: must})
		}
		out = append(out, r)
	}
	return out
}

// requiredLiterals returns sets of literals such that every match of re
// contains one literal of each set; nil when it finds none.
func requiredLiterals(re *syntax.Regexp) [][]string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return [][]string{{string(re.Rune)}}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var all [][]string
		for _, sub := range re.Sub {
			all = append(all, requiredLiterals(sub)...)
		}
		return all
	case syntax.OpAlternate:
		var any []string // one branch's best set each: a match holds one of them
		for _, sub := range re.Sub {
			var best []string
			for _, set := range requiredLiterals(sub) {
				if score(set) > score(best) {
					best = set
				}
			}
			if best == nil {
				return nil
			}
			any = append(any, best...)
		}
		return [][]string{any}
	}
	return nil
}

// score is how well a set of literals filters: its shortest one's length.
func score(lits []string) int {
	if len(lits) == 0 {
		return 0
	}
	n := len(lits[0])
	for _, l := range lits[1:] {
		n = min(n, len(l))
	}
	return n
}

// matchRules returns the category of the first rule matching text.
func matchRules(rules []textRule, text string) (string, bool) {
	if text == "" {
		return "", false
	}
	for i := range rules {
		for _, a := range rules[i].alts {
			if mayMatch(text, a.must) && a.re.MatchString(text) {
				return rules[i].cat, true
			}
		}
	}
	return "", false
}

// mayMatch reports whether text contains a literal of each set of must.
func mayMatch(text string, must [][]string) bool {
	for _, set := range must {
		found := false
		for _, m := range set {
			if strings.Contains(text, m) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// statusCategory maps a specific enhanced status code (RFC 3463 and the
// IANA registry of enhanced status codes) to a category; "" for codes that
// say too little (x.0.0, x.1.0, x.2.0 ...) or are unknown.
func statusCategory(st string) string {
	if len(st) < 5 {
		return ""
	}
	subj, det, _ := strings.Cut(st[2:], ".")
	d, _ := strconv.Atoi(det)
	switch subj {
	case "1":
		switch d {
		case 1, 3, 6:
			return CategoryBadMailbox // no such mailbox, bad address syntax, moved
		case 2, 10:
			return CategoryBadDomain // no such host, null MX (RFC 7505)
		case 7, 8:
			return CategoryInvalidSender
		}
	case "2":
		switch d {
		case 1:
			return CategoryInactiveMailbox
		case 2:
			return CategoryQuotaIssues
		case 3:
			return CategoryContentRelated // message larger than the mailbox takes
		}
	case "3":
		switch d {
		case 2:
			return CategoryBadDomain // system not accepting network messages
		case 3:
			return CategoryProtocolErrors
		case 4:
			return CategoryContentRelated // message too big for the system
		case 5:
			return CategoryBadConfiguration
		}
	case "4":
		switch d {
		case 1:
			return CategoryNoAnswerFromHost
		case 2:
			return CategoryBadConnection
		case 3, 6:
			return CategoryRoutingErrors
		case 4:
			return CategoryBadDomain // unable to route: the domain does not resolve
		case 7:
			return CategoryMessageExpired
		}
	case "5":
		if d != 0 {
			return CategoryProtocolErrors
		}
	case "6":
		return CategoryContentRelated
	case "7":
		switch {
		case d == 13:
			return CategoryInactiveMailbox // user account disabled
		case d == 17:
			return CategoryBadMailbox // mailbox owner has changed
		case d == 18:
			return CategoryBadDomain // domain owner has changed
		case d == 28:
			return CategorySpamRelated // mail flood
		case d >= 600 && d < 800:
			return CategorySpamRelated // Microsoft: banned sending IP, tenant over its limits
		default:
			return CategoryPolicyRelated
		}
	}
	return ""
}

// mailerExit returns the exit status a Diagnostic-Code of type X-Unix
// reports for a local delivery program ("X-Unix; 77"), or -1.
func mailerExit(diag string) int {
	typ, text, ok := splitTyped(diag)
	if !ok || !strings.EqualFold(typ, "x-unix") {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 0 || n > 255 {
		return -1
	}
	return n
}

// exitCategory maps a local mailer's exit status (sysexits.h) to a
// category: no such user and no such host are the address's fault, the
// rest is the receiving system's.
func exitCategory(code int) string {
	switch code {
	case 67: // EX_NOUSER
		return CategoryBadMailbox
	case 68: // EX_NOHOST
		return CategoryBadDomain
	}
	return CategoryOther
}
