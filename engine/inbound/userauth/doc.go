// Package userauth checks the user name and password of an SMTP AUTH PLAIN or LOGIN
// exchange against the config's <smtp-user NAME> blocks (`password`, `source`).
//
// Responsibility: build a Store from config.Config.SMTPUsers (store.go); classify each
// password as plain text (PowerMTA's normal form), a bcrypt modular crypt string ($2a$,
// $2b$, $2y$) or an argon2id PHC string ($argon2id$v=19$m=M,t=T,p=P$SALT$HASH, phc.go), and
// refuse malformed hashes at load time; answer Check(user, pass) with the user's `source`
// name ("" when the block has none, meaning <source {auth}>); tell the caller through
// NeedsWorker whether a check is slow; and hash new passwords for tooling (HashPassword,
// hash.go). User names match exactly and case-sensitively: the PowerMTA reference says
// nothing on case, and config.Config.SMTPUser looks names up the same way.
//
// Not responsible for: the AUTH command and its SASL encodings (RFC 4954, RFC 4616 PLAIN,
// the LOGIN exchange), the 235/535 replies, smtp-max-auth-failure-rate, require-auth and
// allow-unencrypted-plain-auth, and applying the <source> rules; all of that is
// engine/inbound's. PowerMTA's authentication-method system|certificate is not modelled:
// every user needs a password. Other crypt forms ($1$, $5$, $6$, scrypt, argon2i/d) are
// not supported; those starting $2$, $2x$ or $argon2 are refused rather than read as
// plain text.
//
// Concurrency: a Store is immutable after New, so any goroutine may call Check and
// NeedsWorker at once; a reload builds a new Store with the new config snapshot. Plain
// text checks take about one SHA-256 of the password and do not allocate, so inbound may
// run them on a shard's event loop. bcrypt and argon2id checks take milliseconds of CPU (and
// argon2id holds m KiB while it runs), which the event loop must never do (STYLE.md §4): when
// NeedsWorker(user) is true, inbound hands Check to a worker goroutine and takes the result
// back through the shard's inbox, and it bounds the number of checks in flight, which also
// bounds argon2id memory.
//
// Timing: an attacker should learn neither the password nor whether a user exists from how
// long the 535 takes. Plain text passwords are kept as SHA-256 digests and compared with
// crypto/subtle.ConstantTimeCompare, so neither the configured length nor the position of
// the first differing byte shows (subtle.ConstantTimeCompare on the raw bytes would return
// at once on a length mismatch). bcrypt compares in constant time itself, and argon2id
// digests are compared with subtle too. An unknown user is checked against a dummy entry
// with the kind and cost of the most common configured shape and a random salt and hash,
// so it costs what a known user with a wrong password costs, and NeedsWorker gives the same
// answer for it; see Store for the rejected alternative and the limits of this with mixed
// configs.
//
// Standards: RFC 9106 (Argon2; §3.1 parameter ranges, §4 recommended parameters); the PHC
// string format (github.com/P-H-C/phc-string-format); bcrypt as in OpenBSD's
// bcrypt(3) ($2a$/$2b$, with $2y$ from crypt_blowfish read as $2b$); RFC 4954 §4 and RFC 4616
// for the exchange the caller runs. Implementations are golang.org/x/crypto's bcrypt and
// argon2 packages.
//
// Failure behaviour: New refuses the whole config when any entry is unusable (empty
// password, malformed or unsupported hash, duplicate name), returning every such entry as a
// *UserError with the block's FILE:LINE and the user name, never the password; the caller
// keeps the old Store, as a config reload does. Check never fails: a wrong password, an
// unknown user or a bcrypt password longer than 72 bytes (which bcrypt would truncate) is
// just ok == false.
package userauth
