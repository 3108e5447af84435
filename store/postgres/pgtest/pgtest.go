// Package pgtest gives tests a PostgreSQL to run against: the server named
// by OPENOMA_TEST_POSTGRES_DSN, and a fresh schema per test so tests never
// see each other's events.
//
// Without the variable a test is skipped with a loud message, except in CI
// (CI=true), where a missing database is a failure: CI must not pass by
// running less. .ci/run starts a local PostgreSQL and sets the variable.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable that holds the test database's DSN.
const EnvDSN = "OPENOMA_TEST_POSTGRES_DSN"

// DSN returns the test database's DSN, or skips (fails, in CI) when none is
// configured.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn != "" {
		return dsn
	}
	const why = "no PostgreSQL for this test: set " + EnvDSN +
		" (e.g. postgres://openoma:openoma@127.0.0.1:5432/openoma_test?sslmode=disable; `export OPENOMA_TEST_POSTGRES_DSN=$(.ci/start-postgres)` starts one)"
	if os.Getenv("CI") == "true" {
		tb.Fatal("CI=true but " + why)
	}
	tb.Skip("SKIPPING: " + why)
	return ""
}

// Schema creates a schema with a fresh random name in the test database
// and drops it, with everything in it, when tb ends. It returns the DSN
// and the schema's name.
func Schema(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	dsn = DSN(tb)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema = "test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() { Drop(tb, dsn, schema) })
	return dsn, schema
}

// Drop removes a schema and everything in it.
func Drop(tb testing.TB, dsn, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Errorf("drop schema %s: connect: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}
