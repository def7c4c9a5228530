package config

// The syntax layer: PowerMTA's config text as directives and blocks, each with the file and
// line it came from. It knows nothing of what a directive means; the model layer does.

import "strconv"

// Pos is where a directive or block was written.
type Pos struct {
	File string
	Line int
}

// String returns "FILE:LINE".
func (p Pos) String() string { return p.File + ":" + strconv.Itoa(p.Line) }

// Problem is one error in a config, reported as "FILE:LINE: message".
type Problem struct {
	Pos Pos
	Msg string
}

// Error returns "FILE:LINE: message".
func (p Problem) Error() string { return p.Pos.String() + ": " + p.Msg }

// Directive is one "name value" line.
type Directive struct {
	// Name is the directive name, lower-cased.
	Name string
	// Value is the rest of the line: comment removed, continuation lines joined with one
	// space, surrounding space trimmed. A value that is one double-quoted string is unquoted
	// (with \" and \\ unescaped); other quotes are kept as written.
	Value string
	Pos   Pos
}

// Block is "<kind arg> ... </kind>". The file itself is the root block, whose Kind is "".
type Block struct {
	// Kind is the tag name, lower-cased: "domain", "virtual-mta", "source", ...
	Kind string
	// Arg is the trimmed text after the kind ("*.example.com", "10.0.0.0/8", a path); ""
	// when none.
	Arg string
	Pos Pos
	// Directives and Blocks keep file order; included files' content appears where the
	// include directive was.
	Directives []Directive
	Blocks     []*Block
}
