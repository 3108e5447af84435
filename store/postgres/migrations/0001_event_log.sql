-- The event log. Runs with search_path set to the store's schema.

-- head is the log's single row: the last position handed out. Every append
-- locks it (SELECT … FOR UPDATE) before anything else and writes it in the
-- same transaction, so appends commit one after another in position order
-- and a reader's snapshot always holds a gap-free prefix of positions.
CREATE TABLE head (
	singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	last_position bigint  NOT NULL CHECK (last_position >= 0)
);
INSERT INTO head (singleton, last_position) VALUES (true, 0);

-- executions is the summary of each execution: its tail for the checks of
-- the next append (last_sequence, terminal) and what ListExecutions filters
-- on. created_position orders executions by their first append.
CREATE TABLE executions (
	id                 uuid    PRIMARY KEY,
	created_position   bigint  NOT NULL UNIQUE,
	kind               text    NOT NULL,
	parent             uuid,
	definition_id      uuid,
	definition_version integer NOT NULL,
	last_sequence      bigint  NOT NULL CHECK (last_sequence >= 1),
	terminal           boolean NOT NULL,
	created_at         timestamptz NOT NULL,
	created_at_ns      smallint    NOT NULL CHECK (created_at_ns BETWEEN 0 AND 999)
);
-- Recovery lists the open executions at every start: a partial index holds
-- only those.
CREATE INDEX executions_open ON executions (created_position) WHERE NOT terminal;
CREATE INDEX executions_parent ON executions (parent, created_position) WHERE parent IS NOT NULL;
CREATE INDEX executions_definition ON executions (definition_id, created_position) WHERE definition_id IS NOT NULL;
CREATE INDEX executions_kind ON executions (kind, created_position);

-- events is the log itself. The primary key (execution_id, sequence) is
-- the per-execution order and makes a second writer of the same sequence
-- impossible; the unique id makes idempotency permanent; position is the
-- store-wide order subscriptions follow.
--
-- The timestamp is kept as timestamptz (microseconds, for people querying
-- the table) plus the nanoseconds below the microsecond, so it reads back
-- exactly. The payload is bytea: it is returned byte for byte as written.
CREATE TABLE events (
	execution_id uuid     NOT NULL REFERENCES executions (id),
	sequence     bigint   NOT NULL CHECK (sequence >= 1),
	position     bigint   NOT NULL UNIQUE,
	id           uuid     NOT NULL UNIQUE,
	event_type   text     NOT NULL,
	recorded_at    timestamptz NOT NULL,
	recorded_at_ns smallint    NOT NULL CHECK (recorded_at_ns BETWEEN 0 AND 999),
	executor     json,
	payload      bytea    NOT NULL,
	metadata     json,
	PRIMARY KEY (execution_id, sequence)
);

-- leases give each execution one writing host at a time (cluster mode).
-- A row is never deleted, so token only ever grows.
CREATE TABLE leases (
	execution_id uuid        PRIMARY KEY,
	owner        text        NOT NULL,
	token        bigint      NOT NULL CHECK (token >= 1),
	expires_at   timestamptz NOT NULL
);
