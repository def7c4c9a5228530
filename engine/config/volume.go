package config

// Data-volume rates (PowerMTA §3.3.10.37, §3.3.12.3): bytes of mail per
// interval, for receivers and IP warm-up plans that meter volume rather
// than messages.

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// VolumeRate is SIZE/INT: Bytes per Per; the zero value is unlimited.
type VolumeRate struct {
	Bytes int64
	Per   time.Duration
}

// Unlimited reports whether v sets no limit.
func (v VolumeRate) Unlimited() bool { return v.Bytes == 0 || v.Per == 0 }

// String is the canonical form: "unlimited", or SIZE/[N]UNIT ("500M/h").
func (v VolumeRate) String() string {
	if v.Unlimited() {
		return "unlimited"
	}
	r := Rate{Count: 1, Per: v.Per}.String()
	return canonSize(v.Bytes) + r[strings.IndexByte(r, '/'):]
}

// ParseVolumeRate parses SIZE/[N]UNIT, SIZE as for max-message-size (512,
// 10k, 20M, 1G) and the interval as for max-msg-rate ("500M/h", "2G/d",
// "10M/15m"), or "unlimited" or "0".
func ParseVolumeRate(s string) (VolumeRate, error) {
	t := lowerASCII(strings.TrimSpace(s))
	if t == "unlimited" || t == "0" {
		return VolumeRate{}, nil
	}
	size, per, ok := strings.Cut(t, "/")
	bad := errors.New("expected a data volume rate like 500M/h, 2G/d, 10M/15m or unlimited, got " + strconv.Quote(s))
	if !ok {
		return VolumeRate{}, bad
	}
	n, err := ParseSize(size)
	if err != nil || n <= 0 {
		return VolumeRate{}, bad
	}
	r, err := ParseRate("1/" + per)
	if err != nil {
		return VolumeRate{}, bad
	}
	return VolumeRate{Bytes: n, Per: r.Per}, nil
}

// Rate is v as a Rate of bytes, for the limiters.
func (v VolumeRate) Rate() Rate {
	if v.Unlimited() {
		return Rate{}
	}
	return Rate{Count: v.Bytes, Per: v.Per}
}

// SourceIPVolumeRate is source-ip-max-data-volume-rate CIDR RATE.
type SourceIPVolumeRate struct {
	Prefix netip.Prefix
	Rate   VolumeRate
}

var cVolumeRate = codec[VolumeRate]{parse: ParseVolumeRate, format: VolumeRate.String}

var cPrefixVolumeRate = codec[SourceIPVolumeRate]{
	parse: func(s string) (SourceIPVolumeRate, error) {
		a, b, ok := strings.Cut(s, " ")
		if !ok {
			return SourceIPVolumeRate{}, errExpected("CIDR RATE like 192.0.2.0/24 500M/h", s)
		}
		p, err := ParsePrefix(a)
		if err != nil {
			return SourceIPVolumeRate{}, err
		}
		r, err := ParseVolumeRate(b)
		return SourceIPVolumeRate{p, r}, err
	},
	format: func(r SourceIPVolumeRate) string { return r.Prefix.String() + " " + r.Rate.String() },
}

func setBackoffVolumeRate(t *target, v string) error {
	r, err := ParseVolumeRate(v)
	if err == nil {
		t.dom.BackoffMaxDataVolumeRate, t.dom.backoffVolumeRateSet = r, true
	}
	return err
}

// SourceVolumeRate is the source-ip-max-data-volume-rate of the first
// prefix holding a, unlimited when none does.
func (d *DomainSettings) SourceVolumeRate(a netip.Addr) VolumeRate {
	for _, l := range d.SourceIPMaxDataVolumeRate {
		if a.IsValid() && l.Prefix.Contains(a) {
			return l.Rate
		}
	}
	return VolumeRate{}
}
