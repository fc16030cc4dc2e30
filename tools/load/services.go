package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// services are the throwaway PostgreSQL and Redis that .ci/services started.
type services struct {
	repo, dir   string
	PostgresURL string // the server's postgres database
	RedisURL    string
	bindir      string // PostgreSQL's client tools (psql, pgbench)
}

// startServices starts PostgreSQL and Redis on free loopback ports with the repository's
// own script, the one `make test` uses, with its state in dir (which must not exist).
func startServices(ctx context.Context, repo, dir string, log io.Writer) (*services, error) {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repo, ".ci", "services"), "start", dir)
	cmd.Stderr = log
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL and Redis (.ci/services): %w", err)
	}
	s := &services{repo: repo, dir: dir}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, "'")
		switch k {
		case "WINNOW_TEST_POSTGRES_URL":
			s.PostgresURL = v
		case "WINNOW_TEST_REDIS_URL":
			s.RedisURL = v
		}
	}
	if s.PostgresURL == "" || s.RedisURL == "" {
		s.stop(log)
		return nil, fmt.Errorf(".ci/services start printed no server addresses: %q", out)
	}
	for _, u := range []string{s.PostgresURL, s.RedisURL} {
		if err := requireLoopback(u); err != nil {
			s.stop(log)
			return nil, err
		}
	}
	if s.bindir, err = pgBindir(); err != nil {
		s.stop(log)
		return nil, err
	}
	return s, nil
}

// makeDurable turns on what .ci/services turns off for speed (fsync, synchronous
// commit, full-page writes), so that a commit, pgbench's and winnow's alike, is on
// disk when it is acknowledged, as on a production server.
func (s *services) makeDurable(ctx context.Context) error {
	for _, set := range []string{"fsync = on", "synchronous_commit = on", "full_page_writes = on"} {
		if err := s.psql(ctx, "postgres", "ALTER SYSTEM SET "+set); err != nil {
			return err
		}
	}
	return s.psql(ctx, "postgres", "SELECT pg_reload_conf()")
}

// stop stops both servers and removes their directory.
func (s *services) stop(log io.Writer) {
	cmd := exec.Command("bash", filepath.Join(s.repo, ".ci", "services"), "stop", s.dir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(log, "load: stopping PostgreSQL and Redis: %v\n", err)
	}
}

// databaseURL is the URL of another database on the same PostgreSQL server.
func (s *services) databaseURL(name string) string {
	u, _ := url.Parse(s.PostgresURL) // checked by startServices
	u.Path = "/" + name
	return u.String()
}

// createDatabase creates a fresh database on the throwaway server.
func (s *services) createDatabase(ctx context.Context, name string) error {
	if err := s.psql(ctx, "postgres", "DROP DATABASE IF EXISTS "+name); err != nil {
		return err
	}
	return s.psql(ctx, "postgres", "CREATE DATABASE "+name)
}

// psql runs SQL in database db, stopping at the first error.
func (s *services) psql(ctx context.Context, db, sql string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-d", s.databaseURL(db), "-c", sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// pgBindir finds PostgreSQL's client tools as .ci/services finds its server tools.
func pgBindir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return pgMajor(a) - pgMajor(b) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pgbench")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgbench not found: install Debian package postgresql or set PG_BINDIR")
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// The pgbench workloads. Their rows are shaped like winnow's comments (an author, an
// address, about 600 bytes of text and its HTML, a status, times) and indexed on
// (site, thread, status, time), as a thread read needs.
const pgbenchSchema = `
DROP TABLE IF EXISTS bench_insert, bench_select;
CREATE TABLE bench_insert (
    id BIGSERIAL PRIMARY KEY, site_id TEXT NOT NULL, thread_id BIGINT NOT NULL,
    author_name TEXT NOT NULL, author_email TEXT NOT NULL, ip TEXT NOT NULL,
    body TEXT NOT NULL, body_html TEXT NOT NULL, status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(), published_at TIMESTAMPTZ);
CREATE INDEX bench_insert_thread ON bench_insert (site_id, thread_id, status, created_at);
CREATE TABLE bench_select (LIKE bench_insert INCLUDING ALL);
INSERT INTO bench_select (site_id, thread_id, author_name, author_email, ip, body, body_html, status, created_at, published_at)
SELECT 'load', g % 200, 'Reader ' || g, 'reader' || g || '@load.example', '198.18.0.1',
       'Note ' || g || '. ' || repeat('a comment of a usual length ', 21),
       '<p>Note ' || g || '. ' || repeat('a comment of a usual length ', 21) || '</p>',
       'approved', now() - g * interval '1 second', now() - g * interval '1 second'
FROM generate_series(1, 20000) g;
ANALYZE bench_insert;
ANALYZE bench_select;
`

