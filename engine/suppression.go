package engine

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/engine/suppress"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// suppression is the node's suppression lists: the <address-list> blocks
// a <source>'s suppression-lists names (checked at injection for that
// source's mail), and the runtime list, which the API and the automatic
// additions (hard bounces) change, checked for every recipient at
// injection and again before each delivery attempt. The runtime list is
// a journal beside the spool (<spool dir>.suppressions), so it survives
// restarts; a reload rebuilds the configured lists and keeps it.
type suppression struct {
	store *suppress.Store
	set   atomic.Pointer[suppress.Set]
}

// suppressionPath is where the runtime list's journal lives: beside the
// spool directory, not in it (Pebble owns that directory).
func suppressionPath(spoolDir string) string { return filepath.Clean(spoolDir) + ".suppressions" }

func openSuppression(cfg *config.Config, spoolDir string) (*suppression, error) {
	st, err := suppress.OpenStore(suppressionPath(spoolDir))
	if err != nil {
		return nil, fmt.Errorf("engine: suppression list: %w", err)
	}
	s := &suppression{store: st}
	set, err := s.build(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	s.set.Store(set)
	return s, nil
}

// build makes the Set of cfg's address lists and the runtime list. A list
// file that does not load or a suppression-lists naming no list is an
// error, so a reload with one is refused.
func (s *suppression) build(cfg *config.Config) (*suppress.Set, error) {
	var named []*suppress.List
	var problems []string
	for _, al := range cfg.AddressLists {
		spec := suppress.ListSpec{Name: al.Name, Addresses: al.Addresses, Domains: al.Domains, AddressFiles: al.AddressFiles}
		for _, h := range al.HashedFiles {
			spec.HashedFiles = append(spec.HashedFiles, suppress.HashedFile{File: h.File, Algorithm: h.Algorithm})
		}
		l, errs := suppress.LoadList(spec)
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("<address-list %s>: %v", al.Name, e))
		}
		named = append(named, l)
	}
	set, err := suppress.NewSet([]*suppress.List{s.store.List()}, named)
	if err != nil {
		return nil, fmt.Errorf("engine: suppression lists: %w", err)
	}
	if unknown := set.Unknown(cfg.SuppressionListNames()); len(unknown) > 0 {
		problems = append(problems, "suppression-lists names no <address-list>: "+strings.Join(unknown, ", "))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("engine: %s", strings.Join(problems, "; "))
	}
	return set, nil
}

// atInjection reports whether rcpt is suppressed for mail of a source
// whose suppression-lists are names, and by which list.
func (s *suppression) atInjection(rcpt string, names []string) (string, bool) {
	m, ok := s.set.Load().Check(rcpt, names)
	return m.List, ok
}

// injectionOutcome is the outcome of recipient rc of stored message id
// when a suppression list holds it (ok false otherwise, or with no
// suppression at all): SMTP's handoff and the pickup and API appender
// settle it instead of routing it.
func (s *suppression) injectionOutcome(id spool.ID, m *spool.Message, rc *spool.Recipient, names []string) (outbound.Outcome, bool) {
	if s == nil {
		return outbound.Outcome{}, false
	}
	list, ok := s.atInjection(rc.Addr, names)
	if !ok {
		return outbound.Outcome{}, false
	}
	return outbound.Outcome{Entry: queue.Entry{ID: id, Index: rc.Index, Addr: rc.Addr, Msg: m},
		Kind: outbound.Bounced, Reply: suppressedReply(list), Stage: smtpwire.StageRcpt, Category: "suppressed", NoDSN: true}, true
}

// atDelivery reports whether rcpt is on the runtime list (the source of
// a queued message is not known any more; its lists were checked at
// injection).
func (s *suppression) atDelivery(rcpt string) bool {
	_, ok := s.store.List().Check(rcpt)
	return ok
}

// suppressedReply is the diagnostic of a recipient dropped as suppressed.
func suppressedReply(list string) string {
	return "550 5.7.1 Recipient suppressed (list " + list + ")"
}

