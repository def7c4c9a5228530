package iouring

// timer is one heap entry: a connection's idle deadline (slot and gen set,
// fn nil) or an AfterFunc (fn set).
type timer struct {
	when int64
	slot uint32
	gen  uint32
	fn   func()
}

// timerHeap is a binary min-heap on when. A connection has at most one entry
// at a time: when its deadline moves later the entry stays and is pushed
// again when it surfaces, so resetting a timeout on every read costs nothing.
type timerHeap struct{ t []timer }

func (h *timerHeap) len() int { return len(h.t) }

// next returns the earliest deadline, or 0 if the heap is empty.
func (h *timerHeap) next() int64 {
	if len(h.t) == 0 {
		return 0
	}
	return h.t[0].when
}

func (h *timerHeap) push(t timer) {
	h.t = append(h.t, t)
	i := len(h.t) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.t[p].when <= h.t[i].when {
			break
		}
		h.t[p], h.t[i] = h.t[i], h.t[p]
		i = p
	}
}

// pop removes and returns the earliest entry. The heap must not be empty.
func (h *timerHeap) pop() timer {
	top := h.t[0]
	last := len(h.t) - 1
	h.t[0] = h.t[last]
	h.t[last] = timer{}
	h.t = h.t[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && h.t[r].when < h.t[l].when {
			m = r
		}
		if h.t[i].when <= h.t[m].when {
			break
		}
		h.t[i], h.t[m] = h.t[m], h.t[i]
		i = m
	}
	return top
}
