package fbl

import (
	"regexp"
	"strconv"
)

// abusixVersion is a version of the first XARF JSON schemas (abusix/xarf:
// "Version", "ReporterInfo", "Report" with "ReportClass" and "ReportType").
// Each version is a fixed schema; later ones add report types and fields.
type abusixVersion uint8

const (
	abusixAlpha abusixVersion = iota // no Version field required
	abusix1
	abusix2 // adds InternalProcessing
	abusix3 // adds ReporterType, FileHash objects, exploits, accounts, harassment, web crawlers
	abusixDevelopment
	abusixVersionCount
)

// Version field values, indexed by abusixVersion.
var abusixVersionNames = [abusixVersionCount]string{"alpha", "1", "2", "3", "development"}

func (v abusixVersion) String() string { return abusixVersionNames[v] }

// abusixRules are one version's rules: those on the document around the
// Report, and per report type those on the Report.
type abusixRules struct {
	base, reportBase *schema
	types            []reportType
}

// reportType is one report type: the schema's ReportClass and ReportType
// values pick it, exactly as its enums would.
type reportType struct {
	class, typ string
	report     *schema
}

// check validates doc, the decoded JSON object. The published schema is a
// oneOf over the report types; since no two types share a ReportClass and
// ReportType pair, a document matches that oneOf exactly when it has a
// Report whose pair names a type and which meets that type's rules.
func (r *abusixRules) check(doc map[string]any, v abusixVersion) error {
	if err := r.base.check(doc, ""); err != nil {
		return err
	}
	rep, ok := doc["Report"].(map[string]any)
	if !ok {
		if _, present := doc["Report"]; !present {
			return fail("Report", "required")
		}
		return fail("Report", "not an object")
	}
	if err := r.reportBase.check(rep, "Report"); err != nil {
		return err // the pair itself is missing or of the wrong type
	}
	class, _ := rep["ReportClass"].(string)
	typ, _ := rep["ReportType"].(string)
	for _, t := range r.types {
		if t.class == class && t.typ == typ {
			return t.report.check(rep, "Report")
		}
	}
	return fail("Report", "no XARF version "+v.String()+" report type has ReportClass "+strconv.Quote(class)+
		" and ReportType "+strconv.Quote(typ))
}

// abusixShared are the building blocks that xarf_shared.schema.json
// defines, as they stand in one version.
type abusixShared struct {
	v                                       abusixVersion
	ip, port, ports, asn, date, hash        *schema
	reportBase, ipBased, ipAndURL, file     *schema
	commonProps, destination, trafficStats  *schema
	email, service, transport, reporterInfo *schema
}

func newAbusixShared(v abusixVersion) *abusixShared {
	s := &abusixShared{v: v}
	s.ip = oneOf(strFormat(fmtIPv4), strFormat(fmtIPv6))
	s.port = intRange(0, 65535)
	s.ports = oneOf(arrayOf(s.port), s.port)
	s.asn = intRange(1, 4199999999) // the schemas' bound, above 32-bit AS numbers
	s.date = object(p("Date", strFormat(fmtDateTime)), p("FirstSeen", strFormat(fmtDateTime))).need("Date")
	s.hash = object(p("HashValue", str()),
		p("HashAlgorithm", strEnum("sha1", "sha2", "sha3", "sha256", "sha512", "md5", "argon2id", "scrypt", "bcrypt", "pbkdf2")),
		p("HashComplete", boolean())).need("HashValue", "HashAlgorithm")

	base := []prop{p("ReportClass", strEnum("Content", "Activity", "Vulnerability")), p("ReportType", strMin(1)),
		p("ReportSubType", str()), p("ReporterCaseID", str()), p("ReporterSeverity", strEnum("low", "medium", "high")),
		p("ReporterNotes", str())}
	if v >= abusix1 {
		base = append(base, p("Custom", object().otherValues(anyOf(str(), integer()))))
	}
	s.reportBase = object(base...).need("ReportClass", "ReportType")
	s.ipBased = allOf(s.reportBase, s.date,
		object(p("SourceIp", s.ip), p("SourcePort", s.port), p("ASN", s.asn)).need("SourceIp"))
	s.ipAndURL = allOf(s.reportBase, s.date, object(p("SourcePort", s.port)),
		anyOf(object(p("SourceIp", s.ip), p("ASN", s.asn)).need("SourceIp"),
			object(p("SourceUrl", strFormat(fmtURI))).need("SourceUrl")))

	fileHash := str()
	if v >= abusix3 {
		fileHash = s.hash
	}
	s.file = object(p("FileName", str()), p("FileSize", intMin(0)), p("FileHash", fileHash)).need("FileName")
	sample := &schema{kind: objectKind, anyOf: []*schema{
		fields(p("ContentType", str()), p("Base64Encoded", boolean()), p("Description", str()), p("Payload", str())).
			need("ContentType", "Payload"),
		s.file,
	}}
	s.commonProps = object(p("Ongoing", boolean()), p("ThreatActor", str()),
		p("Samples", &schema{kind: arrayKind, items: sample, minItems: 1}))
	s.destination = object(p("DestinationIp", s.ip), p("DestinationPort", s.ports))
	s.trafficStats = object(p("ByteCount", integer()), p("PacketCount", integer()))

	from, to := "SmtpMailFromAddress", "SmtpRcptToAddress"
	if v == abusixAlpha {
		from, to = "FromAddress", "ToAddress"
	}
	s.email = object(p(from, strFormat(fmtEmail)), p(to, strFormat(fmtEmail)))
	s.service = object(p("ServiceName", str()), p("ServiceVersion", str()))
	if v < abusix3 {
		s.service.need("ServiceName")
	}
	s.transport = object(p("TransportProtocol", strEnum("tcp", "udp")))
	s.reporterInfo = s.party("Reporter", "ReporterOrg", "ReporterOrgDomain", "ReporterOrgEmail",
		"ReporterOrgAddress", "ReporterContactEmail", "ReporterContactName", "ReporterContactPhone")
	return s
}

