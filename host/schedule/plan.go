package schedule

import "time"

// State is what the log says of a schedule.
type State struct {
	Created time.Time `json:"created"`
	Paused  bool      `json:"paused"`
	Ended   bool      `json:"deleted,omitempty"`
	// LastTick is the newest tick fired (zero: none yet).
	LastTick time.Time `json:"last_tick,omitzero"`
	// ResumedAt is when the schedule was last resumed after a pause: ticks
	// of the pause are not caught up.
	ResumedAt time.Time `json:"resumed_at,omitzero"`
}

// Plan decides, at now, which ticks to fire (oldest first) and when the
// next one is due. Ticks are counted from the last one fired, else from
// creation: a tick at or before that was handled. Which of the ticks now
// due fire is the catch-up policy's: all of them, the newest, or (skip)
// the newest only if it is nearly on time. A paused or deleted schedule
// fires nothing, and missed ticks of a pause are skipped when it resumes
// (pausing means "not now").
func Plan(s Spec, st State, now time.Time) (fire []time.Time, next time.Time) {
	if st.Ended {
		return nil, time.Time{}
	}
	if st.Paused {
		return nil, s.next(st.Created, now)
	}
	from := st.Created
	if st.LastTick.After(from) {
		from = st.LastTick
	}
	if st.ResumedAt.After(from) {
		from = st.ResumedAt
	}
	var due []time.Time
	for t := s.next(st.Created, from); !t.IsZero() && !t.After(now); t = s.next(st.Created, t) {
		due = append(due, t)
		if len(due) > MaxCatchUp {
			due = due[1:] // keep the newest
		}
	}
	next = s.next(st.Created, now)
	if st.Paused || len(due) == 0 {
		return nil, next
	}
	switch s.CatchUp {
	case CatchUpAll:
		return due, next
	case CatchUpOne:
		return due[len(due)-1:], next
	default: // skip: only a tick that is (nearly) on time
		newest := due[len(due)-1]
		if now.Sub(newest) > graceFor(s, st.Created, newest) {
			return nil, next
		}
		return []time.Time{newest}, next
	}
}

// graceFor is how late a tick may fire and still count as on time under
// CatchUpSkip: a tenth of the gap to the next tick, at most a minute — a
// host busy or restarting for a moment does not lose a tick, one that was
// down for a while does.
func graceFor(s Spec, origin, tick time.Time) time.Duration {
	g := s.next(origin, tick).Sub(tick) / 10
	return min(g, time.Minute)
}
