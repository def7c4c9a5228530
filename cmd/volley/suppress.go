package main

// `volley suppress add|remove|check|import|export`: the suppression lists over the API.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/volleymta/volley/engine/api"
)

// suppressChange is `suppress add|remove ENTRY...`: entries in list-file form
// (user@example.com, @example.com, @*.example.com, postmaster@*, a hex digest).
func suppressChange(s *session, args []string, method, done string) int {
	operands, code := s.parse(s.flags(), args, 1, -1)
	if code >= 0 {
		return code
	}
	var res api.Result
	raw, err := s.api.callJSON(request{method: method, path: "/api/v1/suppressions", body: api.SuppressionEntries{Entries: operands}}, &res)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	fmt.Fprintf(s.stdout, "%s %s\n", plural(res.Count, "entry", "entries"), done)
	return exitOK
}

func suppressAdd(s *session, args []string) int {
	return suppressChange(s, args, http.MethodPost, "added")
}

func suppressRemove(s *session, args []string) int {
	return suppressChange(s, args, http.MethodDelete, "removed")
}

// suppressCheck is `suppress check ADDRESS...`: exit 0 when none is suppressed, 1 when
// one is (so scripts can test it), each printed with the list that has it.
func suppressCheck(s *session, args []string) int {
	operands, code := s.parse(s.flags(), args, 1, -1)
	if code >= 0 {
		return code
	}
	status := exitOK
	var all []api.SuppressionCheck
	for _, a := range operands {
		var c api.SuppressionCheck
		if _, err := s.api.getJSON("/api/v1/suppressions/check", url.Values{"address": {a}}, &c); err != nil {
			return s.fail(err)
		}
		all = append(all, c)
		if c.Suppressed {
			status = exitProblem
		}
	}
	if s.o.json {
		if code := s.printValue(all); code != exitOK {
			return code
		}
		return status
	}
	for _, c := range all {
		if c.Suppressed {
			fmt.Fprintf(s.stdout, "%s\tsuppressed\t%s (%s)\n", c.Address, c.List, c.Kind)
		} else {
			fmt.Fprintf(s.stdout, "%s\tnot suppressed\n", c.Address)
		}
	}
	return status
}

// suppressImport is `suppress import [--format=list|address-file|sha256|md5] [FILE]`
// (stdin without FILE) into the runtime list.
func suppressImport(s *session, args []string) int {
	fs := s.flags()
	format := fs.String("format", "list", "the file's `FORMAT`: list, address-file, sha256 or md5")
	operands, code := s.parse(fs, args, 0, 1)
	if code >= 0 {
		return code
	}
	var text []byte
	var err error
	if len(operands) == 1 {
		text, err = os.ReadFile(operands[0])
	} else {
		text, err = io.ReadAll(os.Stdin)
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "volley: %s: %v\n", s.name, err)
		return exitUsage
	}
	var res api.SuppressionImport
	raw, err := s.api.callJSON(request{method: http.MethodPost, path: "/api/v1/suppressions/import",
		query: url.Values{"format": {*format}}, text: text}, &res)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	fmt.Fprintf(s.stdout, "%d lines, %d entries, %d added, %d bad\n", res.Lines, res.Entries, res.Added, res.Bad)
	for _, e := range res.Errors {
		fmt.Fprintln(s.stdout, "  "+e)
	}
	if res.Bad > 0 {
		return exitProblem
	}
	return exitOK
}

// suppressExport is `suppress export [--list=NAME]`: one list in list-file form.
func suppressExport(s *session, args []string) int {
	fs := s.flags()
	list := fs.String("list", "runtime", "the list `NAME` (runtime: the one the API and hard bounces change)")
	if _, code := s.parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	raw, err := s.api.call(request{method: http.MethodGet, path: "/api/v1/suppressions/export", query: url.Values{"list": {*list}}})
	if err != nil {
		return s.fail(err)
	}
	s.stdout.Write(raw)
	return exitOK
}

// showSuppressions is `suppress lists`: the lists and their sizes.
func showSuppressions(s *session, args []string) int {
	if code := s.noArgs(args); code >= 0 {
		return code
	}
	var lists []api.SuppressionList
	raw, err := s.api.getJSON("/api/v1/suppressions", nil, &lists)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	t := newTable(column{title: "list"}, column{title: "entries", right: true}, column{title: "kinds"})
	for _, l := range lists {
		kinds := ""
		for _, k := range []string{"address", "local-part", "domain", "subdomain", "sha256", "md5"} {
			if n := l.ByKind[k]; n > 0 {
				if kinds != "" {
					kinds += ", "
				}
				kinds += fmt.Sprintf("%s %d", k, n)
			}
		}
		t.add(l.Name, fmt.Sprint(l.Entries), kinds)
	}
	t.write(s.stdout)
	return exitOK
}
