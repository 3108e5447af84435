package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's versions, applied in order of the number
// that starts each file's name. A released file is never edited: a change
// is a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLockClass is the first key of the advisory lock that
// serialises migrations; the second is a hash of the schema name, so
// stores in different schemas migrate independently.
const migrationLockClass = 0x6f6d61 // "oma"

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version < 1 {
			return nil, fmt.Errorf("embedded migration %s: name must start with a version number and _", e.Name())
		}
		body, err := migrations.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read embedded migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := range out {
		if out[i].version != i+1 {
			return nil, fmt.Errorf("embedded migrations: version %d missing (have %s)", i+1, out[i].name)
		}
	}
	return out, nil
}

// migrate brings the schema to the newest version this binary knows, in
// one transaction under a transaction-level advisory lock: hosts starting
// at once wait for each other instead of racing to create tables, and a
// failed migration leaves the previous version intact. A transaction-level
// lock (not a session lock) also works behind a transaction-pooling proxy.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (int, error) {
	all, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	var version int
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, migrationLockClass, schema); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		ident := pgx.Identifier{schema}.Sanitize()
		for _, stmt := range []string{
			`CREATE SCHEMA IF NOT EXISTS ` + ident,
			`SET LOCAL search_path TO ` + ident,
			`CREATE TABLE IF NOT EXISTS schema_migrations (
				version    integer PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("prepare schema %s: %w", schema, err)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if version > len(all) {
			return fmt.Errorf("schema %s is at version %d, newer than this openoma knows (%d): upgrade openoma", schema, version, len(all))
		}
		for _, m := range all[version:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
			version = m.version
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("migrate schema %s: %w", schema, err)
	}
	return version, nil
}
