package userauth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Default hashing parameters for HashPassword.
const (
	// DefaultBcryptCost is bcrypt's own default, 2^10 rounds (about 50 ms on a current core).
	DefaultBcryptCost = bcrypt.DefaultCost

	// DefaultArgon2Memory (KiB), DefaultArgon2Time and DefaultArgon2Threads are the OWASP
	// Password Storage Cheat Sheet's first argon2id setting: 19 MiB, 2 passes, 1 lane. Each
	// check in flight holds the memory, so the caller's worker pool bounds the total. RFC 9106
	// §4's second option (64 MiB, t=3, p=4) is stronger and can be written into the config.
	DefaultArgon2Memory  = 19 * 1024
	DefaultArgon2Time    = 2
	DefaultArgon2Threads = 1

	// Argon2SaltLen and Argon2HashLen are the byte lengths HashPassword uses (RFC 9106 §4: a
	// 128-bit salt and a 256-bit tag).
	Argon2SaltLen = 16
	Argon2HashLen = 32
)

// bcrypt modular crypt strings: "$2b$10$" then a 22-character salt and a 31-character hash
// in bcrypt's own base64 alphabet, 60 bytes in all.
const (
	bcryptPrefixLen = len("$2b$10$")
	bcryptSaltChars = 22 // 16 bytes
	bcryptHashChars = 31 // 23 bytes
	bcryptLen       = bcryptPrefixLen + bcryptSaltChars + bcryptHashChars
	bcryptAlphabet  = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

var bcryptB64 = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

var (
	errBcryptLen     = errors.New("malformed bcrypt hash: not 60 characters")
	errBcryptCost    = errors.New("malformed bcrypt hash: cost is not two digits from 04 to 31")
	errBcryptSalt    = errors.New("malformed bcrypt hash: salt is not bcrypt base64")
	errBcryptHash    = errors.New("malformed bcrypt hash: hash is not canonical bcrypt base64")
	errBcryptVariant = errors.New("unsupported bcrypt variant (want $2a$, $2b$ or $2y$)")
	errArgonVariant  = errors.New("unsupported argon2 variant (want $argon2id$)")
	errUnknownKind   = errors.New(`userauth: unknown hash kind (want "bcrypt" or "argon2id")`)
)

// classify returns the kind of a configured password and, for a bcrypt hash, checks its
// form. A string with a hash prefix that is not valid is an error, never plain text: a
// mangled hash must not silently become a password equal to its own text.
func classify(pw string) (kind, error) {
	switch {
	case strings.HasPrefix(pw, "$2a$"), strings.HasPrefix(pw, "$2b$"), strings.HasPrefix(pw, "$2y$"):
		return kindBcrypt, checkBcrypt(pw)
	case strings.HasPrefix(pw, "$2$"), strings.HasPrefix(pw, "$2x$"):
		return kindBcrypt, errBcryptVariant
	case strings.HasPrefix(pw, "$argon2id$"):
		return kindArgon2id, nil // parsePHC checks the rest
	case strings.HasPrefix(pw, "$argon2"):
		return kindArgon2id, errArgonVariant
	}
	return kindPlain, nil
}

// checkBcrypt validates a string that starts with "$2a$", "$2b$" or "$2y$". The salt may
// carry non-zero trailing bits (bcrypt ignores them); the hash must be canonical, since a
// non-canonical one can never match.
func checkBcrypt(pw string) error {
	if len(pw) != bcryptLen {
		return errBcryptLen
	}
	c1, c2 := pw[4], pw[5]
	if pw[6] != '$' || c1 < '0' || c1 > '3' || c2 < '0' || c2 > '9' {
		return errBcryptCost
	}
	if cost := int(c1-'0')*10 + int(c2-'0'); cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return errBcryptCost
	}
	salt := pw[bcryptPrefixLen : bcryptPrefixLen+bcryptSaltChars]
	if _, err := bcryptB64.DecodeString(salt); err != nil {
		return errBcryptSalt
	}
	if _, err := bcryptB64.Strict().DecodeString(pw[bcryptPrefixLen+bcryptSaltChars:]); err != nil {
		return errBcryptHash
	}
	if _, err := bcrypt.Cost([]byte(pw)); err != nil {
		return errBcryptCost // unreachable after the checks above; kept as a guard
	}
	return nil
}

// HashPassword returns pass hashed for an smtp-user password line: kind "bcrypt" gives a
// $2a$ string at DefaultBcryptCost, and "argon2id" a PHC string with the DefaultArgon2*
// parameters and a random Argon2SaltLen-byte salt. bcrypt refuses passwords longer than 72
// bytes. It takes as long as one Check of the result.
func HashPassword(kind string, pass string) (string, error) {
	return hashPassword(kind, pass, DefaultBcryptCost)
}

// hashPassword is HashPassword with a bcrypt cost, so tests can hash quickly.
func hashPassword(kind, pass string, bcryptCost int) (string, error) {
	switch kind {
	case "bcrypt":
		h, err := bcrypt.GenerateFromPassword([]byte(pass), bcryptCost)
		if err != nil {
			return "", fmt.Errorf("userauth: %w", err)
		}
		return string(h), nil
	case "argon2id":
		p := phc{memory: DefaultArgon2Memory, time: DefaultArgon2Time, threads: DefaultArgon2Threads,
			salt: make([]byte, Argon2SaltLen)}
		rand.Read(p.salt) // never fails (crypto/rand, Go 1.24+)
		p.hash = argon2.IDKey([]byte(pass), p.salt, p.time, p.memory, p.threads, Argon2HashLen)
		return p.String(), nil
	}
	return "", errUnknownKind
}
