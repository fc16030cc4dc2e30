package main

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/winnow/winnow/internal/spam"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // a substring naming the flag; "" for none
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", check: func(t *testing.T, o options) {
			if o.Duration != 10*time.Second || o.Concurrency != 32 || o.Rate != 0 || !o.Redis || !o.Durable {
				t.Errorf("defaults = %+v", o)
			}
			if !slices.Equal(o.Engines, []string{"postgres", "sqlite"}) || !slices.Equal(o.Phases, allPhases) {
				t.Errorf("engines %v, phases %v", o.Engines, o.Phases)
			}
		}},
		{name: "one engine", args: []string{"-engine", "sqlite"}, check: func(t *testing.T, o options) {
			if !slices.Equal(o.Engines, []string{"sqlite"}) || !o.needsPostgres() {
				t.Errorf("engines %v, needsPostgres %v (pgbench still runs)", o.Engines, o.needsPostgres())
			}
		}},
		{name: "both, repeated, reordered", args: []string{"-engine", "sqlite,both,postgres"}, check: func(t *testing.T, o options) {
			if !slices.Equal(o.Engines, []string{"postgres", "sqlite"}) {
				t.Errorf("engines %v", o.Engines)
			}
		}},
		{name: "soak", args: []string{"-soak", "-phases", "submit", "-duration", "10m", "-rate", "500", "-engine", "sqlite"},
			check: func(t *testing.T, o options) {
				if !o.Soak || o.SoakWindow != time.Minute || o.Rate != 500 || o.needsPostgres() || o.has(phaseRead) {
					t.Errorf("soak options %+v", o)
				}
			}},
		{name: "seed", args: []string{"-seed-comments", "1000000"}, check: func(t *testing.T, o options) {
			if o.SeedComments != 1_000_000 {
				t.Errorf("seed %d", o.SeedComments)
			}
		}},
		{name: "unknown engine", args: []string{"-engine", "mysql"}, wantErr: "-engine"},
		{name: "unknown phase", args: []string{"-phases", "submit,fly"}, wantErr: "-phases"},
		{name: "zero duration", args: []string{"-duration", "0s"}, wantErr: "-duration"},
		{name: "unbounded duration", args: []string{"-duration", "100h"}, wantErr: "-duration"},
		{name: "no clients", args: []string{"-concurrency", "0"}, wantErr: "-concurrency"},
		{name: "negative rate", args: []string{"-rate", "-1"}, wantErr: "-rate"},
		{name: "negative seed", args: []string{"-seed-comments", "-5"}, wantErr: "-seed-comments"},
		{name: "soak window longer than the run", args: []string{"-soak", "-duration", "30s"}, wantErr: "-soak-window"},
		{name: "no threads", args: []string{"-threads", "0"}, wantErr: "-threads"},
		{name: "stray argument", args: []string{"now"}, wantErr: "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

func TestAddRatios(t *testing.T) {
	rows := []Row{
		{Engine: pgbenchEngine, Workload: wlInsert, Rate: 8000},
		{Engine: pgbenchEngine, Workload: wlSelect, Rate: 5000},
		{Engine: "postgres+redis", Workload: wlForm, Rate: 15000},
		{Engine: "postgres+redis", Workload: wlSubmit, Rate: 800},
		{Engine: "postgres+redis", Workload: wlRead, Rate: 15000},
		{Engine: "postgres+redis", Workload: wlRevalidate, Rate: 20000},
		{Engine: "postgres+redis", Workload: wlMix, Rate: 4000},
		{Engine: "postgres+redis", Workload: wlMixRead, Rate: 3600},
		{Engine: "postgres+redis", Workload: wlMixWrite, Rate: 400},
		{Engine: "sqlite", Workload: wlSubmit, Rate: 400},
		{Engine: "sqlite", Workload: wlRead, Rate: 30000},
		{Engine: "sqlite", Workload: wlMix, Rate: 0},
	}
	addRatios(rows)
	mixBase := 1 / (0.9/5000 + 0.1/8000.0)
	want := []struct{ pgbench, postgres float64 }{
		{1, 0}, {1, 0},
		{0, 0},              // a form token has no pgbench counterpart
		{0.1, 0},            // 800 / 8000
		{3, 0},              // 15000 / 5000
		{4, 0},              // 20000 / 5000
		{4000 / mixBase, 0}, // the mix against pgbench's own 90/10 mix
		{0.72, 0},           // 3600 / 5000
		{0.05, 0},           // 400 / 8000
		{0.05, 0.5},         // 400 / 8000, 400 / 800
		{6, 2},              // 30000 / 5000, 30000 / 15000
		{0, 0},              // nothing measured: no ratio
	}
	for i, w := range want {
		if !near(rows[i].Pgbench, w.pgbench) || !near(rows[i].Postgres, w.postgres) {
			t.Errorf("%s %s: × pgbench %v, × postgres %v; want %v, %v", rows[i].Engine, rows[i].Workload,
				rows[i].Pgbench, rows[i].Postgres, w.pgbench, w.postgres)
		}
	}
}

func TestAddRatiosWithoutPgbench(t *testing.T) {
	rows := []Row{{Engine: "postgres", Workload: wlSubmit, Rate: 700}, {Engine: "sqlite", Workload: wlSubmit, Rate: 350}}
	addRatios(rows)
	if rows[0].Pgbench != 0 || rows[1].Pgbench != 0 || !near(rows[1].Postgres, 0.5) {
		t.Errorf("rows = %+v", rows)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatRate(7712.4), "7,712/s"},
		{formatRate(1234567), "1,234,567/s"},
		{formatRate(3.42), "3.4/s"},
		{formatRate(0), "-"},
		{formatRate(math.NaN()), "-"},
		{formatCount(0), "0"},
		{formatCount(999), "999"},
		{formatCount(1000), "1,000"},
		{formatCount(-12345), "-12,345"},
		{formatLatency(450 * time.Microsecond), "0.45 ms"},
		{formatLatency(4200 * time.Microsecond), "4.2 ms"},
		{formatLatency(101 * time.Millisecond), "101 ms"},
		{formatLatency(0), "-"},
		{formatBytes(85 << 20), "85 MiB"},
		{formatBytes(0), "-"},
		{formatRatio(0.0922), "0.092×"},
		{formatRatio(3.14), "3.14×"},
		{formatRatio(12.3), "12.3×"},
		{formatRatio(0), "-"},
		{formatRatio(math.Inf(1)), "-"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	rows := []Row{
		{Engine: pgbenchEngine, Workload: wlInsert, Rate: 7712, P50: 2 * time.Millisecond, P99: 59 * time.Millisecond, Requests: 77120},
		{Engine: "postgres+redis", Workload: wlSubmit, Rate: 711, P50: 40 * time.Millisecond, P99: 101 * time.Millisecond,
			Requests: 7110, Errors: 3, RSS: 40 << 20, Note: "201: 7,107, 429: 3"},
	}
	addRatios(rows)
	var b strings.Builder
	if err := writeTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header, a rule and 2 rows; got:\n%s", b.String())
	}
	for _, l := range lines {
		if len([]rune(l)) != len([]rune(lines[0])) || !strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|") {
			t.Errorf("ragged or unframed line %q in\n%s", l, b.String())
		}
	}
	for _, want := range []string{"7,712/s", "59 ms", "0.092×", "40 MiB", "201: 7,107, 429: 3", "---: |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "× postgres") {
		t.Errorf("a × postgres column without any SQLite row:\n%s", b.String())
	}
	if strings.Contains(b.String(), "CPU") {
		t.Errorf("a CPU column without any CPU figure:\n%s", b.String())
	}
	rows[1].CPU = 612 * time.Microsecond
	b.Reset()
	if err := writeTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "server CPU/req") || !strings.Contains(b.String(), "612 µs") {
		t.Errorf("no CPU column, or not 612 µs:\n%s", b.String())
	}
	rows[1].CPU = 0

	b.Reset()
	alone := slices.Clone(rows[1:])
	addRatios(alone)
	if err := writeTable(&b, alone); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "× pgbench") {
		t.Errorf("a × pgbench column without pgbench:\n%s", b.String())
	}
}

