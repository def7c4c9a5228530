package inbound

import "time"

// appendReceived appends the Received header of RFC 5321 §4.4, with the
// TLS comment Postfix writes when the session is encrypted:
//
//	Received: from HELO ([IP])
//		(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)
//		by HOST (Volley) with ESMTPS; DATE
//
// With hide-message-source the from clause (the client's name and
// address) is left out, as Gmail leaves it out of its submission hops.
func appendReceived(dst []byte, ss *session, now time.Time) []byte {
	dst = append(dst, "Received: "...)
	if !ss.src.HideMessageSource {
		dst = append(dst, "from "...)
		helo := ss.helo
		if helo == "" {
			helo = "unknown"
		}
		dst = append(dst, helo...)
		dst = append(dst, " (["...)
		dst = ss.remote.Addr().Unmap().AppendTo(dst)
		dst = append(dst, "])\r\n\t"...)
	}
	if ss.tlsVersion != "" {
		dst = append(dst, "(using "...)
		dst = append(dst, ss.tlsVersion...)
		dst = append(dst, " with cipher "...)
		dst = append(dst, ss.tlsCipher...)
		dst = append(dst, ")\r\n\t"...)
	}
	dst = append(dst, "by "...)
	dst = append(dst, ss.pol.hostname...)
	dst = append(dst, " (Volley) with "...)
	dst = append(dst, protocolName(ss.srv.TLS(), ss.srv.Authenticated())...)
	if len(ss.tx.rcpts) == 1 {
		dst = append(dst, "\r\n\tfor <"...)
		dst = append(dst, ss.tx.rcpts[0].Addr...)
		dst = append(dst, '>')
	}
	dst = append(dst, ";\r\n\t"...)
	dst = now.AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 -0700")
	return append(dst, "\r\n"...)
}

// protocolName is the "with" keyword of RFC 3848.
func protocolName(tls, auth bool) string {
	switch {
	case tls && auth:
		return "ESMTPSA"
	case tls:
		return "ESMTPS"
	case auth:
		return "ESMTPA"
	}
	return "ESMTP"
}