const pgbenchInsert = `\set t random(1, 1000)
INSERT INTO bench_insert (site_id, thread_id, author_name, author_email, ip, body, body_html, status, published_at)
VALUES ('load', :t, 'Reader', 'reader@load.example', '198.18.0.1',
 'Note. I have been following this series for a while and this post finally made the trade-offs click for me. The part about keeping the write path to a single transaction is something I wish I had read before our last migration; we ended up with three round trips per request and never noticed until the load test. One question: how do you handle a reader who edits a comment after it was approved? Thanks again for writing these up so carefully.',
 '<p>Note. I have been following this series for a while and this post finally made the trade-offs click for me. The part about keeping the write path to a single transaction is something I wish I had read before our last migration; we ended up with three round trips per request and never noticed until the load test. One question: how do you handle a reader who edits a comment after it was approved? Thanks again for writing these up so carefully.</p>',
 'approved', now());
`

const pgbenchSelect = `\set t random(0, 199)
SELECT id, author_name, body_html, created_at, published_at FROM bench_select
WHERE site_id = 'load' AND thread_id = :t AND status = 'approved' ORDER BY created_at LIMIT 100;
`

// runPgbench runs pgbench's single-row insert and its indexed 100-row select (after
// ANALYZE) with the same clients and duration as the winnow phases, and returns their rows.
func runPgbench(ctx context.Context, s *services, o options, dir string, log io.Writer) ([]Row, error) {
	const db = "pgbench"
	if err := s.createDatabase(ctx, db); err != nil {
		return nil, err
	}
	if err := s.psql(ctx, db, pgbenchSchema); err != nil {
		return nil, fmt.Errorf("pgbench tables: %w", err)
	}
	var rows []Row
	for _, w := range []struct{ name, script string }{{wlInsert, pgbenchInsert}, {wlSelect, pgbenchSelect}} {
		fmt.Fprintf(log, "load: %s for %s, %d clients\n", w.name, o.Duration, o.Concurrency)
		r, err := pgbench(ctx, s, o, db, filepath.Join(dir, strings.ReplaceAll(w.name, " ", "-")), w.script)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.name, err)
		}
		r.Engine, r.Workload = pgbenchEngine, w.name
		rows = append(rows, r)
	}
	return rows, nil
}

var (
	tpsLine    = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	failedLine = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// pgbench runs one custom script with per-transaction logging, so that p50 and p99
// come from every transaction's latency, as winnow's do.
func pgbench(ctx context.Context, s *services, o options, db, prefix, script string) (Row, error) {
	file := prefix + ".sql"
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		return Row{}, err
	}
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(o.Concurrency),
		"-j", strconv.Itoa(min(o.Concurrency, runtime.NumCPU())), "-T", strconv.Itoa(max(1, int(o.Duration.Round(time.Second).Seconds()))),
		"-f", file, "-l", "--log-prefix", prefix}
	if o.Rate > 0 {
		args = append(args, "-R", strconv.Itoa(o.Rate))
	}
	args = append(args, s.databaseURL(db))
	cmd := exec.CommandContext(ctx, filepath.Join(s.bindir, "pgbench"), args...)
	cmd.Dir = filepath.Dir(prefix)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return Row{}, ctx.Err() // interrupted: pgbench was killed
	}
	if err != nil {
		return Row{}, fmt.Errorf("pgbench: %w: %s", err, bytes.TrimSpace(out))
	}
	r, err := parsePgbench(out)
	if err != nil {
		return Row{}, err
	}
	logs, _ := filepath.Glob(prefix + ".*")
	var lat []time.Duration
	for _, l := range logs {
		if strings.HasSuffix(l, ".sql") {
			continue
		}
		got, err := readPgbenchLog(l)
		if err != nil {
			return Row{}, err
		}
		lat = append(lat, got...)
	}
	r.Requests = len(lat) + r.Errors
	r.P50, r.P99 = quantile(lat, 0.50), quantile(lat, 0.99)
	return r, nil
}

// parsePgbench reads the rate and the failed transactions from pgbench's summary.
func parsePgbench(out []byte) (Row, error) {
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return Row{}, fmt.Errorf("pgbench printed no tps: %s", out)
	}
	var r Row
	r.Rate, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := failedLine.FindSubmatch(out); m != nil {
		r.Errors, _ = strconv.Atoi(string(m[1]))
	}
	return r, nil
}

// readPgbenchLog reads the latencies of a pgbench transaction log: "client transaction
// latency_us script epoch epoch_us [...]"; a failed transaction (latency not a number)
// is counted by pgbench's summary instead.
func readPgbenchLog(path string) (lat []time.Duration, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		if us, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
	}
	return lat, sc.Err()
}

// quantile is the q-quantile of lat (nearest rank), sorting lat.
func quantile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(q*float64(len(lat))+0.5) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

// requireLoopback refuses a URL whose host is not a loopback address: the tool sends
// load nowhere else.
func requireLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	switch h := u.Hostname(); {
	case h == "localhost", h == "::1", strings.HasPrefix(h, "127."):
		return nil
	}
	return fmt.Errorf("%s is not on loopback; the load tool only targets 127.0.0.1", u.Host)
}
