package inbound

// The step between DATA and the commit where a message is authenticated:
// inbound checks written into Authentication-Results, ARC sealing and DKIM
// signing (DESIGN.md: once per message, before the commit). The work runs
// off the loop, on the engine's workers, since an RSA signature costs about
// a millisecond and the checks wait on DNS.

import (
	"net/netip"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// Preparer does a message's pre-commit work.
type Preparer interface {
	// Wants reports whether m, injected under src, needs preparing. It runs
	// on the loop for every message, so it only reads the config.
	Wants(cfg *config.Config, src *config.SourceSettings, m *spool.Message) bool
	// Prepare does the work off the loop and calls done, on any goroutine,
	// with the body to commit (the given one with header fields prepended),
	// or an error that fails the message with a transient reply.
	Prepare(job *PrepareJob, done func(body []byte, err error))
}

// PrepareJob is one message to prepare and what the session knew of it.
type PrepareJob struct {
	Config *config.Config
	Source *config.SourceSettings
	Msg    *spool.Message
	Body   []byte
	Client netip.Addr // zero for pickup and HTTP injection
	HELO   string
}

var replyPrepareFailed = smtpwire.Reply{Code: smtpwire.C451LocalError, Enh: smtpwire.E430SystemOther,
	Text: "Local error in processing, try again later"}

// prepareThenCommit runs the Preparer, then commits what it returns; the
// session waits (as for a commit) until the spool answers.
func (ss *session) prepareThenCommit(m *spool.Message, body []byte) {
	r, svc := ss.r, ss.svc
	job := &PrepareJob{Config: ss.pol.cfg, Source: ss.src, Msg: m, Body: body, Client: ss.remote.Addr(), HELO: ss.helo}
	svc.opts.Prepare.Prepare(job, func(out []byte, err error) {
		if err != nil {
			_ = r.Post(func() { ss.prepareFailed(err) })
			return
		}
		svc.opts.Commit.Commit(m, out, func(id spool.ID, err error) {
			_ = r.Post(func() { ss.committed(id, m, out, err) })
		})
	})
}

// prepareFailed answers a message whose preparation failed (a signing key
// that stopped working): 451, nothing stored, the session goes on.
func (ss *session) prepareFailed(err error) {
	ss.svc.logf("inbound: %s: message not prepared: %v", ss.remote, err)
	ss.partFailed(&replyPrepareFailed)
	ss.partDone()
}