func TestSoakVerdict(t *testing.T) {
	w := func(p99ms int, rssMiB int64) Window {
		return Window{P99: time.Duration(p99ms) * time.Millisecond, RSS: rssMiB << 20}
	}
	tests := []struct {
		name      string
		ws        []Window
		known     bool
		flat      bool
		p99, rssR float64
	}{
		{"too short", []Window{w(10, 50), w(10, 50)}, false, false, 0, 0},
		{"flat (the first window is warm-up)", []Window{w(90, 20), w(10, 50), w(11, 52), w(12, 55)}, true, true, 1.2, 1.1},
		{"p99 grew", []Window{w(10, 50), w(10, 50), w(13, 50)}, true, false, 1.3, 1},
		{"memory grew", []Window{w(10, 50), w(10, 50), w(10, 70)}, true, false, 1, 1.4},
		{"no memory reading", []Window{w(10, 0), w(10, 0), w(10, 0)}, true, false, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := soakVerdict(tc.ws, 0.2)
			if v.Known != tc.known || v.Flat != tc.flat || !nearish(v.P99Ratio, tc.p99) || !nearish(v.RSSRatio, tc.rssR) {
				t.Errorf("verdict %+v; want known %v flat %v p99 %v rss %v", v, tc.known, tc.flat, tc.p99, tc.rssR)
			}
			var b strings.Builder
			if err := writeSoak(&b, "sqlite submit", tc.ws, 0.2); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "soak verdict") {
				t.Errorf("no verdict line:\n%s", b.String())
			}
		})
	}
}

