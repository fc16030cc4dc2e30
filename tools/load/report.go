package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Workload names. A row's ratio to pgbench compares like with like: a submission with
// pgbench's single-row insert, a thread read with its 100-row select.
const (
	wlInsert     = "pgbench insert"
	wlSelect     = "pgbench select"
	wlForm       = "form token"
	wlSubmit     = "submit"
	wlRead       = "thread read"
	wlRevalidate = "thread read 304"
	wlMix        = "mix 90/10"
	wlMixRead    = "mix: reads"
	wlMixWrite   = "mix: writes"
)

// pgbenchEngine names the rows pgbench produced, which are the baseline of the others.
const pgbenchEngine = "pgbench"

// mixReadShare is the share of reads in the mixed workload.
const mixReadShare = 0.9

// Row is one measured workload: what the table prints and the ratios are computed from.
type Row struct {
	Engine   string // "pgbench", "postgres+redis", "postgres", "sqlite"
	Workload string
	Rate     float64 // successful requests (or transactions) per second
	P50, P99 time.Duration
	Requests int   // all requests sent (or transactions run)
	Errors   int   // failed requests: transport errors and answers outside 2xx/3xx
	RSS      int64 // the server's resident memory at the end, in bytes; 0 when not measured
	// CPU is the server's CPU time (user and system, every thread) per request of
	// the phase: what a request costs the server, which moves far less than the rate
	// when other work shares the cores. 0 when not measured (pgbench, a mix's sub-rows).
	CPU      time.Duration
	Note     string  // what else a reader needs: status codes, sizes, choices
	Pgbench  float64 // Rate as a multiple of the comparable pgbench rate; 0 when none
	Postgres float64 // Rate as a multiple of the same workload on winnow with PostgreSQL; 0 when none
}

// baseline is what a workload is compared with in pgbench terms: its rate given the
// pgbench insert and select rates, or 0 when there is nothing comparable.
func baseline(workload string, insert, sel float64) float64 {
	switch workload {
	case wlSubmit, wlMixWrite:
		return insert
	case wlRead, wlRevalidate, wlMixRead:
		return sel
	case wlMix:
		// The same 90/10 mix at pgbench's rates: each request takes the time its kind
		// takes pgbench, so the mixed rate is the weighted harmonic mean.
		if insert <= 0 || sel <= 0 {
			return 0
		}
		return 1 / (mixReadShare/sel + (1-mixReadShare)/insert)
	}
	return 0
}

// addRatios fills each row's ratio to pgbench (when pgbench rows are present) and, for
// an engine other than PostgreSQL, its ratio to the same workload on PostgreSQL in the
// same run (the figure that compares SQLite with the scale-out setup).
func addRatios(rows []Row) {
	var insert, sel float64
	pg := map[string]float64{}
	for _, r := range rows {
		switch {
		case r.Engine == pgbenchEngine && r.Workload == wlInsert:
			insert = r.Rate
		case r.Engine == pgbenchEngine && r.Workload == wlSelect:
			sel = r.Rate
		case strings.HasPrefix(r.Engine, "postgres"):
			pg[r.Workload] = r.Rate
		}
	}
	for i := range rows {
		r := &rows[i]
		r.Pgbench, r.Postgres = 0, 0
		if r.Engine == pgbenchEngine {
			if r.Rate > 0 {
				r.Pgbench = 1
			}
			continue
		}
		if b := baseline(r.Workload, insert, sel); b > 0 {
			r.Pgbench = r.Rate / b
		}
		if !strings.HasPrefix(r.Engine, "postgres") && pg[r.Workload] > 0 {
			r.Postgres = r.Rate / pg[r.Workload]
		}
	}
}

// writeTable prints rows as a Markdown table, aligned so that it also reads well in a
// terminal. A ratio column appears only when some row has that ratio.
func writeTable(w io.Writer, rows []Row) error {
	withBench, withPG, withCPU := false, false, false
	for _, r := range rows {
		withBench = withBench || r.Pgbench > 0
		withPG = withPG || r.Postgres > 0
		withCPU = withCPU || r.CPU > 0
	}
	head := []string{"engine", "workload", "rate", "p50", "p99", "requests", "errors", "server RSS"}
	if withCPU {
		head = append(head, "server CPU/req")
	}
	if withBench {
		head = append(head, "× pgbench")
	}
	if withPG {
		head = append(head, "× postgres")
	}
	head = append(head, "notes")
	table := [][]string{head}
	for _, r := range rows {
		line := []string{r.Engine, r.Workload, formatRate(r.Rate), formatLatency(r.P50), formatLatency(r.P99),
			formatCount(int64(r.Requests)), formatCount(int64(r.Errors)), formatBytes(r.RSS)}
		if withCPU {
			line = append(line, formatCPU(r.CPU))
		}
		if withBench {
			line = append(line, formatRatio(r.Pgbench))
		}
		if withPG {
			line = append(line, formatRatio(r.Postgres))
		}
		line = append(line, r.Note)
		table = append(table, line)
	}
	return writeMarkdown(w, table)
}

