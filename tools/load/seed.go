package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/sqlstore"
)

// seedComments stores n published comments on the load site through the store
// package, 100 a thread on pages /seed/0, /seed/1, ..., as the service would have
// stored them (sanitized HTML, keyed author and avatar hashes), but without the HTTP
// API, its limits and its scoring: a big database made quickly, for the scale check.
// It runs before the server starts, on the database the server's configuration names.
func seedComments(ctx context.Context, srv *server, n, workers int, log io.Writer) error {
	cfg, err := config.Load("", srv.getenv)
	if err != nil {
		return fmt.Errorf("seed: configuration: %w", err)
	}
	st, err := sqlstore.Open(ctx, bulkDSN(cfg.DSN()))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	secret, err := st.Secret(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	san := sanitize.New()
	start := time.Now()
	// Recent times, a millisecond apart: older than a day, published comments would
	// start teaching the spam model in the background (spam.learn_published_after).
	base := start.Add(-time.Duration(n) * time.Millisecond).UTC()
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		mu         sync.Mutex
		firstErr   error
	)
	fmt.Fprintf(log, "load: seeding %s comments through the store (%d workers)\n", formatCount(int64(n)), workers)
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				a := i % authors
				name, email := fmt.Sprintf("Reader %d", a), fmt.Sprintf("reader%d@load.example", a)
				text := body(1_000_000_000 + i) // never a number the load itself posts
				at := base.Add(time.Duration(i) * time.Millisecond)
				ip := fmt.Sprintf("198.18.%d.%d", a/250, a%250+1)
				// The address key too, as intake writes it: a comment with an address and
				// no key is one from before keys, which the server keys in the background
				// when it starts (KeyAddresses), one UPDATE a row, during the phases.
				c := comment.Comment{
					SiteID: siteID, AuthorName: name, AuthorEmail: email,
					AuthorKey: comment.AuthorKey(secret, name, email), AvatarHash: comment.AvatarHash(secret, email),
					IP: ip, AddressKey: comment.AddressKey(secret, ip, cfg.HTTP.IPv6Prefix), UserAgent: userAgent,
					BodySource: text, BodyHTML: san.HTML(text), Status: comment.StatusApproved,
					CreatedAt: at, UpdatedAt: at, PublishedAt: at,
				}
				thread := comment.Thread{SiteID: siteID, Key: fmt.Sprintf("/seed/%d", i/100), CreatedAt: at}
				if err := st.CreateComment(ctx, &c, thread, comment.Notice{}); err != nil { // seeded, not announced: no webhook event
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("seed: comment %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				if d := done.Add(1); d%(max(int64(n)/10, 1)) == 0 {
					fmt.Fprintf(log, "load: seeded %s of %s (%.0f/s)\n", formatCount(d), formatCount(int64(n)),
						float64(d)/time.Since(start).Seconds())
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	closed = true
	if err := st.Close(); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	settling := time.Now()
	if err := settle(ctx, cfg.DSN()); err != nil {
		return fmt.Errorf("seed: settle: %w", err)
	}
	fmt.Fprintf(log, "load: settled the seeded database in %s (%s)\n", time.Since(settling).Round(100*time.Millisecond), settleWhat(cfg.DSN()))
	return nil
}

// settle brings a freshly seeded database to the state of one that has been live for
// a while, before anything is measured; otherwise the server does that work during the
// measured phases, on the same cores, and the bigger database looks slower for it.
// On PostgreSQL: VACUUM ANALYZE (hint bits and the visibility map of the new rows, the
// planner's statistics: what autovacuum would do a little later) and CHECKPOINT (the
// dirty pages written now, not by the checkpointer during the phases). On SQLite:
// ANALYZE and a checkpoint that copies the write-ahead log into the database and
// truncates it. The server is not running yet, so nothing holds the database. The
// drivers ("sqlite", "postgres") are registered by sqlstore, which seeds.
func settle(ctx context.Context, dsn string) error {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			return err
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("ANALYZE: %w", err)
		}
		var busy, logFrames, checkpointed int
		if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &checkpointed); err != nil {
			return fmt.Errorf("wal_checkpoint: %w", err)
		}
		if busy != 0 {
			return errors.New("wal_checkpoint: the database was busy")
		}
		return nil
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// One statement each: VACUUM cannot run inside a transaction block.
	for _, stmt := range []string{"VACUUM ANALYZE", "CHECKPOINT"} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// settleWhat says what settle ran on dsn's engine.
func settleWhat(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return "ANALYZE, PRAGMA wal_checkpoint(TRUNCATE)"
	}
	return "VACUUM ANALYZE, CHECKPOINT"
}

// bulkDSN is dsn for a bulk load that need not survive a crash: commits do not wait
// for the disk (PostgreSQL's synchronous_commit, which lib/pq passes on as a run-time
// parameter; SQLite's synchronous pragma). Only the seeding connection uses it; the
// server keeps its own settings.
func bulkDSN(dsn string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if strings.HasPrefix(dsn, "sqlite:") {
		return dsn + sep + "_pragma=synchronous(OFF)"
	}
	return dsn + sep + "synchronous_commit=off"
}

// checkSeeded asks the server how many published comments the first seeded thread
// has, through the public counts API: the seeded database is the one it serves.
func checkSeeded(ctx context.Context, client *http.Client, base string, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/sites/"+siteID+"/counts?thread=/seed/0", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("check the seeded comments: %w", err)
	}
	defer resp.Body.Close()
	var got struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("check the seeded comments: %s, %v", resp.Status, err)
	}
	if n := got.Counts["/seed/0"]; n != want {
		return fmt.Errorf("check the seeded comments: the server counts %d on /seed/0, want %d", n, want)
	}
	return nil
}
