package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Phase names for -phases.
const (
	phasePgbench = "pgbench"
	phaseSubmit  = "submit"
	phaseRead    = "read"
	phaseMix     = "mix"
)

var allPhases = []string{phasePgbench, phaseSubmit, phaseRead, phaseMix}

// Limits that keep a run bounded: a typo must not start an hour of load.
const (
	maxDuration    = 2 * time.Hour
	maxConcurrency = 1024
	maxSeed        = 50_000_000
)

// options are the tool's flags, checked by validate.
type options struct {
	Duration     time.Duration
	Concurrency  int
	Rate         int
	Engines      []string
	Redis        bool
	SeedComments int
	Soak         bool
	SoakWindow   time.Duration
	Phases       []string
	Threads      int
	Repo         string
	Binary       string
	Keep         bool
	Durable      bool
}

// parseOptions reads args into options and validates them; errors name the flag.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `load: measure winnow against pgbench on throwaway servers on 127.0.0.1

Starts throwaway PostgreSQL and Redis (.ci/services), runs pgbench's single-row insert and
100-row select, then starts the real winnow binary on each engine and drives it with 32
closed-loop clients (vegeta): submit, thread read (and its 304), and a 90/10 read/write mix.
Prints rate, p50/p99, errors, the server's RSS and each rate as a ratio to pgbench.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each phase runs (at most "+maxDuration.String()+")")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "clients: pgbench's -c and the number of vegeta workers")
	fs.IntVar(&o.Rate, "rate", 0, "requests per second for every phase (pgbench -R); 0 runs a closed loop as fast as the clients go")
	engine := fs.String("engine", "postgres,sqlite", "winnow's database: postgres, sqlite, or both (comma-separated)")
	fs.BoolVar(&o.Redis, "redis", true, "on PostgreSQL, keep rate limits in the throwaway Redis (false: in-process limiter); SQLite always uses the in-process one")
	fs.IntVar(&o.SeedComments, "seed-comments", 0, "store this many published comments (100 a thread) through the store package before the server starts, for the scale check")
	fs.BoolVar(&o.Soak, "soak", false, "also report rate, p99 and server RSS per -soak-window, and whether the last window stays within 20% of the second")
	fs.DurationVar(&o.SoakWindow, "soak-window", time.Minute, "window of -soak")
	phases := fs.String("phases", strings.Join(allPhases, ","), "what to run, comma-separated: "+strings.Join(allPhases, ", "))
	fs.IntVar(&o.Threads, "threads", 100, "pages that submissions are spread over")
	fs.StringVar(&o.Repo, "repo", "", "the winnow repository (default: found upwards from the working directory)")
	fs.StringVar(&o.Binary, "bin", "", "a winnow binary to run (default: go build ./cmd/winnow in -repo)")
	fs.BoolVar(&o.Durable, "durable", true, "PostgreSQL commits to disk as in production (fsync, synchronous_commit, full_page_writes on); false keeps the test suite's settings (off), which flatter pgbench most")
	fs.BoolVar(&o.Keep, "keep", false, "keep the run's directory (server logs, pgbench logs) instead of removing it")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.Engines, err = parseList(*engine, []string{"postgres", "sqlite"}, map[string][]string{"both": {"postgres", "sqlite"}}); err != nil {
		return o, fmt.Errorf("-engine: %w", err)
	}
	if o.Phases, err = parseList(*phases, allPhases, nil); err != nil {
		return o, fmt.Errorf("-phases: %w", err)
	}
	return o, o.validate()
}

// parseList splits a comma-separated list of known words, expanding aliases, keeping
// the order of known and dropping repeats.
func parseList(s string, known []string, aliases map[string][]string) ([]string, error) {
	seen := map[string]bool{}
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		words := []string{w}
		if a, ok := aliases[w]; ok {
			words = a
		}
		for _, w := range words {
			if !slices.Contains(known, w) {
				return nil, fmt.Errorf("unknown %q (want %s)", w, strings.Join(known, ", "))
			}
			seen[w] = true
		}
	}
	var out []string
	for _, k := range known {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// validate checks the ranges, so that every run stops by itself.
func (o options) validate() error {
	var errs []error
	if o.Duration <= 0 || o.Duration > maxDuration {
		errs = append(errs, fmt.Errorf("-duration: must be above 0 and at most %s", maxDuration))
	}
	if o.Concurrency < 1 || o.Concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("-concurrency: must be 1 to %d", maxConcurrency))
	}
	if o.Rate < 0 {
		errs = append(errs, errors.New("-rate: must be 0 (closed loop) or more"))
	}
	if o.SeedComments < 0 || o.SeedComments > maxSeed {
		errs = append(errs, fmt.Errorf("-seed-comments: must be 0 to %d", maxSeed))
	}
	if o.Soak && (o.SoakWindow < time.Second || o.SoakWindow > o.Duration) {
		errs = append(errs, errors.New("-soak-window: must be at least 1s and at most -duration"))
	}
	if o.Threads < 1 || o.Threads > 1_000_000 {
		errs = append(errs, errors.New("-threads: must be 1 to 1000000"))
	}
	if len(o.Engines) == 0 {
		errs = append(errs, errors.New("-engine: name postgres, sqlite or both"))
	}
	if len(o.Phases) == 0 {
		errs = append(errs, errors.New("-phases: name at least one phase"))
	}
	return errors.Join(errs...)
}

// has says whether phase p was asked for.
func (o options) has(p string) bool { return slices.Contains(o.Phases, p) }

// needsPostgres says whether the run needs the throwaway PostgreSQL (and Redis).
func (o options) needsPostgres() bool {
	return o.has(phasePgbench) || slices.Contains(o.Engines, "postgres")
}

// winnowPhases says whether any phase drives winnow itself.
func (o options) winnowPhases() bool {
	return o.has(phaseSubmit) || o.has(phaseRead) || o.has(phaseMix)
}
