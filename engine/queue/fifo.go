package queue

// fifo is a queue's ready list: recipients in arrival order in a slice
// whose consumed front is cut off lazily, so taking from the head costs
// what is taken, not the length of the backlog (a queue 100,000 deep used
// to copy itself on every take).
type fifo struct {
	buf []Entry
	off int // buf[:off] is consumed
}

// items returns the waiting recipients, oldest first; valid until the
// next change.
func (f *fifo) items() []Entry { return f.buf[f.off:] }

func (f *fifo) len() int { return len(f.buf) - f.off }

func (f *fifo) push(e Entry) { f.buf = append(f.buf, e) }

// drop forgets the first n items.
func (f *fifo) drop(n int) {
	clear(f.buf[f.off : f.off+n])
	f.off += n
	switch {
	case f.off == len(f.buf):
		f.buf, f.off = f.buf[:0], 0
	case f.off >= compactAfter && f.off*2 >= len(f.buf):
		// Mostly consumed: move the rest down, once per half a slice
		// of takes, so the copying stays proportional to the takes.
		n := copy(f.buf, f.buf[f.off:])
		clear(f.buf[n:])
		f.buf, f.off = f.buf[:n], 0
	}
}

// compactAfter is how many consumed items the front may hold before drop
// considers moving the rest down.
const compactAfter = 1024

// pushFront puts entries back before the first item, in order.
func (f *fifo) pushFront(entries []Entry) {
	if len(entries) <= f.off {
		f.off -= len(entries)
		copy(f.buf[f.off:], entries)
		return
	}
	buf := make([]Entry, 0, len(entries)+f.len())
	f.buf = append(append(buf, entries...), f.items()...)
	f.off = 0
}

// reset forgets every item.
func (f *fifo) reset() {
	clear(f.buf)
	f.buf, f.off = f.buf[:0], 0
}

// truncate keeps the first n items (the caller moved the kept ones there).
func (f *fifo) truncate(n int) {
	clear(f.buf[f.off+n:])
	f.buf = f.buf[:f.off+n]
}
