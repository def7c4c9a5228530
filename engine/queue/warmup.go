package queue

import (
	"math"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// WarmupGrowth is how much a warming source's allowed rate grows each day
// (10%: PowerMTA users' habit), so that it reaches the domain's full rate
// on the last day of the warm-up: on day d (0 the first day of use) of a
// warm-up of D days the rate is full × 1.1^(d-D), capped at full. A 30-day
// warm-up starts at 5.7% of the full rate, a 7-day one at 51%.
const WarmupGrowth = 1.1

// WarmupTop is the full rate a warm-up ramps to when the domain sets no
// max-msg-rate: without a target the ramp would have nowhere to go.
var WarmupTop = config.Rate{Count: 100000, Per: 24 * time.Hour}

// WarmupRate returns the rate a source address first used at first may
// send at, at now, warming up over warmup to full (WarmupTop when full is
// unlimited). Past the warm-up it is full. At least one message per period
// is always allowed.
func WarmupRate(full config.Rate, first, now time.Time, warmup time.Duration) config.Rate {
	if warmup <= 0 {
		return full
	}
	f, held := WarmupFraction(first, now, warmup)
	if !held {
		return full
	}
	target := full
	if target.Unlimited() || target.Count <= 0 {
		target = WarmupTop
	}
	n := int64(math.Max(1, math.Floor(float64(target.Count)*f)))
	return config.Rate{Count: n, Per: target.Per}
}

// WarmupFraction returns the share of its full rate a source address first
// used at first is held to at now by a warm-up over warmup, 1.1^(d-D) on
// day d of D, and whether the warm-up holds it at all (false, with 1, past
// the warm-up or with none). Accounting (dlvWarmup) and the metrics
// (volley_warmup_fraction) show it; WarmupRate applies it.
func WarmupFraction(first, now time.Time, warmup time.Duration) (float64, bool) {
	if warmup <= 0 {
		return 1, false
	}
	days := math.Ceil(warmup.Hours() / 24)
	day := math.Floor(now.Sub(first).Hours() / 24)
	if day >= days {
		return 1, false
	}
	return math.Pow(WarmupGrowth, day-days), true
}

// Stricter returns the lower of two rates (an unlimited rate is never the
// lower one).
func Stricter(a, b config.Rate) config.Rate {
	switch {
	case a.Unlimited() || a.Count <= 0:
		return b
	case b.Unlimited() || b.Count <= 0:
		return a
	}
	if float64(a.Count)/a.Per.Seconds() <= float64(b.Count)/b.Per.Seconds() {
		return a
	}
	return b
}
