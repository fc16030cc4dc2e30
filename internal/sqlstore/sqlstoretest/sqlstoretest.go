// Package sqlstoretest gives tests fresh, migrated stores on both engines, so that
// every store test runs against SQLite and PostgreSQL alike.
//
// PostgreSQL comes from WINNOW_TEST_POSTGRES_URL. Without it, tests that need it skip
// on a developer's machine but fail when CI=true or WINNOW_TEST_REQUIRE=1: CI must
// never pass by skipping.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lib/pq" // driver "postgres"

	"github.com/winnow/winnow/internal/sqlstore"
)

// EnvPostgres names the variable holding the test server's URL, for example
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "WINNOW_TEST_POSTGRES_URL"

// ForEachEngine runs fn as a subtest per engine, "sqlite" and "postgres", each with
// a migrated store on a fresh, empty database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, SQLiteDSN(t))) })
	t.Run("postgres", func(t *testing.T) { fn(t, Open(t, PostgresDSN(t))) })
}

// Open returns a migrated store on dsn, closed when the test ends.
func Open(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// SQLiteDSN returns a DSN for a new database file in the test's temporary directory.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "winnow.db")
}

// PostgresDSN returns a DSN for a fresh, empty schema on the test server: it creates
// schema test_<random>, drops it when the test ends, and points the DSN's
// search_path at it (lib/pq sends unknown DSN keys as run-time parameters).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if Required() {
			t.Fatalf("%s is not set, and CI=true or WINNOW_TEST_REQUIRE=1 forbids skipping", EnvPostgres)
		}
		t.Skipf("%s is not set", EnvPostgres)
	}
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	schema := "test_" + strings.ToLower(rand.Text())
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("postgres: drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// EnvRedis names the variable holding the test Redis server's URL, which make test sets
// beside EnvPostgres: tests of the store's neighbours (limits, the submit gate) use it.
const EnvRedis = "WINNOW_TEST_REDIS_URL"

// RedisURL returns the test Redis server's URL. Without one the test skips on a
// developer's machine and fails when CI=true or WINNOW_TEST_REQUIRE=1, like PostgresDSN.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvRedis)
	if u == "" {
		if Required() {
			t.Fatalf("%s is not set, and CI=true or WINNOW_TEST_REQUIRE=1 forbids skipping", EnvRedis)
		}
		t.Skipf("%s is not set", EnvRedis)
	}
	return u
}

// Required reports whether tests must not skip for want of a server.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("WINNOW_TEST_REQUIRE") == "1"
}

// Engine is a database engine and how to get a fresh, empty database on it.
type Engine struct {
	Name string
	DSN  func(testing.TB) string
}

// Engines returns SQLite and PostgreSQL, for tests and benchmarks that open their
// stores themselves: a migration test stopping at an older version, a benchmark, a
// store on a wrapped driver. ForEachEngine serves the rest.
func Engines() []Engine {
	return []Engine{{"sqlite", SQLiteDSN}, {"postgres", PostgresDSN}}
}
