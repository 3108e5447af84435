package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// queries holds every statement with the store's schema written in, so
// no statement depends on the session's search_path (which a
// transaction-pooling proxy would not keep).
type queries struct {
	lockHead, setHead, lastPosition                         string
	eventsByID, tails, fences                               string
	insertExecution, updateExecution, insertEvent, notify   string
	eventsAfter, eventsAfterPage, latestEvent, eventsAtPage string
	execution, listExecutions                               string
	acquireLease, renewLease, releaseLease, listLeases      string
	readLease                                               string
	channel                                                 string
}

// eventColumns are the columns scanEvent reads, in its order.
const eventColumns = `execution_id, sequence, position, id, event_type, recorded_at, recorded_at_ns, executor, payload, metadata`

// executionColumns are the columns scanExecution reads, in its order.
const executionColumns = `id, kind, parent, definition_id, definition_version, last_sequence, terminal, created_at, created_at_ns`

func newQueries(schema string) queries {
	s := pgx.Identifier{schema}.Sanitize() + "."
	q := func(sql string) string { return strings.ReplaceAll(sql, "§.", s) }
	return queries{
		// The head row lock is the first thing every append takes: it
		// serialises appends, so positions are assigned in commit order.
		lockHead:     q(`SELECT last_position FROM §.head FOR UPDATE`),
		setHead:      q(`UPDATE §.head SET last_position = $1`),
		lastPosition: q(`SELECT last_position FROM §.head`),
		eventsByID:   q(`SELECT ` + eventColumns + ` FROM §.events WHERE id = ANY($1)`),
		tails:        q(`SELECT id, last_sequence, terminal FROM §.executions WHERE id = ANY($1)`),
		// FOR SHARE: a concurrent takeover (which updates the row) waits
		// for this append to commit, so the new owner's replay sees it.
		fences: q(`SELECT execution_id, token, expires_at > clock_timestamp() FROM §.leases WHERE execution_id = ANY($1) FOR SHARE`),
		insertExecution: q(`INSERT INTO §.executions (` + executionColumns + `, created_position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`),
		// A stored terminal flag stays set: after it only administrative
		// events are accepted, and they do not reopen the execution.
		updateExecution: q(`UPDATE §.executions SET last_sequence = $2, terminal = terminal OR $3 WHERE id = $1`),
		insertEvent: q(`INSERT INTO §.events (` + eventColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`),
		notify:          `SELECT pg_notify($1, '')`,
		eventsAfter:     q(`SELECT ` + eventColumns + ` FROM §.events WHERE execution_id = $1 AND sequence > $2 ORDER BY sequence`),
		eventsAfterPage: q(`SELECT ` + eventColumns + ` FROM §.events WHERE execution_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3`),
		latestEvent:     q(`SELECT ` + eventColumns + ` FROM §.events WHERE execution_id = $1 ORDER BY sequence DESC LIMIT 1`),
		eventsAtPage:    q(`SELECT ` + eventColumns + ` FROM §.events WHERE position > $1 ORDER BY position LIMIT $2`),
		execution:       q(`SELECT ` + executionColumns + ` FROM §.executions WHERE id = $1`),
		// ListExecutions appends its WHERE clauses and the ORDER BY.
		listExecutions: q(`SELECT ` + executionColumns + ` FROM §.executions`),
		acquireLease: q(`INSERT INTO §.leases AS l (execution_id, owner, token, expires_at)
			VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (execution_id) DO UPDATE
			SET owner = excluded.owner,
			    token = CASE WHEN l.owner = excluded.owner AND l.expires_at > clock_timestamp() THEN l.token ELSE l.token + 1 END,
			    expires_at = excluded.expires_at
			WHERE l.owner = excluded.owner OR l.expires_at <= clock_timestamp()
			RETURNING owner, token, expires_at`),
		renewLease: q(`UPDATE §.leases SET expires_at = clock_timestamp() + $3 * interval '1 microsecond'
			WHERE execution_id = $1 AND token = $2 AND owner = $4
			RETURNING owner, token, expires_at`),
		// A released lease keeps its token but loses its owner, so it
		// cannot be renewed, only acquired anew (with the next token).
		releaseLease: q(`UPDATE §.leases SET owner = '', expires_at = least(expires_at, clock_timestamp())
			WHERE execution_id = $1 AND token = $2 AND owner = $3`),
		readLease:  q(`SELECT owner, token, expires_at FROM §.leases WHERE execution_id = $1`),
		listLeases: q(`SELECT execution_id, owner, token, expires_at FROM §.leases ORDER BY execution_id`),
		channel:    "openoma_events_" + schema,
	}
}
