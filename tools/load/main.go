// Command load measures winnow the way issue 13 asks: the real binary on throwaway
// PostgreSQL + Redis (and on SQLite), driven over loopback HTTP by vegeta's closed
// loop of 32 clients, beside pgbench's single-row insert and 100-row select on the
// same PostgreSQL server in the same run; every rate is printed as a ratio to pgbench,
// since absolute figures drift between machines.
//
// It is its own module (tools/load), so vegeta stays out of the service's
// dependencies. Run it with `make load` (LOADFLAGS='-duration 5s' for a quick look).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxFormPhase bounds the closed-loop fetching of form tokens, so that a long run
// does not spend as long fetching them as submitting.
const maxFormPhase = 20 * time.Second

// soakTolerance is how far the last soak window's p99 and RSS may exceed the second's.
const soakTolerance = 0.2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// soakRun is one phase's windows, printed after the table.
type soakRun struct {
	title   string
	windows []Window
}

// run is the whole tool: flags, servers, phases, report. Progress goes to stderr, the
// report to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if o.Repo == "" {
		if o.Repo, err = findRepo(); err != nil {
			return err
		}
	}
	if o.Repo, err = filepath.Abs(o.Repo); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "winnow-load-")
	if err != nil {
		return err
	}
	// PostgreSQL runs as its own user (as root, .ci/services switches to postgres),
	// which must reach the directory inside.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if o.Keep {
		fmt.Fprintf(stderr, "load: keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	bin := o.Binary
	if bin == "" && (o.winnowPhases() || o.SeedComments > 0) {
		bin = filepath.Join(dir, "winnow")
		fmt.Fprintln(stderr, "load: go build ./cmd/winnow")
		if err := buildBinary(ctx, o.Repo, bin, stderr); err != nil {
			return err
		}
	}

	var svc *services
	if o.needsPostgres() {
		if svc, err = startServices(ctx, o.Repo, filepath.Join(dir, "services"), stderr); err != nil {
			return err
		}
		defer svc.stop(stderr)
		if o.Durable {
			if err := svc.makeDurable(ctx); err != nil {
				return err
			}
		}
	}

	var rows []Row
	var soaks []soakRun
	if o.has(phasePgbench) {
		r, err := runPgbench(ctx, svc, o, dir, stderr)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if o.winnowPhases() || o.SeedComments > 0 {
		for _, engine := range o.Engines {
			r, s, err := runEngine(ctx, o, bin, filepath.Join(dir, engine), engine, svc, stderr)
			if err != nil {
				return fmt.Errorf("%s: %w", engine, err)
			}
			rows, soaks = append(rows, r...), append(soaks, s...)
		}
	}
	addRatios(rows)
	if err := writeHeader(stdout, o); err != nil {
		return err
	}
	if err := writeTable(stdout, rows); err != nil {
		return err
	}
	if err := writeLegend(stdout, o); err != nil {
		return err
	}
	for _, s := range soaks {
		if err := writeSoak(stdout, s.title, s.windows, soakTolerance); err != nil {
			return err
		}
	}
	return nil
}

// engineLabel names an engine's rows by what the server ran on.
func engineLabel(engine string, redis bool) string {
	if engine == "postgres" && redis {
		return "postgres+redis"
	}
	return engine
}

// runEngine starts winnow on engine, sets up the site, and runs the winnow phases.
// The form tokens are fetched first and age during the reads, so that no submission
// looks filled in too fast.
func runEngine(ctx context.Context, o options, bin, dir, engine string, svc *services, log io.Writer) ([]Row, []soakRun, error) {
	label := engineLabel(engine, o.Redis)
	srv, err := newServer(ctx, bin, dir, engine, svc, o.Redis)
	if err != nil {
		return nil, nil, err
	}
	if err := srv.setUp(ctx); err != nil {
		return nil, nil, err
	}
	if o.SeedComments > 0 {
		workers := 8
		if engine == "sqlite" {
			workers = 2 // one writer at a time anyway
		}
		if err := seedComments(ctx, srv, o.SeedComments, workers, log); err != nil {
			return nil, nil, err
		}
	}
	if err := srv.start(ctx); err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	fmt.Fprintf(log, "load: winnow on %s at %s (log %s)\n", label, srv.Base, srv.logPath)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }}}
	defer client.CloseIdleConnections()
	if err := srv.raiseLimits(ctx, client); err != nil {
		return nil, nil, err
	}
	if o.SeedComments > 0 {
		if err := checkSeeded(ctx, client, srv.Base, min(o.SeedComments, 100)); err != nil {
			return nil, nil, err
		}
	}
	if !o.winnowPhases() {
		return nil, nil, nil
	}

	l := newLoader(srv.Base, o.Threads)
	var rows []Row
	var soaks []soakRun
	last := -1 // the last phase's row, which gets the server's peak RSS
	add := func(row Row, subs []Row, ws []Window) {
		last = len(rows)
		rows = append(rows, row)
		rows = append(rows, subs...)
		if o.Soak && len(ws) > 0 {
			soaks = append(soaks, soakRun{title: label + " " + row.Workload, windows: ws})
		}
	}
	progress := func(w string) {
		fmt.Fprintf(log, "load: %s %s for %s, %d clients\n", label, w, o.Duration, o.Concurrency)
	}

	var threadNote string
	if o.has(phaseRead) || o.has(phaseMix) {
		if err := l.seedThread(ctx, client); err != nil {
			return nil, nil, err
		}
		if threadNote, err = l.sample(ctx, client); err != nil {
			return nil, nil, err
		}
	}
	writes := o.has(phaseSubmit) || o.has(phaseMix)
	if writes {
		// Closed loop: as many as the duration allows, up to maxFormPhase (far more
		// than the submissions will use). Paced: what the paced phases will use, and a
		// margin, however long that takes.
		p := phase{workload: wlForm, engine: label, target: l.form, onResult: l.keepToken, closed: true,
			duration: min(o.Duration, maxFormPhase)}
		if o.Rate > 0 {
			share := 0.0
			if o.has(phaseSubmit) {
				share++
			}
			if o.has(phaseMix) {
				share += 0.1
			}
			p.limit = int64(float64(o.Rate)*o.Duration.Seconds()*share*1.1) + 100
			p.duration = maxDuration
		}
		fmt.Fprintf(log, "load: %s fetching form tokens\n", label)
		row, _, _ := attack(ctx, o, srv, p)
		row.Note = joinNote(formatCount(int64(len(l.tokens.items)))+" tokens kept for the submissions", row.Note)
		add(row, nil, nil)
	}
	if o.has(phaseRead) {
		progress(wlRead)
		row, subs, ws := attack(ctx, o, srv, phase{workload: wlRead, engine: label, target: l.read})
		row.Note = joinNote(threadNote, row.Note)
		add(row, subs, ws)
		if l.etag != "" {
			progress(wlRevalidate)
			row, subs, ws = attack(ctx, o, srv, phase{workload: wlRevalidate, engine: label, target: l.revalidate})
			row.Note = joinNote("If-None-Match: the ETag of the read", row.Note)
			add(row, subs, ws)
		}
	}
	if writes {
		if err := l.waitForTokens(ctx); err != nil {
			return nil, nil, err
		}
	}
	if o.has(phaseSubmit) {
		progress(wlSubmit)
		before := l.noToken.Load()
		row, subs, ws := attack(ctx, o, srv, phase{workload: wlSubmit, engine: label, target: l.submit})
		row.Note = submitNote(row.Note, l.noToken.Load()-before)
		add(row, subs, ws)
	}
	if o.has(phaseMix) {
		progress(wlMix)
		before := l.noToken.Load()
		row, subs, ws := attack(ctx, o, srv, phase{workload: wlMix, engine: label, target: l.mix,
			kind:  func(r *vegeta.Result) string { return r.Method },
			kinds: map[string]string{http.MethodGet: wlMixRead, http.MethodPost: wlMixWrite}})
		row.Note = joinNote("writes go to other pages than the one read", submitNote(row.Note, l.noToken.Load()-before))
		add(row, subs, ws)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if _, peak := srv.memory(); last >= 0 {
		rows[last].Note = joinNote(rows[last].Note, "server peak RSS "+formatBytes(peak))
	}
	return rows, soaks, nil
}

