package benchout

import (
	"bytes"
	"io"
	"testing"
)

func TestWrite(t *testing.T) {
	r := struct {
		Held  int    `json:"held"`
		Error string `json:"error"`
	}{7, ""}
	summary := func(w io.Writer) { io.WriteString(w, "held 7\n") }
	for _, tc := range []struct {
		name   string
		asJSON bool
		want   string
	}{
		{"json", true, "{\n  \"held\": 7,\n  \"error\": \"\"\n}\n"},
		{"summary", false, "held 7\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tc.asJSON, r, summary); err != nil || b.String() != tc.want {
				t.Errorf("Write = %q, %v; want %q", b.String(), err, tc.want)
			}
		})
	}
}
