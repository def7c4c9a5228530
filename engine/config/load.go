package config

// Loading: from a file, from text, or the embedded default config that volleyd runs with
// when started without --config.

import (
	_ "embed"
)

// DefaultText is the embedded default configuration, printed by
// `volley show settings --default`.
//
//go:embed default.conf
var DefaultText string

// Load parses and builds the config file at path, following its includes.
func Load(path string) (*Config, []Problem) {
	root, probs := ParseFile(path)
	return finish(root, probs)
}

// LoadText parses and builds config text; name is used in problem positions.
func LoadText(name string, src []byte) (*Config, []Problem) {
	root, probs := Parse(name, src)
	return finish(root, probs)
}

// finish builds the model even when the parser found problems, so one run reports syntax
// and meaning errors together, in file order; the Config is returned only when there are
// none.
func finish(root *Block, probs []Problem) (*Config, []Problem) {
	if root == nil {
		return nil, probs
	}
	c, more := Build(root)
	if len(probs)+len(more) > 0 {
		probs = append(probs, more...)
		sortProblems(probs)
		return nil, probs
	}
	return c, nil
}

// Default builds the embedded default config. It panics if that config is broken, which
// the package tests rule out.
func Default() *Config {
	c, probs := LoadText("default.conf", []byte(DefaultText))
	if len(probs) > 0 {
		panic("config: embedded default.conf: " + probs[0].Error())
	}
	return c
}