// party builds ReporterInfo or OnBehalfOf. Up to version 2 the
// organisation's name, domain and address are always required. From
// version 3 a Person may leave them out: the schema requires them "if not
// Type is Person", which, as JSON Schema reads it, holds only when the
// Type field is present and not "Person".
func (s *abusixShared) party(prefix, org, domain, mail string, more ...string) *schema {
	props := []prop{p(org, strMin(3)), p(domain, strFormat(fmtHostname)), p(mail, strFormat(fmtEmail))}
	for _, name := range more {
		switch name {
		case "ReporterOrgAddress":
			props = append(props, p(name, str()))
		case "ReporterContactEmail", "ComplainantContactEmail":
			props = append(props, p(name, strFormat(fmtEmail)))
		default:
			props = append(props, p(name, strMin(3)))
		}
	}
	if s.v < abusix3 {
		return object(props...).need(org, domain, mail)
	}
	typ := prefix + "Type"
	out := object(append(props, p(typ, constant("Org", "Person")))...)
	if prefix == "Reporter" {
		out.only() // only ReporterInfo is closed; OnBehalfOf is not
	}
	return out.when(not(fields(p(typ, constant("Person")))), requires(org, domain, mail), nil)
}

func (s *abusixShared) base() *schema {
	props := []prop{
		p("ReporterInfo", s.reporterInfo),
		p("OnBehalfOf", s.party("Complainant", "ComplainantOrg", "ComplainantOrgDomain", "ComplainantOrgEmail",
			"ComplainantContactEmail", "ComplainantContactName", "ComplainantContactPhone")),
		p("Disclosure", boolean()),
		p("Version", constant(s.v.String())),
	}
	if s.v >= abusix2 {
		data := object().otherValues(str())
		props = append(props, p("InternalProcessing", object(
			p("SubscriberInformation", object(p("ID", str()), p("SubscriberData", data))),
			p("ContractInformation", object(p("ID", str()), p("ResolverData", data))),
			p("EventTags", arrayOf(str())))))
	}
	out := object(props...)
	if s.v == abusixAlpha {
		return out.need("ReporterInfo", "Disclosure")
	}
	return out.need("ReporterInfo", "Disclosure", "Version")
}

// classType is the part of every type schema that names its pair.
func classType(class, typ string, more ...prop) *schema {
	return object(append([]prop{p("ReportClass", strEnum(class)), p("ReportType", strEnum(typ))}, more...)...)
}

// CVSS vector grammars: CVSS v2 Complete Guide §2.4 (base, temporal and
// environmental groups, optionally in parentheses) and CVSS v3.0/v3.1
// Specification §6 (base, temporal, environmental).
const (
	cvss2Vector = `^\(?AV:[LAN]/AC:[HML]/Au:[MSN]/C:[NPC]/I:[NPC]/A:[NPC]` +
		`(/E:(ND|POC|[UFH])/RL:([WU]|ND|OF|TF)/RC:(C|ND|UC|UR))?` +
		`(/CDP:([NLH]|ND|LM|MH)/TD:(ND|[NLMH])/CR:(ND|[NLMH])/IR:(ND|[LMH])/AR:(ND|[LMH]))?\)?$`
	cvss3Vector = `^CVSS:3\.[01]/AV:[NALP]/AC:[LH]/PR:[NLH]/UI:[NR]/S:[UC]/C:[NLH]/I:[NLH]/A:[NLH]` +
		`(/E:[XUPFH]/RL:[XOTWU]/RC:[XURC])?` +
		`(/CR:[XLMH]/IR:[XLMH]/AR:[XLMH]/MAV:[XNALP]/MAC:[XLH]/MPR:[XNLH]/MUI:[XNR]/MS:[XUC]/MC:[XNLH]/MI:[XNLH]/MA:[XNLH])?$`
	cveID = `^CVE-[0-9]{4}-[0-9]{4,7}$` // CVE numbering: year, then 4 to 7 digits
)

