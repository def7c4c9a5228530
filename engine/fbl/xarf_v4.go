package fbl

import (
	"regexp"
	"slices"
	"strconv"
)

// v4Rules are the XARF v4 rules (xarf.org, "xarf_version": "4.x.y"): the
// core every report meets, the category and type pairs, and per type the
// rules of its type schema for the types Volley reads complaints from
// (messaging: spam and bulk_messaging). Reports of other types are held
// to the core and the pair only.
type v4Rules struct {
	core  *schema
	types map[string]*schema // "category/type" → its type schema's own rules
}

// v4Types returns a category's types as the master schema pairs them.
func v4Types(category string) []string {
	switch category {
	case "messaging":
		return []string{"spam", "bulk_messaging"}
	case "connection":
		return []string{"login_attack", "port_scan", "ddos", "infected_host", "reconnaissance", "scraping",
			"sql_injection", "vulnerability_scan"}
	case "vulnerability":
		return []string{"cve", "open_service", "misconfiguration"}
	case "reputation":
		return []string{"blocklist", "threat_intelligence"}
	case "infrastructure":
		return []string{"botnet", "compromised_server"}
	case "content":
		return []string{"phishing", "malware", "csam", "csem", "exposed_data", "brand_infringement", "fraud",
			"remote_compromise", "suspicious_registration"}
	case "copyright":
		return []string{"copyright", "p2p", "cyberlocker", "ugc_platform", "link_site", "usenet"}
	}
	return nil
}

func newV4Rules() *v4Rules {
	contact := object(p("org", strMax(200)), p("contact", strFormat(fmtEmail)), p("domain", strFormat(fmtHostname))).
		need("org", "contact", "domain").only()
	evidence := object(p("content_type", str()), p("description", strMax(500)), p("payload", str()),
		p("hash", strPattern(regexp.MustCompile(`^(md5|sha1|sha256|sha512):[a-fA-F0-9]+$`))),
		p("size", intRange(0, 5<<20))).need("content_type", "payload").only()
	core := object(
		p("xarf_version", strPattern(regexp.MustCompile(`^4\.[0-9]+\.[0-9]+$`))),
		p("report_id", strFormat(fmtUUID)),
		p("timestamp", strFormat(fmtDateTime)),
		p("reporter", contact), p("sender", contact),
		p("source_identifier", str()),
		p("source_port", intRange(1, 65535)),
		p("category", strEnum("messaging", "content", "copyright", "connection", "vulnerability",
			"infrastructure", "reputation")),
		p("type", str()),
		p("evidence_source", str()),
		p("evidence", &schema{kind: arrayKind, items: evidence, maxItems: 50}),
		p("tags", &schema{kind: arrayKind, maxItems: 20,
			items: strPattern(regexp.MustCompile(`^[a-z0-9][a-z0-9_+-]*:[a-z0-9][a-z0-9_+-]*$`))}),
		p("confidence", numRange(0, 1)),
		p("description", strMax(1000)),
		p("legacy_version", strEnum("3")),
		p("_internal", object()),
	).need("xarf_version", "report_id", "timestamp", "reporter", "sender", "source_identifier", "category", "type")

	// Both messaging types need the envelope sender and the port when the
	// protocol is SMTP.
	smtp := func(s *schema) *schema {
		return s.when(fields(p("protocol", constant("smtp"))), requires("smtp_from", "source_port"), nil)
	}
	spam := smtp(object(
		p("evidence_source", strEnum("spamtrap", "user_complaint", "automated_filter", "honeypot", "content_analysis", "reputation_feed")),
		p("protocol", strEnum("smtp", "sms", "whatsapp", "telegram", "signal", "chat", "social_media", "push_notification", "other")),
		p("smtp_from", strFormat(fmtEmail)),
		p("smtp_to", strFormat(fmtEmail)),
		p("subject", strMax(500)),
		p("sender_name", strMax(200)),
		p("message_id", strMax(200)),
		p("user_agent", strMax(200)),
		p("recipient_count", intMin(1)),
		p("language", strPattern(regexp.MustCompile(`^[a-z]{2}(-[A-Z]{2})?$`))), // ISO 639-1, optional region
		p("spam_indicators", object(p("suspicious_links", arrayOf(strFormat(fmtURI))),
			p("commercial_content", boolean()), p("bulk_characteristics", boolean())).only()),
	).need("protocol"))
	bulk := smtp(object(
		p("evidence_source", strEnum("user_complaint", "automated_filter", "reputation_feed", "volume_analysis")),
		p("protocol", strEnum("smtp", "sms", "whatsapp", "telegram", "social_media", "push_notification", "other")),
		p("smtp_from", strFormat(fmtEmail)),
		p("subject", strMax(500)),
		p("sender_name", strMax(200)),
		p("recipient_count", intMin(100)),
		p("unsubscribe_provided", boolean()),
		p("opt_in_evidence", boolean()),
		p("bulk_indicators", object(p("commercial_sender", boolean()), p("high_volume", boolean()),
			p("template_based", boolean())).only()),
	).need("protocol", "recipient_count"))
	return &v4Rules{core: core, types: map[string]*schema{"messaging/spam": spam, "messaging/bulk_messaging": bulk}}
}

func (r *v4Rules) check(doc map[string]any) error {
	if err := r.core.check(doc, ""); err != nil {
		return err
	}
	category, _ := doc["category"].(string)
	typ, _ := doc["type"].(string)
	if !slices.Contains(v4Types(category), typ) {
		return fail("type", strconv.Quote(typ)+" is not a type of category "+strconv.Quote(category))
	}
	if s := r.types[category+"/"+typ]; s != nil {
		return s.check(doc, "")
	}
	return nil
}

// newLegacyRules builds the rules of the XARF v3 legacy schema that
// xarf.org publishes next to v4 ("Version": "3" or "3.0", a closed
// ReporterInfo and Report). It describes a different document from the
// abusix version 3 schema with the same Version value; a "3" document is
// valid when it meets either.
func newLegacyRules() *schema {
	port := intRange(1, 65535)
	sample := object(p("ContentType", str()), p("Payload", str()), p("Description", strMax(200))).
		need("ContentType", "Payload").only()
	return object(
		p("Version", strEnum("3", "3.0")),
		p("ReporterInfo", object(p("ReporterOrg", strMax(200)), p("ReporterOrgEmail", strFormat(fmtEmail)),
			p("ReporterOrgDomain", strFormat(fmtHostname))).need("ReporterOrg", "ReporterOrgEmail").only()),
		p("Report", object(
			p("ReportClass", strEnum("Activity")),
			p("ReportType", strEnum("Spam", "Login-Attack", "Port-Scan", "DDoS", "Phishing", "Malware", "Botnet", "Copyright")),
			p("Date", strFormat(fmtDateTime)),
			p("SourceIp", str()), p("SourcePort", port),
			p("DestinationIp", str()), p("DestinationPort", port),
			p("Protocol", strEnum("tcp", "udp", "icmp", "smtp")),
			p("SmtpMailFromAddress", strFormat(fmtEmail)),
			p("SmtpRcptToAddress", strFormat(fmtEmail)),
			p("SmtpMessageSubject", strMax(500)),
			p("Url", strFormat(fmtURI)),
			p("UserAgent", strMax(200)),
			p("AttackDescription", strMax(1000)),
			p("AttackCount", intMin(1)),
			p("Samples", &schema{kind: arrayKind, items: sample, maxItems: 10}),
		).need("ReportClass", "ReportType", "Date").only()),
	).need("Version", "ReporterInfo", "Report").only()
}
