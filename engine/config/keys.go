package config

// DKIM signing keys: the files domain-key lines name. Build only records
// where each line is; LoadKeys reads the files, so parsing a config (tests,
// the fuzz target, `show settings`) never touches key files, while volleyd's
// start, every reload and configtest do, and report a missing or bad key at
// its domain-key line.

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// minRSABits is the smallest RSA key RFC 8301 §3.2 lets a signer use.
// Receivers such as Gmail treat 1024-bit signatures as weak; 2048 is what
// `volley` documents, but 1024-bit keys in old PowerMTA configs still load.
const minRSABits = 1024

// keyLine is one domain-key line: the file as written and where the line is.
type keyLine struct {
	file string
	pos  Pos
}

// recordKeyLines notes every domain-key line of the tree (top level and in
// <virtual-mta> and <virtual-mta-pool> blocks) for LoadKeys.
func (b *modelBuilder) recordKeyLines(blk *Block) {
	for _, d := range blk.Directives {
		if d.Name != "domain-key" {
			continue
		}
		if k, err := cDomainKey.parse(d.Value); err == nil {
			b.c.keyLines = append(b.c.keyLines, keyLine{file: k.File, pos: d.Pos})
		}
	}
	for _, sub := range blk.Blocks {
		b.recordKeyLines(sub)
	}
}

// LoadKeys reads the private key of every domain-key line. A relative file
// name is taken from the directory of the config file the line is in. It
// returns a problem per line whose file is missing, unreadable, not a private
// key, an RSA key under 1024 bits, or a relative name that means two files.
// Keys are RSA (PKCS #1 or PKCS #8 PEM, for rsa-sha256) or Ed25519 (PKCS #8
// PEM, or the base64 32-byte seed dkimpy and OpenDKIM write, for
// ed25519-sha256, RFC 8463).
func (c *Config) LoadKeys() []Problem {
	c.keys = map[string]crypto.Signer{}
	resolved := map[string]string{}
	var probs []Problem
	for _, l := range c.keyLines {
		path := l.file
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(l.pos.File), path)
		}
		if prev, ok := resolved[l.file]; ok {
			if prev != path {
				probs = append(probs, Problem{l.pos, fmt.Sprintf("domain-key file %q means %s here and %s elsewhere: write an absolute path", l.file, path, prev)})
			}
			continue
		}
		resolved[l.file] = path
		k, err := readKey(path)
		if err != nil {
			probs = append(probs, Problem{l.pos, fmt.Sprintf("domain-key %s: %v", path, err)})
			continue
		}
		c.keys[l.file] = k
	}
	if len(probs) == 0 {
		probs = c.checkARCKeys()
	}
	sortProblems(probs)
	return probs
}

// SigningKey returns the loaded private key of a domain-key line, or nil when
// LoadKeys has not run or could not load it.
func (c *Config) SigningKey(k DomainKey) crypto.Signer { return c.keys[k.File] }

// readKey reads and parses one key file.
func readKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(readReason(err))
	}
	return ParsePrivateKey(b)
}

// ParsePrivateKey parses a DKIM private key file's contents: a PEM RSA or
// Ed25519 key, or a bare base64 Ed25519 seed (32 bytes) or key (64 bytes).
func ParsePrivateKey(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return parseBareEd25519(b)
	}
	var key any
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("expected an RSA or Ed25519 private key, got a PEM %q block", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("not a valid private key: %v", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if n := k.N.BitLen(); n < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits: at least %d are required (RFC 8301), 2048 recommended", n, minRSABits)
		}
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("expected an RSA or Ed25519 private key, got %T", key)
}

// parseBareEd25519 reads the one-line base64 Ed25519 key format.
func parseBareEd25519(b []byte) (crypto.Signer, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, errors.New("expected a PEM private key or a base64 Ed25519 key, got neither")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("a base64 Ed25519 key must hold 32 or 64 bytes, got %d", len(raw))
}

