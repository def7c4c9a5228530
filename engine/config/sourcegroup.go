package config

// <source-group NAME> (PowerMTA §3.3.9): inbound connections counted
// together for the sources that name the group (source-group NAME):
// max-smtp-in caps them, reserved-smtp-in keeps that many of
// total-max-smtp-in for them, which other clients may not take.

import "strconv"

// SourceGroup is one <source-group> block.
type SourceGroup struct {
	Name           string
	Pos            Pos
	MaxSMTPIn      int // 0: no cap of its own
	ReservedSMTPIn int
}

// SourceGroup returns the named <source-group>, or nil.
func (c *Config) SourceGroup(name string) *SourceGroup { return c.groupByName[name] }

func (b *modelBuilder) sourceGroup(blk *Block) {
	if !b.listBlock(blk, b.c.groupByName[blk.Arg] != nil) {
		return
	}
	g := &SourceGroup{Name: blk.Arg, Pos: blk.Pos}
	b.applyAll(blk, bSourceGroup, &target{group: g})
	b.c.SourceGroups = append(b.c.SourceGroups, g)
	b.c.groupByName[g.Name] = g
}

// linkSourceGroups checks the sources' group names, and that the
// reservations fit in total-max-smtp-in.
func (b *modelBuilder) linkSourceGroups() {
	for _, l := range b.c.sourceBlocks {
		for _, o := range l.ops {
			if o.e.name == "source-group" && b.c.groupByName[o.v] == nil {
				b.problem(o.pos, "source-group: unknown group "+quoted(o.v)+"; define <source-group "+o.v+">")
			}
		}
	}
	reserved := 0
	for _, g := range b.c.SourceGroups {
		reserved += g.ReservedSMTPIn
		if g.MaxSMTPIn > 0 && g.ReservedSMTPIn > g.MaxSMTPIn {
			b.problem(g.Pos, "<source-group "+g.Name+">: reserved-smtp-in is more than its max-smtp-in")
		}
	}
	if total := b.c.Global.TotalMaxSMTPIn; total > 0 && reserved > total && len(b.c.SourceGroups) > 0 {
		b.problem(b.c.SourceGroups[0].Pos, "the source groups reserve "+strconv.Itoa(reserved)+" connections, more than total-max-smtp-in ("+strconv.Itoa(total)+")")
	}
}