// submitNote adds to a submitting phase's status codes how many went without a form
// token (the fetched ones ran out): those carry the "no form token" spam signal.
func submitNote(codes string, noToken int64) string {
	note := joinNote("201 published, 202 held", codes)
	if noToken > 0 {
		note = joinNote(note, formatCount(noToken)+" without a form token (the fetched ones ran out)")
	}
	return note
}

// joinNote joins the non-empty parts of a note with "; ".
func joinNote(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// writeHeader says what ran where, so that a pasted table carries its context.
func writeHeader(w io.Writer, o options) error {
	loop := "closed loop (vegeta rate 0, pgbench without -R)"
	if o.Rate > 0 {
		loop = fmt.Sprintf("paced at %d requests/s", o.Rate)
	}
	_, err := fmt.Fprintf(w, "\nwinnow load: %s, %d clients, %s a phase, %s; %d CPUs, %s, %s; winnow %s\n\n",
		loop, o.Concurrency, o.Duration, strings.Join(o.Engines, " and "), runtime.NumCPU(), memTotal(),
		runtime.Version(), repoVersion(o.Repo))
	return err
}

// writeLegend explains the choices a reader of the table needs to know.
func writeLegend(w io.Writer, o options) error {
	text := `
rate counts successful requests (transactions for pgbench) per second; errors are transport
errors and answers outside 2xx/3xx. × pgbench: submit and writes against pgbench's single-row
insert, reads against its indexed 100-row select (after ANALYZE), the mix against the same
90/10 mix at pgbench's rates (weighted harmonic mean). × postgres: the same workload on
winnow with PostgreSQL in this run. server CPU/req: the server's CPU time over the phase
(user and system, every thread; /proc/PID/stat) per request, which moves much less than
the rate when other work shares the cores.
Site "load" has policy none and every rate limit raised to 1,000,000/s, so that the load is
measured, not refused. Submissions are ~600-byte distinct comments from 10,000 authors, each
with their own address (X-Forwarded-For from 127.0.0.1, a trusted proxy), an Idempotency-Key
and a form token fetched beforehand and at least 3.5 s old, as the widget sends them. Reads
are a browser's (Accept-Encoding: gzip) of one 100-comment thread, whole (limit=100). The load
generator, pgbench and the servers share the same cores; winnow logs requests (level info) to
a file.
`
	if o.needsPostgres() {
		if o.Durable {
			text += "PostgreSQL commits durably, as in production (fsync, synchronous_commit, full_page_writes on).\n"
		} else {
			text += "PostgreSQL runs with the test suite's settings: fsync, synchronous_commit and full_page_writes off.\n"
		}
	}
	if o.SeedComments > 0 {
		text += fmt.Sprintf("The database held %s more published comments, seeded through the store.\n", formatCount(int64(o.SeedComments)))
	}
	_, err := io.WriteString(w, text)
	return err
}

// findRepo finds the repository root upwards from the working directory: the
// directory with .ci/services and cmd/winnow.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, ".ci", "services")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "cmd", "winnow")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the winnow repository was not found upwards from here; give -repo")
		}
		dir = parent
	}
}

// repoVersion is the repository's commit, for the header.
func repoVersion(repo string) string {
	out, err := exec.Command("git", "-C", repo, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "(unknown commit)"
	}
	return strings.TrimSpace(string(out))
}

// memTotal is the machine's memory, from /proc/meminfo.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	return formatBytes(procStatusKB(b, "MemTotal")*1024) + " memory"
}