// newAbusixRules builds one version's rules.
func newAbusixRules(v abusixVersion) *abusixRules {
	s := newAbusixShared(v)
	r := &abusixRules{base: s.base(), reportBase: s.reportBase}
	add := func(class, typ string, parts ...*schema) {
		r.types = append(r.types, reportType{class, typ, allOf(parts...)})
	}
	add("Activity", "Malware", s.ipBased, classType("Activity", "Malware", // RPZ rewrites
		p("ReportSubType", strEnum("RPZ-Rewrite")), p("RpzDomain", strFormat(fmtHostname)), p("MalwareName", str())))
	add("Activity", "DOS", s.ipBased, classType("Activity", "DOS"), s.destination, s.trafficStats, s.commonProps)
	malware := classType("Content", "Malware", p("MalwareName", str()))
	if v < abusix3 {
		malware.need("SourceUrl")
	}
	add("Content", "Malware", s.ipAndURL, malware, s.commonProps)
	add("Content", "Phishing", s.ipAndURL, classType("Content", "Phishing").need("SourceUrl"), s.commonProps)
	add("Activity", "PortScan", s.ipBased, classType("Activity", "PortScan"), s.destination, s.trafficStats, s.commonProps)
	add("Activity", "Spam", s.ipBased, classType("Activity", "Spam"), s.destination, s.commonProps, s.email)

	copyright := []prop{p("InfringedMaterial", str()), p("MaterialType", str()), p("SharingProtocol", str()),
		p("CourtOrder", strFormat(fmtURI))}
	trademark := []prop{p("TrademarkedMaterial", str()), p("RegistrationOffice", str()), p("RegistrationNumber", str())}
	if v == abusixAlpha {
		copyright = append(copyright, p("InfringingUrl", strFormat(fmtURI)))
		trademark = append(trademark, p("InfringingUrl", strFormat(fmtURI)))
	}
	add("Content", "Copyright", s.ipAndURL,
		classType("Content", "Copyright", copyright...).need("ReportClass", "ReportType", "InfringedMaterial"), s.file)
	add("Content", "Trademark", s.ipAndURL, classType("Content", "Trademark", trademark...).need("TrademarkedMaterial"))
	add("Activity", "LoginAttack", s.ipBased, classType("Activity", "LoginAttack"), s.destination, s.trafficStats, s.commonProps)
	if v == abusixDevelopment {
		add("Content", "ChildSexualAbuseMaterial", s.ipAndURL,
			classType("Content", "ChildSexualAbuseMaterial", p("ReportSubType", strEnum("Link-Sharing"))))
	} else {
		add("Content", "ChildAbuse", s.ipAndURL, classType("Content", "ChildAbuse"))
	}
	add("Content", "Botnet", s.ipAndURL, classType("Content", "Botnet", p("BotnetName", str())), s.commonProps)
	if v >= abusix1 {
		open := []*schema{s.ipAndURL, classType("Vulnerability", "OpenService"), s.transport, s.service}
		if v >= abusix3 {
			open = append(open, requires("ServiceName"))
		}
		add("Vulnerability", "OpenService", append(open, s.commonProps)...)
	}
	if v >= abusix3 {
		s.addVersion3Types(add)
	}
	return r
}

// addVersion3Types adds the report types that version 3 introduced.
func (s *abusixShared) addVersion3Types(add func(class, typ string, parts ...*schema)) {
	cvss := object(p("Score", number()), p("Version", strEnum("3.1", "3.0", "2")), p("Vector", str()),
		p("Severity", str())).need("Version", "Vector").when(
		fields(p("Version", constant("2"))),
		fields(p("Severity", constant("Low", "Medium", "High")),
			p("Vector", &schema{pattern: regexp.MustCompile(cvss2Vector)})),
		fields(p("Severity", constant("None", "Low", "Medium", "High", "Critical")),
			p("Vector", &schema{pattern: regexp.MustCompile(cvss3Vector)})))
	add("Activity", "Exploit", s.ipBased, classType("Activity", "Exploit"), s.transport,
		object(p("CVE", strPattern(regexp.MustCompile(cveID)))), object(p("CVSS", cvss)),
		s.destination, s.service, s.commonProps)

	// An account report names an account, not a source: it must not also
	// be a report about an IP address or URL.
	account := &schema{kind: objectKind, minProps: 1, props: []prop{
		p("AccountIdentifier", &schema{kind: stringKind, not: &schema{format: fmtEmail}}),
		p("AccountEmail", str()),
	}}
	add("Activity", "PotentiallyCompromisedAccount",
		s.reportBase, s.date, object(p("Account", account)).need("Account"),
		classType("Activity", "PotentiallyCompromisedAccount"), not(s.ipAndURL),
		object(p("AttackerIp", s.ip), p("AttackerPort", s.ports)), s.destination, s.commonProps,
		object(p("PasswordHash", s.hash)))
	add("Activity", "WebCrawler", s.ipAndURL, classType("Activity", "WebCrawler"), s.commonProps)
	add("Activity", "Harassment", s.ipAndURL, classType("Activity", "Harassment"),
		object(p("Harasser", str()), p("HarassmentDescription", str()),
			p("HarassmentType", constant("doxing", "stalking", "sexual", "believes", "defamation", "extortion", "hate")),
			p("HarassmentLocation", constant("website", "chat", "game"))).need("Harasser", "HarassmentDescription"),
		s.commonProps)
}
