package main

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestSeedSettles seeds a small database on each engine through seedComments and
// finds it settled, as the scale check needs before it measures: on SQLite analyzed
// (sqlite_stat1 filled) with an empty write-ahead log, on PostgreSQL the comments
// table vacuumed and analyzed; and on both, no work left for the server's start.
func TestSeedSettles(t *testing.T) {
	const n = 150
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		srv := &server{env: []string{"WINNOW_DATA_DIR=" + dir}}
		ctx := t.Context()
		createSite(t, srv)
		if err := seedComments(ctx, srv, n, 2, io.Discard); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", filepath.Join(dir, "winnow.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var stats int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_stat1").Scan(&stats); err != nil || stats == 0 {
			t.Errorf("sqlite_stat1 has %d rows (%v): not analyzed", stats, err)
		}
		if fi, err := os.Stat(filepath.Join(dir, "winnow.db-wal")); err == nil && fi.Size() != 0 {
			t.Errorf("write-ahead log of %d bytes after the checkpoint", fi.Size())
		}
		checkSeedCount(t, db, n)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := sqlstoretest.PostgresDSN(t)
		srv := &server{env: []string{"WINNOW_DATABASE_URL=" + dsn}}
		ctx := t.Context()
		createSite(t, srv)
		if err := seedComments(ctx, srv, n, 4, io.Discard); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var vacuumed, analyzed bool
		err = db.QueryRowContext(ctx, `SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables
			WHERE relname = 'comments' AND schemaname = current_schema()`).Scan(&vacuumed, &analyzed)
		if err != nil || !vacuumed || !analyzed {
			t.Errorf("comments vacuumed %v, analyzed %v (%v)", vacuumed, analyzed, err)
		}
		checkSeedCount(t, db, n)
	})
}

// createSite makes the load's site on the server's database, as setUp does with the CLI.
func createSite(t *testing.T, srv *server) {
	t.Helper()
	cfg, err := config.Load("", srv.getenv)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(t.Context(), cfg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := site.NewSite(siteID, "Load")
	st.Origins = []string{siteOrigin}
	if err := store.CreateSite(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

func checkSeedCount(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	var got int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM comments WHERE status = 'approved'").Scan(&got); err != nil || got != n {
		t.Errorf("%d approved comments (%v), want %d", got, err, n)
	}
	// Every seeded comment has its address key, as intake writes them: the server has
	// none to key in the background while it is measured.
	var unkeyed int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM comments WHERE ip <> '' AND ip_key = ''").Scan(&unkeyed); err != nil || unkeyed != 0 {
		t.Errorf("%d seeded comments without an address key (%v)", unkeyed, err)
	}
}