// textColumns are the columns of words, left-aligned; the others hold figures.
var textColumns = map[string]bool{"engine": true, "workload": true, "notes": true}

// writeMarkdown prints table (its first line the header) as an aligned Markdown table.
// Figures are right-aligned, the columns in textColumns left-aligned; a '|' in a cell
// becomes '/'.
func writeMarkdown(w io.Writer, table [][]string) error {
	if len(table) == 0 {
		return nil
	}
	width := make([]int, len(table[0]))
	right := make([]bool, len(table[0]))
	for c, h := range table[0] {
		right[c] = !textColumns[h]
	}
	for _, line := range table {
		for c, cell := range line {
			width[c] = max(width[c], len([]rune(cell)), 3)
		}
	}
	var b strings.Builder
	row := func(line []string) {
		b.WriteString("|")
		for c, cell := range line {
			cell = strings.ReplaceAll(cell, "|", "/")
			pad := strings.Repeat(" ", width[c]-len([]rune(cell)))
			if right[c] {
				b.WriteString(" " + pad + cell + " |")
			} else {
				b.WriteString(" " + cell + pad + " |")
			}
		}
		b.WriteString("\n")
	}
	row(table[0])
	b.WriteString("|")
	for c := range width {
		if right[c] {
			b.WriteString(" " + strings.Repeat("-", width[c]-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", width[c]) + " |")
		}
	}
	b.WriteString("\n")
	for _, line := range table[1:] {
		row(line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatRate prints a rate per second with thousands separators: "7,712/s", "3.4/s".
func formatRate(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r) || math.IsInf(r, 0):
		return "-"
	case r < 10:
		return fmt.Sprintf("%.1f/s", r)
	}
	return formatCount(int64(math.Round(r))) + "/s"
}

// formatCount prints n with thousands separators.
func formatCount(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatLatency prints a latency in milliseconds with about three significant digits.
func formatLatency(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 1:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// formatCPU prints CPU time per request in microseconds below a millisecond.
func formatCPU(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return formatLatency(d)
}

// formatBytes prints a size in MiB, or "-" when it was not measured.
func formatBytes(n int64) string {
	if n <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// formatRatio prints a ratio as "0.092×" or "3.1×", or "-" when there is none.
func formatRatio(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r) || math.IsInf(r, 0):
		return "-"
	case r < 0.1:
		return fmt.Sprintf("%.3f×", r)
	case r < 10:
		return fmt.Sprintf("%.2f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

// Window is one interval of a soak run.
type Window struct {
	Start    time.Duration // since the phase began
	Rate     float64
	P50, P99 time.Duration
	Requests int
	Errors   int
	RSS      int64
}

// SoakVerdict compares the last window of a soak run with the second (the first holds
// the warm-up): the run is flat when both p99 and RSS of the last stay within
// tolerance (0.2 for 20%) of the second's. With fewer than three windows there is no
// verdict (Known is false).
type SoakVerdict struct {
	Known    bool
	P99Ratio float64 // last window's p99 / second window's p99
	RSSRatio float64 // last window's RSS / second window's RSS
	Flat     bool
}

// soakVerdict judges a soak run's windows (see SoakVerdict).
func soakVerdict(ws []Window, tolerance float64) SoakVerdict {
	if len(ws) < 3 {
		return SoakVerdict{}
	}
	second, last := ws[1], ws[len(ws)-1]
	v := SoakVerdict{Known: true}
	if second.P99 > 0 {
		v.P99Ratio = float64(last.P99) / float64(second.P99)
	}
	if second.RSS > 0 {
		v.RSSRatio = float64(last.RSS) / float64(second.RSS)
	}
	within := func(r float64) bool { return r > 0 && r <= 1+tolerance }
	v.Flat = within(v.P99Ratio) && within(v.RSSRatio)
	return v
}

// writeSoak prints a soak run's windows and its verdict.
func writeSoak(w io.Writer, title string, ws []Window, tolerance float64) error {
	table := [][]string{{"from", "rate", "p50", "p99", "requests", "errors", "server RSS"}}
	for _, x := range ws {
		table = append(table, []string{x.Start.Round(time.Second).String(), formatRate(x.Rate), formatLatency(x.P50),
			formatLatency(x.P99), formatCount(int64(x.Requests)), formatCount(int64(x.Errors)), formatBytes(x.RSS)})
	}
	if _, err := fmt.Fprintf(w, "\nsoak: %s, per window\n\n", title); err != nil {
		return err
	}
	if err := writeMarkdown(w, table); err != nil {
		return err
	}
	v := soakVerdict(ws, tolerance)
	var err error
	switch {
	case !v.Known:
		_, err = fmt.Fprintf(w, "\nsoak verdict: needs at least three windows (give a longer -duration or a shorter -soak-window)\n")
	default:
		word := "flat"
		if !v.Flat {
			word = "NOT flat"
		}
		_, err = fmt.Fprintf(w, "\nsoak verdict: %s: last window's p99 is %s and RSS %s of the second's (limit %s)\n",
			word, formatRatio(v.P99Ratio), formatRatio(v.RSSRatio), formatRatio(1+tolerance))
	}
	return err
}
