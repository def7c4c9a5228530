package engine

import (
	"net/netip"

	"testing"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/msgauth"
	"github.com/volleymta/volley/spool"
)

// TestPlanFor: what a message needs follows the source's checks and the
// recipients' queues (one signing queue is enough), and nothing is asked
// of a config that signs, seals and checks nothing.
func TestPlanFor(t *testing.T) {
	cfg, probs := config.LoadText("t.conf", []byte("<source 127.0.0.1>\n check-spf-inbound yes\n</source>\n"+
		"<domain signed.test>\n dkim-sign yes\n</domain>\n<domain sealed.test>\n arc-seal yes\n</domain>\n"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	client := netip.MustParseAddr("127.0.0.1")
	checking := cfg.SourceFor(client, "", false)
	plain := cfg.SourceFor(netip.MustParseAddr("127.0.0.2"), "", false)
	msg := func(rcpts ...string) *spool.Message {
		m := &spool.Message{}
		for _, r := range rcpts {
			m.Recipients = append(m.Recipients, spool.Recipient{Addr: r})
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		src    *config.SourceSettings
		client netip.Addr
		m      *spool.Message
		want   plan
	}{
		{"nothing", plain, client, msg("a@other.test"), plan{}},
		{"source checks", checking, client, msg("a@other.test"), plan{checks: checks(true, false)}},
		{"no client: no checks", checking, netip.Addr{}, msg("a@other.test"), plan{}},
		{"one signing queue", plain, client, msg("a@other.test", "b@SIGNED.test"), plan{sign: true}},
		{"seal checks dkim and spf", plain, client, msg("a@sealed.test"), plan{seal: true, checks: checks(true, true)}},
		{"seal without a client", plain, netip.Addr{}, msg("a@sealed.test"), plan{seal: true, checks: checks(false, true)}},
	} {
		got := planFor(cfg, tc.src, tc.m, tc.client)
		if got.checks != tc.want.checks || got.seal != tc.want.seal || got.sign != tc.want.sign || (got.sign && got.signWith == nil) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		if got.any() != (tc.want != plan{}) {
			t.Errorf("%s: any() = %v", tc.name, got.any())
		}
	}
}

func checks(spf, dkim bool) msgauth.Checks { return msgauth.Checks{SPF: spf, DKIM: dkim} }
