package acct

import (
	"slices"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    field
		key  string
	}{
		{"type", fType, ""},
		{"dlvSourceIp", fDlvSourceIP, ""},
		{"DLVSOURCEIP", fDlvSourceIP, ""},
		{"envId", fEnvID, ""},
		{"envid", fEnvIDf, ""},
		{"ENVID", fEnvID, ""},
		{"header_X-Mailer", fHeader, "X-Mailer"},
		{"Header_x", fHeader, "x"},
		{"header_", fHeader, ""},
		{"arf_Source-IP", fARF, "Source-IP"},
		{"dlvTlsVerified", fExtra, "dlvTlsVerified"},
		{"", fExtra, ""},
	} {
		if f, key := classify(tc.name); f != tc.f || key != tc.key {
			t.Errorf("classify(%q) = %d %q, want %d %q", tc.name, f, key, tc.f, tc.key)
		}
	}
}

// TestFieldTable: every fixed field has a name, and every type's default selection
// starts with type and timeLogged (reference §4: "first column is always type").
func TestFieldTable(t *testing.T) {
	for f := fType; f < fieldCount; f++ {
		if (fieldNames[f] == "") != (f == fHeader || f == fARF || f == fExtra) {
			t.Errorf("field %d named %q", f, fieldNames[f])
		}
	}
	for ty := Delivered; ty < typeCount; ty++ {
		if defaultFields[ty]&setOf(fType, fTimeLogged) != setOf(fType, fTimeLogged) {
			t.Errorf("%s: default fields lack type or timeLogged", ty)
		}
		if defaultFields[ty]&setOf(fHeader, fARF, fExtra) != 0 {
			t.Errorf("%s: default fields include an open-ended column", ty)
		}
	}
}

func TestSelectFields(t *testing.T) {
	names := func(cols []column) []string {
		var l []string
		for _, c := range cols {
			l = append(l, c.name)
		}
		return l
	}
	for _, tc := range []struct {
		ty   Type
		spec []string
		want []string
	}{
		{TransientQueue, nil, []string{"type", "timeLogged", "dsnStatus", "dsnDiag", "dsnMta", "dlvType", "dlvSourceIp", "dlvDestinationIp", "vmta", "queue", "queueMode", "dlvWarmup"}},
		{TransientQueue, []string{"*", "!dsnDiag", "header_X", "!dlvType", "!header_x"}, []string{"type", "timeLogged", "dsnStatus", "dsnMta", "dlvSourceIp", "dlvDestinationIp", "vmta", "queue", "queueMode", "dlvWarmup"}},
		{Delivered, []string{"rcpt", "RCPT", "orig"}, []string{"rcpt", "orig"}},
		{Feedback, []string{"rcpt", "arf_Feedback-Type", "dlvSize"}, []string{"rcpt", "arf_Feedback-Type", "dlvSize"}},
	} {
		cols, err := selectFields(tc.ty, tc.spec, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(cols); !slices.Equal(got, tc.want) {
			t.Errorf("selectFields(%s, %q) = %q, want %q", tc.ty, tc.spec, got, tc.want)
		}
	}
	// Volley's columns: queueMode in d, b, t, tq; dlvWarmup in d, t, tq (b is no attempt).
	for ty := Delivered; ty < typeCount; ty++ {
		cols, _ := selectFields(ty, nil, false)
		got := names(cols)
		wantMode := ty == Delivered || ty == Bounced || ty == Transient || ty == TransientQueue
		wantWarm := wantMode && ty != Bounced
		if slices.Contains(got, "queueMode") != wantMode || slices.Contains(got, "dlvWarmup") != wantWarm {
			t.Errorf("selectFields(%s, *) = %q: queueMode %v, dlvWarmup %v wanted", ty, got, wantMode, wantWarm)
		}
	}
	for _, bad := range [][]string{{"nope"}, {"*", "!nope"}, {""}} {
		if _, err := selectFields(Delivered, bad, false); err == nil {
			t.Errorf("selectFields(%q) accepted", bad)
		}
	}
}
