package acct

// RFC 4180 quoting by hand: encoding/csv's Writer takes []string rows and a bufio.Writer,
// which would make every record cost a slice and a copy. The rules are the ones its
// Writer applies (less the `\.` special case, which is for PostgreSQL): a field holding
// a comma, a double quote, CR or LF, or starting with a space or tab, is enclosed in
// double quotes, with each double quote doubled (RFC 4180 §2 rules 6 and 7).

// appendCSV appends s as one CSV field.
func appendCSV[S ~string | ~[]byte](dst []byte, s S) []byte {
	if !needsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

func needsQuotes[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	if s[0] == ' ' || s[0] == '\t' {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}