func nearish(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestPgbenchOutput(t *testing.T) {
	summary := []byte(`pgbench (15.14 (Debian 15.14-0+deb12u1))
transaction type: insert.sql
number of clients: 32
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 38560
number of failed transactions: 2 (0.005%)
latency average = 4.150 ms
initial connection time = 30.226 ms
tps = 7712.345678 (without initial connection time)
`)
	r, err := parsePgbench(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.Rate, 7712.345678) || r.Errors != 2 {
		t.Errorf("row = %+v", r)
	}
	if _, err := parsePgbench([]byte("pgbench: error: connection refused")); err == nil {
		t.Error("no tps line must be an error")
	}

	log := filepath.Join(t.TempDir(), "insert.123")
	os.WriteFile(log, []byte("0 1 2100 0 1733212800 100\n1 1 900 0 1733212800 200\n0 2 failed 0 1733212800 300\n1 2 50000 0 1733212800 400\n"), 0o644)
	lat, err := readPgbenchLog(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) != 3 || quantile(lat, 0.5) != 2100*time.Microsecond || quantile(lat, 0.99) != 50*time.Millisecond {
		t.Errorf("latencies %v", lat)
	}
}

func TestQuantile(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	if q := quantile(lat, 0.5); q != 50*time.Millisecond {
		t.Errorf("p50 = %v", q)
	}
	if q := quantile(lat, 0.99); q != 99*time.Millisecond {
		t.Errorf("p99 = %v", q)
	}
	if q := quantile(nil, 0.5); q != 0 {
		t.Errorf("p50 of nothing = %v", q)
	}
}

func TestProcStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis, then state, ppid ... utime (1234
	// ticks) and stime (566).
	stat := []byte("4242 (win now) x) S 1 4242 4242 0 -1 4194560 8012 0 0 0 1234 566 0 0 20 0 9 0 12345 1261568000 10240 18446744073709551615\n")
	if got, want := procStatCPU(stat), 18*time.Second; got != want {
		t.Errorf("procStatCPU = %v, want %v", got, want)
	}
	if got := procStatCPU([]byte("4242 (winnow) S 1")); got != 0 {
		t.Errorf("short line: %v", got)
	}
}

func TestProcStatus(t *testing.T) {
	status := []byte("Name:\twinnow\nVmHWM:\t  81234 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n")
	if got := procStatusKB(status, "VmRSS"); got != 40960 {
		t.Errorf("VmRSS = %d", got)
	}
	if got := procStatusKB(status, "VmHWM"); got != 81234 {
		t.Errorf("VmHWM = %d", got)
	}
	if got := procStatusKB(status, "VmSwap"); got != 0 {
		t.Errorf("absent = %d", got)
	}
}

func TestListeningAddr(t *testing.T) {
	path := filepath.Join(t.TempDir(), "winnow.log")
	os.WriteFile(path, []byte(`{"level":"INFO","msg":"starting"}
not json
{"time":"2026-12-03T07:00:00Z","level":"INFO","msg":"listening","addr":"127.0.0.1:41234","url":"http://127.0.0.1:41234","database":"sqlite"}
`), 0o644)
	if got := listeningAddr(path); got != "127.0.0.1:41234" {
		t.Errorf("addr = %q", got)
	}
	if got := listeningAddr(filepath.Join(t.TempDir(), "none")); got != "" {
		t.Errorf("addr of a missing log = %q", got)
	}
}

func TestRequireLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "postgres://postgres@127.0.0.1:5432/x", "redis://localhost:6379/0", "http://[::1]:80"} {
		if err := requireLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.org", "redis://192.168.1.2:6379"} {
		if err := requireLoopback(u); err == nil {
			t.Errorf("%s passed as loopback", u)
		}
	}
}

// Submissions must not look like a campaign (the same text from several authors is
// held) nor be trivially short: each body has its own fingerprint and comment size.
func TestBodiesAreDistinctComments(t *testing.T) {
	seen := map[string]int64{}
	for n := int64(-100); n < 2000; n++ {
		b := body(n)
		if len(b) < 400 || len(b) > 1200 {
			t.Errorf("body %d is %d bytes", n, len(b))
		}
		fp := spam.Fingerprint(b)
		if fp == "" {
			t.Fatalf("body %d has no fingerprint", n)
		}
		if m, ok := seen[fp]; ok {
			t.Fatalf("bodies %d and %d share a fingerprint", m, n)
		}
		seen[fp] = n
	}
}

