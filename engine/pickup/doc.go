// Package pickup ingests a PowerMTA-compatible pickup directory
// (`pickup DIR BADDIR`, `pickup-remove-dot`) into the spool.
//
// Responsibility: parse pickup files (parse.go: the x-sender, x-receiver,
// x-envid, x-job and x-sender-override envelope lines, then the RFC 5322
// message, normalized to CRLF wire form), and run the directory watcher
// (watch.go): pick up every file present at start, every file inotify
// reports created or moved in, and whatever a periodic rescan finds; append
// each to the spool durably and only then remove it; move a file that does
// not parse to BADDIR beside a NAME.err file saying which line is wrong and
// why.
//
// Not responsible for: BSMTP pickup files (HELO/EHLO/MAIL/XACK, mail merge),
// which are rejected to BADDIR as "BSMTP pickup files are not supported yet";
// source policy (`<source {pickup}>`: default-virtual-mta, X-Virtual-MTA,
// the job header, the pattern-list, suppression lists), which the engine's
// Appender applies (engine/pickupsource.go); the message's header syntax,
// which is passed on unchanged.
//
// Half-written files: feeders should write elsewhere and rename into DIR (or
// write ".name" in DIR and rename it: names starting with "." are ignored).
// fsnotify v1.10 reports IN_CREATE and IN_MOVED_TO both as Create and does
// not export IN_CLOSE_WRITE, so an event does not prove a file is complete.
// Before reading, a worker therefore takes and drops a Linux read lease
// (fcntl F_SETLEASE F_RDLCK), which the kernel refuses while any process
// has the file open for writing; such a file is retried with a back-off of
// 20 ms doubling to 1 s. Where leases are unavailable (not the owner and no
// CAP_LEASE, NFS, other systems) a file is read only after it has been
// unmodified for Settle (2 s). In both cases a file that fails to parse and
// was modified within Settle is given until it is Settle old before it is
// judged bad, which covers writers that open the file several times.
//
// Concurrency: Run's goroutine owns the scheduling state (which names are
// queued, held by a worker or waiting for a retry, and what was logged) and
// receives inotify events, rescan ticks and worker results. A fixed pool of
// Workers goroutines (default 8) each read, parse, Append and remove one
// file at a time; concurrent Appends share the spool's group-commit fsync.
// Counters are atomics, safe to read from any goroutine.
//
// Standards: RFC 5321 §4.1.2 and §4.5.3.1 (address syntax and limits, checked
// locally because smtpwire's path parser is unexported), RFC 6531 §3.3
// (UTF-8 addresses), RFC 3461 §4.4 (ENVID), RFC 5321 §2.3.8 (CRLF line ends
// in the stored message); PowerMTA User's Guide §7.2 and §3.3.1.34 for the
// file format and directives.
//
// Failure behaviour: a file is removed only after Append returned nil, and
// only if its name still refers to the file read, so delivery is at least
// once: a crash between the fsync and the removal injects the file again on
// restart. A parse error moves the file to BADDIR (an existing bad file of
// the same name is kept; the new one gets a numeric suffix). Every other
// failure (spool.ErrFull, spool.ErrIO, a closed spool, a read, rename or
// remove error) leaves the file in DIR, retried every RetryInterval and
// logged once per file and kind; a file spooled but not removable is not
// appended again, only its removal is retried. An inotify overflow triggers
// a full rescan. When Run's context ends, in-flight files finish and any
// not yet appended stay in DIR.
package pickup
