package fbl

import (
	"encoding/base64"
	"strings"
)

// Synthetic reports, written for these tests.

// arfReport builds an RFC 5965 report whose machine-readable part holds
// fields and whose third part is original (message/rfc822).
func arfReport(fields, original string) []byte {
	return []byte("From: FBL <fbl@isp.example>\r\n" +
		"To: fbl@volley.example\r\n" +
		"Subject: FW: Weekly offers\r\n" +
		"Date: Sat, 01 Mar 2025 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report;\r\n" +
		"\tboundary=\"arf_boundary\"\r\n" +
		"\r\n" +
		"--arf_boundary\r\n" +
		"Content-Type: text/plain; charset=us-ascii\r\n" +
		"\r\n" +
		"This is an email abuse report.\r\n" +
		"\r\n" +
		"--arf_boundary\r\n" +
		"Content-Type: message/feedback-report\r\n" +
		"\r\n" +
		fields +
		"\r\n" +
		"--arf_boundary\r\n" +
		"Content-Type: message/rfc822\r\n" +
		"Content-Disposition: inline\r\n" +
		"\r\n" +
		original +
		"\r\n" +
		"--arf_boundary--\r\n")
}

// testOriginal is a message as Volley delivers it.
const testOriginal = "Return-Path: <bounces+1234@news.volley.example>\r\n" +
	"From: News <news@volley.example>\r\n" +
	"To: Jane Doe <jane@Mail.Example>\r\n" +
	"Subject: Weekly offers\r\n" +
	"Message-ID: <20250301.0001@news.volley.example>\r\n" +
	"X-Volley-Job: spring-sale\r\n" +
	"X-Volley-VMTA: pool-a\r\n" +
	"\r\n" +
	"Offers.\r\n"

const abuseFields = "Feedback-Type: abuse\r\n" +
	"User-Agent: ISP-FBL/2.0\r\n" +
	"Version: 1\r\n" +
	"Original-Mail-From: <bounces+1234@news.volley.example>\r\n" +
	"Original-Rcpt-To: <jane@mail.example>\r\n" +
	"Arrival-Date: Sat, 01 Mar 2025 09:00:00 +0000\r\n" +
	"Source-IP: 192.0.2.25\r\n" +
	"Reported-Domain: news.volley.example\r\n" +
	"Incidents: 3\r\n"

// xarfMail wraps a XARF document the way abusix sends one by mail: an ARF
// report with Feedback-Type "xarf" and the document, base64, as its third
// part.
func xarfMail(doc []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(doc)
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	return []byte("From: Reporter <noreply@reporter.example>\r\n" +
		"To: fbl@volley.example\r\n" +
		"Subject: XARF report\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"x1\"\r\n" +
		"\r\n" +
		"--x1\r\n" +
		"Content-Type: text/plain\r\n" +
		"\r\n" +
		"A XARF report.\r\n" +
		"--x1\r\n" +
		"Content-Type: message/feedback-report\r\n" +
		"\r\n" +
		"Feedback-Type: xarf\r\n" +
		"User-Agent: Reporter/1.0\r\n" +
		"Version: 1\r\n" +
		"--x1\r\n" +
		"Content-Type: application/json; name=xarf.json\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=xarf.json\r\n" +
		"\r\n" +
		lines.String() +
		"--x1--\r\n")
}