// addHardBounces puts hard-bounced recipients on the runtime list (one
// journal write and fsync for the burst). A failure is logged: the bounce
// itself is recorded already.
func addHardBounces(s *suppression, addrs []string, logf func(string, ...any)) {
	entries := make([]suppress.Entry, 0, len(addrs))
	for _, a := range addrs {
		if e, err := suppress.NewEntry(suppress.KindAddress, a); err == nil {
			entries = append(entries, e)
		}
	}
	if n, err := s.store.Add(entries...); err != nil {
		logf("volleyd: adding %d hard-bounced recipients to the suppression list: %v", len(entries), err)
	} else if n > 0 {
		logf("volleyd: %d hard-bounced recipients added to the suppression list", n)
	}
}

// Suppressions sums the lists in force.
func (rn *Running) Suppressions() []api.SuppressionList {
	var out []api.SuppressionList
	for _, l := range rn.sup.set.Load().Lists() {
		s := api.SuppressionList{Name: l.Name(), Entries: l.Len(), ByKind: map[string]int{}}
		for k := suppress.KindAddress; k <= suppress.KindMD5; k++ {
			if n := l.LenKind(k); n > 0 {
				s.ByKind[k.String()] = n
			}
		}
		out = append(out, s)
	}
	return out
}

// parseEntries reads API entries in list-file form.
func parseEntries(in []string) ([]suppress.Entry, error) {
	out := make([]suppress.Entry, 0, len(in))
	for _, s := range in {
		e, err := suppress.ParseEntry(s)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// SuppressAdd puts entries on the runtime list, durably (journal fsynced)
// before it returns; it returns how many were new.
func (rn *Running) SuppressAdd(entries []string) (int, error) {
	es, err := parseEntries(entries)
	if err != nil {
		return 0, err
	}
	n, err := rn.sup.store.Add(es...)
	if err == nil {
		rn.logf("volleyd: %d suppression entries added", n)
	}
	return n, err
}

// SuppressRemove takes entries off the runtime list.
func (rn *Running) SuppressRemove(entries []string) (int, error) {
	es, err := parseEntries(entries)
	if err != nil {
		return 0, err
	}
	n, err := rn.sup.store.Remove(es...)
	if err == nil {
		rn.logf("volleyd: %d suppression entries removed", n)
	}
	return n, err
}

// SuppressCheck says whether any list suppresses addr, and which.
func (rn *Running) SuppressCheck(addr string) api.SuppressionCheck {
	m, ok := rn.sup.set.Load().CheckAll(addr)
	c := api.SuppressionCheck{Address: addr, Suppressed: ok}
	if ok {
		c.List, c.Kind = m.List, m.Kind.String()
	}
	return c
}

// SuppressImport reads a file of entries into the runtime list; format is
// list (default), address-file, sha256 or md5.
func (rn *Running) SuppressImport(r io.Reader, format string) (api.SuppressionImport, error) {
	f, err := parseFormat(format)
	if err != nil {
		return api.SuppressionImport{}, err
	}
	res, err := rn.sup.store.Import(r, f)
	out := api.SuppressionImport{Lines: res.Lines, Entries: res.Entries, Added: res.Added, Bad: res.Bad}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, e.Error())
	}
	if err == nil {
		rn.logf("volleyd: suppression import: %d lines, %d added, %d bad", res.Lines, res.Added, res.Bad)
	}
	return out, err
}

// SuppressExport writes one list ("runtime" when name is empty) in
// list-file form.
func (rn *Running) SuppressExport(w io.Writer, name string) error {
	if name == "" {
		name = suppress.StoreList
	}
	l := rn.sup.set.Load().List(name)
	if l == nil {
		return fmt.Errorf("no suppression list %q", name)
	}
	return l.Export(w)
}

func parseFormat(s string) (suppress.Format, error) {
	for f := suppress.FormatList; f <= suppress.FormatMD5; f++ {
		if f.String() == s || s == "" && f == suppress.FormatList {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown format %q (list, address-file, sha256 or md5)", s)
}
