// Package acct writes and reads PowerMTA-compatible accounting files: one CSV row per
// recipient event, in the record types, columns and file conventions of PowerMTA
// (reference/powermta.md §4 and §2.11; PowerMTA User's Guide §11 and §3.3.11).
//
// Responsibility: the Record type, carrying every field of the d, b, t, tq, r, rb, rs
// and f records (record.go), and two columns of Volley's own, not PowerMTA's: queueMode
// (d, b, t, tq: the queue's mode, normal or backoff, when the attempt was made or the
// outcome decided; empty for a b record no queue decided, such as a recipient suppressed
// at injection) and dlvWarmup (d, t, tq: the share of its rate, two decimals, a warm-up
// held the attempt's source address to; empty when none did). Both are in record-fields
// "*" of their types and follow PowerMTA's columns; "!queueMode,!dlvWarmup" drops them.
// The column layout of an <acct-file> block (records, record-fields, user-string:
// field.go) and its encoding with RFC 4180 quoting and ISO or time_t times (format.go,
// csv.go), with privacy-policy applied (privacy.go, siphash.go); one Writer per block,
// which queues records without blocking its callers and writes them in batches from its
// own goroutine (writer.go, queue.go; Files in set.go fans a record out to every block);
// rotation by interval, size and demand, date-stamped names, move-to and delete-after
// (rotate.go); a Reader that reads files back, header-driven (parse.go).
//
// Not responsible for: deciding which events make records or filling them (the queue
// and outbound do; a domain's disable-acct-records is theirs to apply); pipes
// (`<acct-file |program>`), which Open refuses; queue-filter, map-header-to-field,
// world-readable, sync and the other directives config.AcctFile does not carry;
// metrics, which read the Counters.
//
// Concurrency: Writer.Log may be called from any goroutine and never waits for I/O: it
// copies the record into a queue of fixed blocks (queue.go) under a mutex held for that
// copy. Each Writer has a writer goroutine, which owns the file and formats and writes
// batches, and a monitor goroutine, which wakes it every CheckEvery and reports drops;
// Open starts both and Close stops them. Rotate, Flush and Close may be called from any
// goroutine. Counters are atomics. An Encoder and a Reader belong to one goroutine.
//
// Standards: RFC 4180 (CSV), RFC 3461 §4.2 (ORCPT), RFC 3464 (the dsn fields),
// RFC 5965 (the arf_ fields).
//
// Failure behaviour: accounting never holds up mail. When the queue is full (the disk
// is stuck; QueueSize records, default 65536, wait) Log drops the record, counts it in
// Counters.Dropped, and the monitor logs the count once per CheckEvery. A failed write
// loses its batch (Counters.Failed; a short write may leave a partial row), is logged
// at most once per CheckEvery, and closes the file; the next batch reopens it, and until
// it opens records count as Failed. A failed rotation keeps writing to the current
// file. Records are not fsynced one by one; Rotate and Close fsync, so a crash loses at
// most what the kernel had not yet written.
package acct
