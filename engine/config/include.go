package config

// include: splicing other files into the one being parsed (reference/powermta.md §2.1,
// PowerMTA §3.3.1.31).
//
// "include FILE" may appear at the top level and inside any block; the included file's
// directives and blocks go into the block that is open at the include line, as if written
// there, but keep their own Pos (the included file's name and line). A relative FILE is
// taken from the directory of the file that holds the include, not the process's working
// directory, so a config tree can be moved as a whole. FILE may be a glob
// ("conf.d/*.conf"): its matches are included in sorted order so the result does not depend
// on the directory's order. A glob that matches nothing is not an error (an empty conf.d is a
// normal state); a plain FILE that cannot be read is a Problem at the include line.
//
// Cycles (a includes b includes a) are a Problem at the include line that would close the
// cycle, naming the chain; the include is skipped so parsing ends. PowerMTA's URL form
// (include https://...) is not supported: a config load must not depend on the network.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// fileSource is how the parser reads included files. Parse uses the operating system; the
// fuzz test uses a source with no files, so arbitrary input cannot make it read the disk.
type fileSource interface {
	ReadFile(name string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

// osFiles reads the real file system.
type osFiles struct{}

func (osFiles) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (osFiles) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// include handles one include directive whose (unquoted) value is target.
func (p *parser) include(f *fileState, target string, pos Pos) {
	switch {
	case target == "":
		p.problem(pos, "expected a file name or glob after include, got nothing")
		return
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		p.problem(pos, "expected a file name or glob after include, got URL "+quoteMsg(target)+" (URLs are not supported)")
		return
	}
	path := target
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.name), path)
	}
	if !strings.ContainsAny(target, "*?[") {
		p.includeFile(f, path, pos)
		return
	}
	matches, err := p.fs.Glob(path)
	if err != nil {
		p.problem(pos, "expected a valid glob after include, got "+quoteMsg(target)+": "+err.Error())
		return
	}
	slices.Sort(matches)
	for _, m := range matches {
		p.includeFile(f, m, pos)
	}
}

// includeFile parses the file at path into the current block of f.
func (p *parser) includeFile(f *fileState, path string, pos Pos) {
	key := absKey(path)
	if i := slices.Index(p.keys, key); i >= 0 {
		chain := append(slices.Clone(p.chain[i:]), path)
		p.problem(pos, "include cycle: "+strings.Join(chain, " -> "))
		return
	}
	src, err := p.fs.ReadFile(path)
	if err != nil {
		p.problem(pos, "cannot read included file "+strconv.Quote(path)+": "+readReason(err))
		return
	}
	p.parseInto(path, src, f.current())
}

// absKey is the name a file is known by for cycle detection: its absolute, cleaned path, so
// "a.conf" and "./x/../a.conf" are the same file. Symbolic links are not resolved; a cycle
// through a link is still caught one round later, when the link's own path repeats.
func absKey(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return filepath.Clean(name)
}

// readReason is the part of a read error worth showing: "no such file or directory" rather
// than "open /etc/volley/a.conf: no such file or directory", since the message already
// names the file.
func readReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
