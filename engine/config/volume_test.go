package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseVolumeRate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  VolumeRate
		canon string
	}{
		{"500M/h", VolumeRate{500 << 20, time.Hour}, "500M/h"},
		{"2g/day", VolumeRate{2 << 30, 24 * time.Hour}, "2G/d"},
		{"10m/15m", VolumeRate{10 << 20, 15 * time.Minute}, "10M/15m"},
		{"1500/s", VolumeRate{1500, time.Second}, "1500/s"},
		{"1024KB/min", VolumeRate{1 << 20, time.Minute}, "1M/m"},
		{"unlimited", VolumeRate{}, "unlimited"},
		{"0", VolumeRate{}, "unlimited"},
	} {
		got, err := ParseVolumeRate(tc.in)
		if err != nil || got != tc.want || got.String() != tc.canon {
			t.Errorf("ParseVolumeRate(%q) = %+v (%q), %v; want %+v (%q)", tc.in, got, got.String(), err, tc.want, tc.canon)
		}
		if back, err := ParseVolumeRate(got.String()); err != nil || back != got {
			t.Errorf("%q does not parse back: %+v, %v", got.String(), back, err)
		}
	}
	for _, in := range []string{"", "500M", "/h", "0/h", "-1M/h", "500M/week", "lots/h", "500M/0h"} {
		if got, err := ParseVolumeRate(in); err == nil || !strings.Contains(err.Error(), "expected a data volume rate like 500M/h") {
			t.Errorf("ParseVolumeRate(%q) = %+v, %v; want an error", in, got, err)
		}
	}
	if r := (VolumeRate{10 << 10, time.Hour}).Rate(); r != (Rate{10 << 10, time.Hour}) || !(VolumeRate{}).Rate().Unlimited() {
		t.Errorf("Rate() = %v", r)
	}
}

// TestDataVolumeDirectives: the domain, source-IP, backoff, vMTA and pool
// forms; backoff follows max-data-volume-rate unless set; Dump writes
// them back.
func TestDataVolumeDirectives(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(`<virtual-mta v>
    max-smtp-data-volume-rate 2G/d
</virtual-mta>
<virtual-mta-pool p>
    virtual-mta v
    max-smtp-data-volume-rate 5G/d
</virtual-mta-pool>
<domain a.test>
    max-data-volume-rate 500M/h
    source-ip-max-data-volume-rate 192.0.2.0/24 50M/h
</domain>
<domain b.test>
    max-data-volume-rate 500M/h
    backoff-max-data-volume-rate 100M/h
</domain>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	a, b := c.Effective("a.test", ""), c.Effective("b.test", "")
	if a.MaxDataVolumeRate != (VolumeRate{500 << 20, time.Hour}) || a.BackoffMaxDataVolumeRate != a.MaxDataVolumeRate {
		t.Errorf("a.test: %+v, backoff %+v", a.MaxDataVolumeRate, a.BackoffMaxDataVolumeRate)
	}
	if b.BackoffMaxDataVolumeRate != (VolumeRate{100 << 20, time.Hour}) {
		t.Errorf("b.test backoff %+v", b.BackoffMaxDataVolumeRate)
	}
	if r := a.SourceVolumeRate(netip.MustParseAddr("192.0.2.7")); r != (VolumeRate{50 << 20, time.Hour}) {
		t.Errorf("source 192.0.2.7: %+v", r)
	}
	if r := a.SourceVolumeRate(netip.MustParseAddr("198.51.100.7")); !r.Unlimited() {
		t.Errorf("source 198.51.100.7: %+v", r)
	}
	if c.VMTA("v").MaxSMTPDataVolumeRate.String() != "2G/d" || c.Pool("p").MaxSMTPDataVolumeRate.String() != "5G/d" {
		t.Errorf("vmta %v, pool %v", c.VMTA("v").MaxSMTPDataVolumeRate, c.Pool("p").MaxSMTPDataVolumeRate)
	}
	dump := c.Dump()
	for _, line := range []string{"max-smtp-data-volume-rate 2G/d", "max-smtp-data-volume-rate 5G/d", "max-data-volume-rate 500M/h",
		"backoff-max-data-volume-rate 100M/h", "source-ip-max-data-volume-rate 192.0.2.0/24 50M/h"} {
		if !strings.Contains(dump, line) {
			t.Errorf("dump lacks %q:\n%s", line, dump)
		}
	}
	_, probs = LoadText("t.conf", []byte("<domain x>\nmax-data-volume-rate 500M\n</domain>\n"))
	if len(probs) != 1 || !strings.HasPrefix(probs[0].Error(), "t.conf:2: max-data-volume-rate: expected a data volume rate") {
		t.Errorf("problems %v", probs)
	}
}
