package queue

// Mode is a queue's delivery mode as accounting and the API name it: normal,
// or backoff (the domain's backoff-* limits and backoff-retry-after). The
// zero value, ModeNone, is the mode of an outcome no queue decided (a
// recipient suppressed or processed at injection), written as "".
type Mode uint8

// The modes, in the order of modeNames.
const (
	ModeNone Mode = iota
	ModeNormal
	ModeBackoff
	modeCount
)

var modeNames = [modeCount]string{"", "normal", "backoff"}

// String returns the mode's name, "" for ModeNone and for a value out of
// range. The names are constants, so a caller on the delivery path that
// copies one into a record allocates nothing.
func (m Mode) String() string {
	if m < modeCount {
		return modeNames[m]
	}
	return ""
}

// Mode returns the queue's current mode: ModeBackoff while Backoff is set,
// else ModeNormal (a paused queue keeps its mode).
func (q *Queue) Mode() Mode {
	if q.Backoff {
		return ModeBackoff
	}
	return ModeNormal
}
