package userauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"

	"github.com/volleymta/volley/engine/config"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// kind is the form of a configured password.
type kind uint8

const (
	kindPlain    kind = iota // plain text, PowerMTA's normal form
	kindBcrypt               // $2a$, $2b$ or $2y$ modular crypt string
	kindArgon2id             // $argon2id$ PHC string
	kindCount
)

var kindNames = [kindCount]string{"plain", "bcrypt", "argon2id"}

// String returns the kind's name as HashPassword accepts it ("plain" for plain text).
func (k kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// slow reports whether verifying this kind takes milliseconds and must run on a worker.
func (k kind) slow() bool { return k != kindPlain }

// bcryptMaxPassword is the longest password bcrypt uses; it ignores bytes after the 72nd.
const bcryptMaxPassword = 72

// entry is one user's verifier. Exactly one of digest, bcrypt and phc is set, by kind.
type entry struct {
	kind   kind
	source string
	digest [sha256.Size]byte // kindPlain: SHA-256 of the password
	bcrypt []byte            // kindBcrypt: the whole 60-byte hash string
	phc    phc               // kindArgon2id: parsed parameters, salt and hash
}

// Store checks SMTP AUTH credentials against the <smtp-user> blocks of one config snapshot.
//
// Unknown users. A Store holds a dummy entry besides the configured ones, and Check verifies
// the password of an unknown user against it, discarding the result. The dummy has the kind
// and cost parameters that most configured users share (ties go to the earliest in the file),
// with a random salt and hash, so a wrong user name costs what a wrong password for a typical
// user costs, and NeedsWorker answers for an unknown name what it answers for that typical
// user. Returning at once for an unknown name (the rejected alternative) would let a client
// enumerate the user list by timing the 535 reply, and with hashed passwords the difference
// is milliseconds. A config mixing kinds or costs still shows the outliers' difference in
// timing; keep one kind and cost for all users to avoid that.
//
// Plain text passwords are stored and compared as SHA-256 digests with subtle.ConstantTimeCompare,
// so the comparison takes the same time whatever the password's length and content; comparing
// the raw bytes would return early on a length mismatch and reveal the configured length.
//
// A Store is immutable after New: any number of goroutines may call its methods at once.
type Store struct {
	users map[string]*entry // by exact, case-sensitive user name
	dummy entry             // verified for unknown users; see above
}

// UserError reports a <smtp-user> entry that New cannot use. It never contains the password.
type UserError struct {
	Pos  config.Pos // the <smtp-user> block; zero if unknown
	User string
	Err  error
}

// Error returns "userauth: FILE:LINE: smtp-user "NAME": reason", without FILE:LINE when
// the position is unknown.
func (e *UserError) Error() string {
	at := ""
	if e.Pos != (config.Pos{}) {
		at = e.Pos.String() + ": "
	}
	return "userauth: " + at + "smtp-user " + strconv.Quote(e.User) + ": " + e.Err.Error()
}

// Unwrap returns the underlying reason.
func (e *UserError) Unwrap() error { return e.Err }

var (
	errNoPassword = errors.New("no password")
	errDuplicate  = errors.New("duplicate user")
	errNilUser    = errors.New("nil entry")
)

// New builds a Store from a config's SMTPUsers. Each password is plain text unless it has
// a hash prefix ($2a$, $2b$, $2y$, $argon2id$, or an unsupported $2$, $2x$, $argon2i$,
// $argon2d$), in which case it must be a well-formed hash of that kind. Usernames match
// exactly, case-sensitively. New reports every unusable entry, each as a *UserError,
// joined with errors.Join; it returns a nil Store with the error.
func New(users []*config.SMTPUser) (*Store, error) {
	s := &Store{users: make(map[string]*entry, len(users))}
	var errs []error
	var order []shape // distinct shapes, in file order
	count := map[shape]int{}
	for _, u := range users {
		if u == nil {
			errs = append(errs, &UserError{Err: errNilUser})
			continue
		}
		e, err := newEntry(u.Password)
		if err == nil {
			if _, dup := s.users[u.Name]; dup {
				err = errDuplicate
			}
		}
		if err != nil {
			errs = append(errs, &UserError{Pos: u.Pos, User: u.Name, Err: err})
			continue
		}
		e.source = u.Source
		s.users[u.Name] = e
		sh := shapeOf(e)
		if count[sh] == 0 {
			order = append(order, sh)
		}
		count[sh]++
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	typical := shape{kind: kindPlain} // no users: any Check is a plain text compare
	for i, sh := range order {
		if i == 0 || count[sh] > count[typical] {
			typical = sh
		}
	}
	dummy, err := newDummy(typical)
	if err != nil {
		return nil, fmt.Errorf("userauth: dummy %s verifier: %w", typical.kind, err)
	}
	s.dummy = dummy
	return s, nil
}

// newEntry classifies and validates one configured password.
func newEntry(pw string) (*entry, error) {
	switch k, err := classify(pw); {
	case err != nil:
		return nil, err
	case k == kindBcrypt:
		return &entry{kind: k, bcrypt: []byte(pw)}, nil
	case k == kindArgon2id:
		p, err := parsePHC(pw)
		if err != nil {
			return nil, fmt.Errorf("malformed argon2id hash: %w", err)
		}
		return &entry{kind: k, phc: p}, nil
	default:
		if pw == "" {
			return nil, errNoPassword
		}
		return &entry{kind: kindPlain, digest: sha256.Sum256([]byte(pw))}, nil
	}
}

// Check reports whether pass is user's password and, if so, returns the user's source: the
// name of the <source> whose rules apply to the authenticated session, or "" for none, in
// which case the caller applies <source {auth}>. user and pass are only read during the
// call. An unknown user costs about what a known user with a wrong password costs (see Store).
//
// Check runs on the calling goroutine. For a user whose hash is bcrypt or argon2id
// (NeedsWorker true) it takes milliseconds and allocates (argon2id: the hash's m KiB), so the
// caller must not call it on a shard's event loop. For a plain text user it takes about a
// SHA-256 of pass and does not allocate.
func (s *Store) Check(user, pass []byte) (source string, ok bool) {
	e, known := s.users[string(user)] // the compiler does not copy user for a map index
	if !known {
		s.dummy.verify(pass)
		return "", false
	}
	if !e.verify(pass) {
		return "", false
	}
	return e.source, true
}

// NeedsWorker reports whether Check for user runs a slow hash (bcrypt or argon2id) and must
// therefore be called on a worker goroutine, not on a shard's event loop. For an unknown user
// it answers as for the typical configured user, so the answer does not reveal whether the
// name exists. It does not allocate.
func (s *Store) NeedsWorker(user []byte) bool {
	if e, ok := s.users[string(user)]; ok {
		return e.kind.slow()
	}
	return s.dummy.kind.slow()
}

// verify compares pass with e's password in time that does not depend on where they differ.
func (e *entry) verify(pass []byte) bool {
	switch e.kind {
	case kindBcrypt:
		// bcrypt silently ignores bytes past the 72nd; refuse such passwords rather than
		// accept any suffix. The length is the client's own knowledge, so the early
		// return reveals nothing.
		if len(pass) > bcryptMaxPassword {
			return false
		}
		return bcrypt.CompareHashAndPassword(e.bcrypt, pass) == nil
	case kindArgon2id:
		p := &e.phc
		got := argon2.IDKey(pass, p.salt, p.time, p.memory, p.threads, uint32(len(p.hash)))
		return subtle.ConstantTimeCompare(got, p.hash) == 1
	default:
		d := sha256.Sum256(pass)
		return subtle.ConstantTimeCompare(d[:], e.digest[:]) == 1
	}
}

// shape is the cost-determining part of an entry: what the dummy must copy.
type shape struct {
	kind             kind
	cost             string // bcrypt: two digits; $2a$, $2b$ and $2y$ cost the same
	memory, time     uint32 // argon2id
	threads          uint8
	saltLen, hashLen int
}

func shapeOf(e *entry) shape {
	switch e.kind {
	case kindBcrypt:
		return shape{kind: kindBcrypt, cost: string(e.bcrypt[4:6])}
	case kindArgon2id:
		p := &e.phc
		return shape{kind: kindArgon2id, memory: p.memory, time: p.time, threads: p.threads,
			saltLen: len(p.salt), hashLen: len(p.hash)}
	default:
		return shape{kind: kindPlain}
	}
}

// newDummy returns an entry of shape sh with random contents, which no password is
// expected to match (and whose matches Check ignores anyway).
func newDummy(sh shape) (entry, error) {
	switch sh.kind {
	case kindBcrypt:
		var raw [16 + 23]byte // salt, hash
		rand.Read(raw[:])
		h := []byte("$2a$" + sh.cost + "$")
		h = bcryptB64.AppendEncode(h, raw[:16])
		h = bcryptB64.AppendEncode(h, raw[16:])
		if _, err := bcrypt.Cost(h); err != nil {
			return entry{}, err
		}
		return entry{kind: kindBcrypt, bcrypt: h}, nil
	case kindArgon2id:
		p := phc{memory: sh.memory, time: sh.time, threads: sh.threads,
			salt: make([]byte, sh.saltLen), hash: make([]byte, sh.hashLen)}
		rand.Read(p.salt)
		rand.Read(p.hash)
		return entry{kind: kindArgon2id, phc: p}, nil
	default:
		e := entry{kind: kindPlain}
		rand.Read(e.digest[:])
		return e, nil
	}
}