func TestTokenPool(t *testing.T) {
	var p tokenPool
	if _, ok := p.take(); ok {
		t.Fatal("an empty pool gave a token")
	}
	p.add(formToken{"/a", "t1"})
	p.add(formToken{"/b", "t2"})
	for _, want := range []string{"t1", "t2"} {
		if got, ok := p.take(); !ok || got.token != want {
			t.Errorf("take = %v, %v; want %s", got, ok, want)
		}
	}
	if _, ok := p.take(); ok {
		t.Error("a token was used twice")
	}
}

func TestCodeNote(t *testing.T) {
	if got := codeNote(map[int]int{429: 3, 201: 7107, 0: 1}); got != "0: 1, 201: 7,107, 429: 3" {
		t.Errorf("note = %q", got)
	}
	if got := joinNote("", "a", "", "b"); got != "a; b" {
		t.Errorf("joinNote = %q", got)
	}
}

func TestMixIsNinetyTen(t *testing.T) {
	l := newLoader("http://127.0.0.1:1", 10)
	writes := 0
	for range 1000 {
		var tg vegeta.Target
		if err := l.mix(&tg); err != nil {
			t.Fatal(err)
		}
		if tg.Method == "POST" {
			writes++
		}
	}
	if writes != 100 {
		t.Errorf("%d writes in 1000 requests, want 100", writes)
	}
}

// attack drives a local test server: counts, status codes, the mix's split, the
// request limit and the soak windows come out of vegeta's results as the report needs.
func TestAttack(t *testing.T) {
	var posts atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			posts.Add(1)
			w.WriteHeader(http.StatusCreated)
		case r.URL.Query().Get("fail") != "":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			io.WriteString(w, `{"form_token":"tok"}`)
		}
	}))
	defer ts.Close()
	o := options{Duration: 300 * time.Millisecond, Concurrency: 4, Soak: true, SoakWindow: 50 * time.Millisecond}
	srv := &server{} // not started: no memory figures
	l := newLoader(ts.URL, 3)

	t.Run("limit and tokens", func(t *testing.T) {
		row, subs, _ := attack(t.Context(), o, srv, phase{workload: wlForm, engine: "test", target: l.form,
			onResult: l.keepToken, closed: true, limit: 50, duration: time.Minute})
		if row.Requests != 50 || row.Errors != 0 || len(subs) != 0 || row.Note != "200: 50" {
			t.Errorf("row %+v", row)
		}
		if len(l.tokens.items) != 50 || !strings.HasPrefix(l.tokens.items[0].thread, "/post-") {
			t.Errorf("%d tokens kept, first %+v", len(l.tokens.items), l.tokens.items[0])
		}
	})
	t.Run("mix", func(t *testing.T) {
		posts.Store(0)
		row, subs, ws := attack(t.Context(), o, srv, phase{workload: wlMix, engine: "test", target: l.mix,
			kind:  func(r *vegeta.Result) string { return r.Method },
			kinds: map[string]string{http.MethodGet: wlMixRead, http.MethodPost: wlMixWrite}})
		if row.Requests == 0 || row.Errors != 0 || row.Rate <= 0 || row.P99 < row.P50 {
			t.Fatalf("row %+v", row)
		}
		if len(subs) != 2 || subs[0].Workload != wlMixRead || subs[1].Workload != wlMixWrite ||
			subs[0].Requests+subs[1].Requests != row.Requests || int64(subs[1].Requests) != posts.Load() {
			t.Errorf("sub-rows %+v for %d requests, %d posts", subs, row.Requests, posts.Load())
		}
		sum := 0
		for _, w := range ws {
			sum += w.Requests
		}
		if len(ws) < 3 || sum > row.Requests {
			t.Errorf("%d windows holding %d of %d requests", len(ws), sum, row.Requests)
		}
	})
	t.Run("errors", func(t *testing.T) {
		row, _, _ := attack(t.Context(), o, srv, phase{workload: wlRead, engine: "test", limit: 20, duration: time.Minute,
			target: func(tg *vegeta.Target) error {
				tg.Method, tg.URL = http.MethodGet, ts.URL+"/?fail=1"
				return nil
			}})
		if row.Requests != 20 || row.Errors != 20 || row.Rate != 0 || row.Note != "500: 20" {
			t.Errorf("row %+v", row)
		}
	})
}
