package badger

import "time"

// group is the appends the writer judged inside one transaction. None is
// answered before the transaction's fate is known. An accepted append
// waits for its commit, of course; so do a refusal and an idempotent
// retry, because their answer may rest on an earlier append of the same
// group that is not committed yet: a conflict with its sequence, the
// finality its terminal event brought, the ids it stored. Answered early,
// a client could be refused because of a write that its very next read
// does not show, or that never happens if the commit fails (issue 9: the
// store was not linearizable). Holding the answers costs a refused append
// the commit's latency, nothing more.
type group struct {
	// accepted holds the appends that write, and the retries that are
	// no-ops, in the order they were judged.
	accepted []*pendingAppend
	refused  []refusal
}

// refusal is an append the group judged bad, with the reason.
type refusal struct {
	req *writeRequest
	err error
}

func (g *group) refuse(r *writeRequest, err error) {
	g.refused = append(g.refused, refusal{req: r, err: err})
}

// answerRefusals answers the refused appends once what they were judged
// against is committed.
func (g group) answerRefusals() {
	for _, r := range g.refused {
		r.req.reply <- writeResult{err: r.err}
	}
}

// abandon answers a group whose transaction will never commit. Its writes
// fail with err. Its refusals and no-op retries are judged again against
// what is committed, since each may have rested on one of those writes:
// an append still refused is refused; one whose events are all committed
// is the retry it claims to be; one that would now have to write fails
// with err like the writes.
func (s *Store) abandon(g group, err error) {
	var again []*writeRequest
	for _, p := range g.accepted {
		if p.noop {
			again = append(again, p.req)
			continue
		}
		p.req.reply <- writeResult{err: err}
	}
	for _, r := range g.refused {
		again = append(again, r.req)
	}
	s.rejudge(again, err)
}

// rejudge answers reqs by what the committed store says of them, in a
// read-only transaction; see abandon.
func (s *Store) rejudge(reqs []*writeRequest, writeErr error) {
	if len(reqs) == 0 {
		return
	}
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	now := time.Now()
	for _, r := range reqs {
		p, err := s.prepare(txn, r, s.lastPos.Load(), now)
		switch {
		case err != nil:
			r.reply <- writeResult{err: err}
		case p.noop:
			s.stats.noops.Add(1)
			r.reply <- writeResult{events: p.events}
		default:
			r.reply <- writeResult{err: writeErr}
		}
	}
}
