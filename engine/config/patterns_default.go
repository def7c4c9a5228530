package config

import "sync"

// DefaultPatternListName names Volley's built-in <smtp-pattern-list>: the
// list a domain without its own smtp-pattern-list uses. A config may
// define a list of this name to replace it.
const DefaultPatternListName = "volley-default"

// defaultPatternRules are the big receivers' throttling and reputation
// replies, written from the texts their postmaster pages document, each
// sending the queue to backoff mode: the receiver asks for a slower pace,
// and keeping the normal one only earns more deferrals (or a block).
// Mailbox-level replies (a full mailbox, an unknown user) are not here:
// they say nothing about the pace.
var defaultPatternRules = []string{
	// Gmail: "421-4.7.28 ... unusual rate of unsolicited mail", "421-4.7.0
	// ... temporarily rate limited", "450-4.2.1 The user you are trying to
	// contact is receiving mail at a rate that prevents additional messages".
	`/^4\d\d[ -]4\.7\.28/ mode=backoff`,
	`/unusual rate of unsolicited mail/ mode=backoff`,
	`/temporarily rate.?limited/ mode=backoff`,
	`/receiving mail at a rate that/ mode=backoff`,
	// Yahoo and AOL (Verizon Media): "421 4.7.0 [TSS04] Messages from ...
	// temporarily deferred due to unexpected volume or user complaints",
	// [TS01]-[TS03], [TSS09], [TSS11].
	`/\[TSS?\d+\]/ mode=backoff`,
	`/temporarily deferred due to (unexpected volume|user complaints)/ mode=backoff`,
	// Outlook.com and Microsoft 365: "451 4.7.650 The mail server [IP] has
	// been temporarily rate limited due to IP reputation", "421 4.7.66x",
	// "4.7.500 Server busy".
	`/^4\d\d[ -]4\.7\.(5\d\d|6\d\d)\b/ mode=backoff`,
	`/server busy\. please try again later/ mode=backoff`,
	// Apple iCloud: "421 4.7.0 ... mail from IP ... has been temporarily
	// rate limited" and "450 4.7.1 ... too many".
	`/\btoo many (messages|connections|sessions)\b/ mode=backoff`,
	// GMX and web.de (1&1): "421-4.7.0 ... Too many connections",
	// "4.7.0 ... temporarily blocked ... ratelimit".
	`/\bra?te.?limit/ mode=backoff`,
	`/temporarily (blocked|suspended)/ mode=backoff`,
	// Mail.ru: "421 4.7.0 ... Try again later, ratelimit exceeded";
	// Orange: "421 ... Service refuse. Veuillez essayer plus tard (OFR_999)";
	// Comcast: "421 ... RL000001 ... too many sessions / rate limited".
	`/veuillez essayer plus tard/ mode=backoff`,
	`/\bOFR_?\d+/ mode=backoff`,
	`/\bRL\d{6}\b/ mode=backoff`,
	// Generic: a receiver asking to slow down in its own words (not "try
	// again later", which greylisting says too).
	`/\b(slow down|throttl)/ mode=backoff`,
}

var defaultPatterns struct {
	once sync.Once
	list *SMTPPatternList
}

// DefaultPatternList returns Volley's built-in pattern list (see
// defaultPatternRules); the rules are case-insensitive.
func DefaultPatternList() *SMTPPatternList {
	defaultPatterns.once.Do(func() {
		l := &SMTPPatternList{Name: DefaultPatternListName}
		for _, line := range defaultPatternRules {
			r, problem := parseReplyRule(line)
			if problem != "" {
				panic("config: built-in smtp-pattern-list: " + line + ": " + problem)
			}
			l.Rules = append(l.Rules, r)
		}
		defaultPatterns.list = l
	})
	return defaultPatterns.list
}