// keyLists are the domain-key lists that apply to messages of vmta (a
// virtual-mta or pool name, or ""), most specific first: its own, then the
// top level's.
func (c *Config) keyLists(vmta string) [][]DomainKey {
	lists := make([][]DomainKey, 0, 2)
	if v := c.vmtaByName[vmta]; v != nil {
		lists = append(lists, v.DomainKeys)
	} else if p := c.poolByName[vmta]; p != nil {
		lists = append(lists, p.DomainKeys)
	}
	return append(lists, c.Global.DomainKeys)
}

// DKIMKey picks the key that signs mail from domain (the signing identity's
// domain, lower case) sent through vmta: the first domain-key line whose
// domain is that domain or a parent of it (PowerMTA's rule; it signs as
// its own domain, which relaxed DMARC alignment accepts), the vMTA's or
// pool's lines before the top level's; else a "*" line, which signs as
// domain itself. ok is false when none fits or its key is not loaded.
func (c *Config) DKIMKey(vmta, domain string) (k DomainKey, signer crypto.Signer, ok bool) {
	lists := c.keyLists(vmta)
	for _, l := range lists {
		for _, dk := range l {
			if dk.Domain == "*" || !(domain == dk.Domain || strings.HasSuffix(domain, "."+dk.Domain)) {
				continue
			}
			if s := c.keys[dk.File]; s != nil {
				return dk, s, true
			}
		}
	}
	for _, l := range lists {
		for _, dk := range l {
			if s := c.keys[dk.File]; dk.Domain == "*" && s != nil {
				dk.Domain = domain
				return dk, s, true
			}
		}
	}
	return DomainKey{}, nil, false
}

// ARCKey picks the key that seals ARC sets for vmta: the domain-key line whose
// domain is the vMTA's host-name (else the top-level host-name) or the
// nearest parent domain of it, the vMTA's or pool's lines before the top
// level's. A sealer speaks for the host that handled the message, so its d=
// is that host's organisation, whatever the message's From says.
func (c *Config) ARCKey(vmta string) (k DomainKey, signer crypto.Signer, ok bool) {
	host := c.HostName()
	if v := c.vmtaByName[vmta]; v != nil && v.HostName != "" {
		host = v.HostName
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	best := -1
	for _, l := range c.keyLists(vmta) {
		for _, dk := range l {
			if dk.Domain == "*" || len(dk.Domain) <= best || c.keys[dk.File] == nil {
				continue
			}
			if host == dk.Domain || strings.HasSuffix(host, "."+dk.Domain) {
				k, signer, ok, best = dk, c.keys[dk.File], true, len(dk.Domain)
			}
		}
	}
	return k, signer, ok
}

// checkARCKeys is LoadKeys' last check: every vMTA or pool that may seal (a
// domain block with arc-seal yes at the top level covers all of them and
// messages with none; one inside a vMTA or pool covers that one) must have a
// sealing key (ARCKey), since sealing happens at injection, for the vMTA or
// pool the message was injected for. The problem is reported at the arc-seal line.
func (c *Config) checkARCKeys() []Problem {
	var probs []Problem
	seen := map[string]bool{}
	check := func(vmta string, at Pos) {
		if seen[vmta] {
			return
		}
		seen[vmta] = true
		if _, _, ok := c.ARCKey(vmta); !ok {
			who := "the top level"
			if vmta != "" {
				who = "virtual-mta " + vmta
			}
			probs = append(probs, Problem{at, fmt.Sprintf("arc-seal yes: no domain-key of %s has a domain that is its host-name or a parent of it", who)})
		}
	}
	for _, l := range c.domainBlocks {
		for _, op := range l.ops {
			if op.e.name != "arc-seal" {
				continue
			}
			if on, err := ParseBool(op.v); err != nil || !on {
				continue
			}
			if l.scope != "" {
				check(l.scope, op.pos)
				continue
			}
			check("", op.pos)
			for _, v := range c.VMTAs {
				check(v.Name, op.pos)
			}
			for _, p := range c.Pools {
				check(p.Name, op.pos)
			}
		}
	}
	return probs
}
