package engine

import (
	"context"
	"net/netip"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound"
	"github.com/volleymta/volley/spool"
)

// pickupSource stores the pickup directory's messages under the policy of
// <source {pickup}>, as a session stores under its source's (PowerMTA
// §8.4.1): the source's default-virtual-mta, X-Virtual-MTA and the job
// header where it processes them (the file's x-job line wins), then its
// pattern-list; recipients on its suppression-lists (or the runtime list)
// are bounced at injection, as for SMTP.
type pickupSource struct {
	to     routingAppender
	config func() *config.Config
	logf   func(string, ...any)
}

// Append stores m, or one message per vMTA when the pattern-list sends its
// recipients to several. A part that fails leaves the file to be picked up
// again, so the parts before it may be stored twice: never lost.
func (p pickupSource) Append(ctx context.Context, m *spool.Message, body []byte) (spool.ID, error) {
	cfg := p.config()
	src := pickupSettings(cfg)
	if m.VMTA == "" {
		m.VMTA = src.DefaultVirtualMTA
	}
	received := body
	body, vmta, job := inbound.RouteHeaders(src, body)
	switch fallback := cfg.Global.InvalidVirtualMTAFallback; {
	case vmta == "":
	case cfg.KnownVMTA(vmta):
		m.VMTA = vmta
	case fallback != "":
		m.VMTA = fallback
	default:
		p.logf("volleyd: pickup: message from <%s> names unknown virtual-mta %q; sent through %q", m.From, vmta, orDefault(m.VMTA, "the default"))
	}
	if m.Job == "" {
		m.Job = job
	}
	parts := []*spool.Message{m}
	if vmta == "" {
		if split := inbound.ChooseVMTAs(cfg, src, m, received); split != nil {
			parts = split
		}
	}
	var first spool.ID
	for i, part := range parts {
		id, err := p.to.appendFor(ctx, part, body, src.SuppressionLists)
		if err != nil {
			return first, err
		}
		if i == 0 {
			first = id
		}
	}
	return first, nil
}

// pickupSettings is the policy of the pickup directory's mail: the
// <source {pickup}> block over the defaults.
func pickupSettings(cfg *config.Config) *config.SourceSettings {
	return cfg.SourceFor(netip.Addr{}, "{pickup}", false)
}
