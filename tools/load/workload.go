package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// bigThread is the page every read reads: 100 published comments, read whole
// (limit=100) as the widget reads a page.
const (
	bigThread     = "/big"
	bigThreadSize = 100
	authors       = 10_000 // distinct readers who post, each with their own address
	userAgent     = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 winnow-load"
	// fastForm is how old a form token must be before it is used: younger ones are
	// judged "filled too fast" (spam.fastForm is 3 s), which a person never does.
	fastForm = 3*time.Second + 500*time.Millisecond
)

// formToken is a form token the server issued for a thread, as the widget fetches it
// when it shows the form.
type formToken struct{ thread, token string }

// tokenPool holds the fetched form tokens; each is used once, as a reader's form is.
type tokenPool struct {
	mu      sync.Mutex
	items   []formToken
	next    int
	fetched time.Time // when the last one was fetched
}

func (p *tokenPool) add(t formToken) {
	p.mu.Lock()
	p.items = append(p.items, t)
	p.fetched = time.Now()
	p.mu.Unlock()
}

func (p *tokenPool) take() (formToken, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= len(p.items) {
		return formToken{}, false
	}
	t := p.items[p.next]
	p.items[p.next] = formToken{}
	p.next++
	return t, true
}

// loader makes the requests of every workload against one server.
type loader struct {
	base    string
	threads int
	run     string       // makes this run's idempotency keys unique
	seq     atomic.Int64 // numbers submissions (texts, keys, authors) and form fetches
	mixSeq  atomic.Int64 // counts the mix's requests: every tenth writes
	tokens  tokenPool
	noToken atomic.Int64 // submissions sent without a form token: the pool ran dry
	etag    string       // the big thread's ETag, for the 304 workload
}

func newLoader(base string, threads int) *loader {
	return &loader{base: base, threads: threads, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// sentences make up the comments' bodies: each submission draws its own selection
// and order, and starts with its number, so no two texts are alike (the same text
// from several authors is a campaign, and held).
var sentences = []string{
	"I have been following this series for a while and this post finally made the trade-offs click for me.",
	"The part about keeping the write path to a single transaction is something I wish I had read before our last migration.",
	"We ended up with three round trips per request and never noticed until the load test.",
	"One question: how do you handle a reader who edits a comment after it was approved?",
	"Do you hold it again, or trust the edit?",
	"Thanks again for writing these up so carefully; the diagrams especially helped.",
	"My team tried the same approach last spring and the results were close to yours.",
	"The section on caching could use an example with a slow database behind it.",
	"I disagree a little with the conclusion, but the measurements are convincing.",
	"Could you share the configuration you used for the second experiment?",
	"This matches what we saw in production after the upgrade.",
	"Our readers mostly comment in the first hour after a post goes out, so bursts matter more than averages.",
	"I would love a follow-up on how this behaves with many replicas.",
	"The chart in the middle is hard to read on a phone.",
	"We keep a small queue for moderation and it works well for a site of our size.",
	"Nice write-up, bookmarked for the next time someone asks me about this.",
}

// body is submission n's text: about 600 bytes of Markdown with one link, like a
// thoughtful reader's comment.
func body(n int64) string {
	r := rand.New(rand.NewPCG(uint64(n), 0x5eed))
	var b strings.Builder
	fmt.Fprintf(&b, "Note %d. ", n)
	for _, i := range r.Perm(len(sentences))[:6] {
		b.WriteString(sentences[i])
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "I wrote up our approach at https://example.org/notes/%d and would love to hear your take.", n%97)
	return b.String()
}

// submission is what the widget posts.
type submission struct {
	Thread      string `json:"thread"`
	ThreadURL   string `json:"thread_url"`
	ThreadTitle string `json:"thread_title"`
	AuthorName  string `json:"author_name"`
	AuthorEmail string `json:"author_email"`
	AuthorURL   string `json:"author_url"`
	Body        string `json:"body"`
	ParentID    int64  `json:"parent_id"`
	Website     string `json:"website"` // the honeypot, empty as a person leaves it
	FormToken   string `json:"form_token"`
}

// submitTarget builds submission n to thread with form token (possibly empty), sent
// from author n's own address through the trusted proxy (X-Forwarded-For).
func (l *loader) submitTarget(t *vegeta.Target, n int64, thread, token string) error {
	a := n % authors
	b, err := json.Marshal(submission{
		Thread: thread, ThreadURL: siteOrigin + thread, ThreadTitle: "Post " + strings.TrimPrefix(thread, "/"),
		AuthorName: fmt.Sprintf("Reader %d", a), AuthorEmail: fmt.Sprintf("reader%d@load.example", a),
		Body: body(n), FormToken: token,
	})
	if err != nil {
		return err
	}
	t.Method, t.URL, t.Body = http.MethodPost, l.base+"/api/v1/sites/"+siteID+"/comments", b
	t.Header = http.Header{
		"Content-Type":    {"application/json"},
		"Idempotency-Key": {l.run + "-" + strconv.FormatInt(n, 10)},
		"Origin":          {siteOrigin},
		"User-Agent":      {userAgent},
		// 198.18.0.0/15 is reserved for benchmarks (RFC 2544): public to winnow, nobody's.
		"X-Forwarded-For": {fmt.Sprintf("198.18.%d.%d", a/250, a%250+1)},
	}
	return nil
}

// submit is the next submission with the next fetched form token, to that token's
// thread; without tokens left it goes without one (and is counted).
func (l *loader) submit(t *vegeta.Target) error {
	n := l.seq.Add(1)
	ft, ok := l.tokens.take()
	if !ok {
		l.noToken.Add(1)
		ft.thread = fmt.Sprintf("/post-%d", n%int64(l.threads))
	}
	return l.submitTarget(t, n, ft.thread, ft.token)
}

// read is a browser's read of the big thread: gzip accepted, cross-origin.
func (l *loader) read(t *vegeta.Target) error {
	t.Method = http.MethodGet
	t.URL = l.base + "/api/v1/sites/" + siteID + "/comments?thread=" + url.QueryEscape(bigThread) + "&sort=oldest&limit=" + strconv.Itoa(bigThreadSize)
	t.Body = nil
	t.Header = http.Header{"Accept-Encoding": {"gzip"}, "Accept": {"*/*"}, "Origin": {siteOrigin}, "User-Agent": {userAgent}}
	return nil
}

// revalidate is a returning reader's read: the browser sends the ETag it holds.
func (l *loader) revalidate(t *vegeta.Target) error {
	_ = l.read(t)
	t.Header.Set("If-None-Match", l.etag)
	return nil
}

// mix is nine reads for every submission.
func (l *loader) mix(t *vegeta.Target) error {
	if l.mixSeq.Add(1)%10 == 0 {
		return l.submit(t)
	}
	return l.read(t)
}

// form fetches a form token for one of the pages, as the widget does when it shows
// the form.
func (l *loader) form(t *vegeta.Target) error {
	n := l.seq.Add(1)
	t.Method = http.MethodGet
	t.URL = l.base + "/api/v1/sites/" + siteID + "/form?thread=" + url.QueryEscape(fmt.Sprintf("/post-%d", n%int64(l.threads)))
	t.Body = nil
	t.Header = http.Header{"Origin": {siteOrigin}, "User-Agent": {userAgent}}
	return nil
}

// keepToken collects the token of a form answer.
func (l *loader) keepToken(r *vegeta.Result) {
	if r.Code != http.StatusOK {
		return
	}
	var f struct {
		FormToken string `json:"form_token"`
	}
	u, err := url.Parse(r.URL)
	if err != nil || json.Unmarshal(r.Body, &f) != nil || f.FormToken == "" {
		return
	}
	l.tokens.add(formToken{thread: u.Query().Get("thread"), token: f.FormToken})
}

// waitForTokens sleeps until the newest form token is old enough to be used.
func (l *loader) waitForTokens(ctx context.Context) error {
	l.tokens.mu.Lock()
	wait := time.Until(l.tokens.fetched.Add(fastForm))
	l.tokens.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
		return nil
	}
}

// seedThread posts the big thread's 100 comments through the API (without form
// tokens: they are set-up, not load) and checks that each was published.
func (l *loader) seedThread(ctx context.Context, client *http.Client) error {
	for i := range bigThreadSize {
		var t vegeta.Target
		n := -int64(i + 1) // negative: never the same text or key as the load's
		if err := l.submitTarget(&t, n, bigThread, ""); err != nil {
			return err
		}
		req, err := t.Request()
		if err != nil {
			return err
		}
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("seed thread: %w", err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("seed thread: comment %d: %s (want 201 published): %s", i+1, resp.Status, out)
		}
	}
	return nil
}

// sample reads the big thread once as a browser does and once without compression:
// its ETag for the 304 workload, and its sizes for the notes.
func (l *loader) sample(ctx context.Context, client *http.Client) (string, error) {
	size := func(encoding string) (int, http.Header, error) {
		var t vegeta.Target
		_ = l.read(&t)
		t.Header.Set("Accept-Encoding", encoding)
		req, err := t.Request()
		if err != nil {
			return 0, nil, err
		}
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return 0, nil, fmt.Errorf("read the big thread: %s", resp.Status)
		}
		return len(b), resp.Header, err
	}
	plain, _, err := size("identity")
	if err != nil {
		return "", err
	}
	wire, h, err := size("gzip")
	if err != nil {
		return "", err
	}
	l.etag = h.Get("ETag")
	enc := h.Get("Content-Encoding")
	if enc == "" {
		enc = "not compressed"
	}
	return fmt.Sprintf("%d comments, %.1f KB on the wire (%s; %.1f KB plain)", bigThreadSize, float64(wire)/1000, enc, float64(plain)/1000), nil
}

// phase is one workload run with vegeta.
type phase struct {
	workload string
	engine   string
	target   vegeta.Targeter
	limit    int64                       // stop after this many requests; 0: run for the duration
	duration time.Duration               // 0: the run's -duration
	closed   bool                        // always a closed loop, whatever -rate says
	onResult func(r *vegeta.Result)      // sees every result (the form workload keeps tokens)
	kind     func(*vegeta.Result) string // splits the results into sub-rows (the mix); nil: none
	kinds    map[string]string           // kind -> the sub-row's workload name
}

// attack runs p with vegeta: -concurrency workers in a closed loop (rate 0, the
// workers never more than -concurrency), or paced at -rate. It returns the phase's
// row, its sub-rows, and its soak windows when asked for.
func attack(ctx context.Context, o options, srv *server, p phase) (Row, []Row, []Window) {
	c := uint64(o.Concurrency)
	atk := vegeta.NewAttacker(
		vegeta.Workers(c), vegeta.MaxWorkers(c), vegeta.Connections(o.Concurrency),
		vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second), vegeta.Redirects(vegeta.NoFollow),
		vegeta.Proxy(func(*http.Request) (*url.URL, error) { return nil, nil }), // loopback, never a proxy
		vegeta.MaxBody(4096),
	)
	pacer := vegeta.ConstantPacer{} // zero: as fast as the workers go
	if o.Rate > 0 && !p.closed {
		pacer = vegeta.ConstantPacer{Freq: o.Rate, Per: time.Second}
	}
	du := p.duration
	if du == 0 {
		du = o.Duration
	}
	target := p.target
	if p.limit > 0 {
		var sent atomic.Int64
		target = func(t *vegeta.Target) error {
			if sent.Add(1) > p.limit {
				return vegeta.ErrNoTargets
			}
			return p.target(t)
		}
	}

	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	cpuBefore := srv.cpuTime()
	var (
		total   vegeta.Metrics
		errs    int
		byKind  = map[string]*vegeta.Metrics{}
		kindErr = map[string]int{}
		codes   = map[int]int{}
		windows []Window
		win     vegeta.Metrics
		winErrs int
		began   = time.Now()
	)
	closeWindow := func(end time.Duration) {
		win.Close()
		rss, _ := srv.memory()
		start := time.Duration(len(windows)) * o.SoakWindow
		rate := 0.0
		if secs := (end - start).Seconds(); secs > 0 {
			rate = float64(int(win.Requests)-winErrs) / secs
		}
		windows = append(windows, Window{Start: start, Rate: rate, P50: win.Latencies.P50, P99: win.Latencies.P99,
			Requests: int(win.Requests), Errors: winErrs, RSS: rss})
		win, winErrs = vegeta.Metrics{}, 0
	}
	for r := range atk.Attack(target, pacer, du, p.workload) {
		if r.Error == vegeta.ErrNoTargets.Error() && r.Code == 0 && r.Method == "" {
			continue // the limit was reached: not a request
		}
		failed := r.Code < 200 || r.Code >= 400 || r.Error != ""
		total.Add(r)
		codes[int(r.Code)]++
		if failed {
			errs++
		}
		if p.onResult != nil {
			p.onResult(r)
		}
		if p.kind != nil {
			k := p.kind(r)
			if byKind[k] == nil {
				byKind[k] = &vegeta.Metrics{}
			}
			byKind[k].Add(r)
			if failed {
				kindErr[k]++
			}
		}
		if o.Soak {
			for r.Timestamp.Sub(began) >= time.Duration(len(windows)+1)*o.SoakWindow {
				closeWindow(time.Duration(len(windows)+1) * o.SoakWindow)
			}
			win.Add(r)
			if failed {
				winErrs++
			}
		}
	}
	if o.Soak && win.Requests > 0 {
		if end := time.Since(began); end-time.Duration(len(windows))*o.SoakWindow >= o.SoakWindow/2 {
			closeWindow(end) // a last window at least half as long as the others
		}
	}
	total.Close()
	rss, _ := srv.memory()
	row := metricsRow(p.engine, p.workload, &total, errs)
	row.RSS = rss
	if cpu := srv.cpuTime() - cpuBefore; cpuBefore > 0 && cpu > 0 && total.Requests > 0 {
		row.CPU = cpu / time.Duration(total.Requests)
	}
	row.Note = codeNote(codes)
	var subs []Row
	for _, k := range sortedKeys(p.kinds) {
		if m := byKind[k]; m != nil {
			m.Close()
			sub := metricsRow(p.engine, p.kinds[k], m, kindErr[k])
			// A sub-row's rate is its share of the mixed run's successes.
			sub.Rate = float64(int(m.Requests)-kindErr[k]) / max(total.Duration+total.Wait, time.Nanosecond).Seconds()
			subs = append(subs, sub)
		}
	}
	return row, subs, windows
}

// metricsRow turns vegeta's metrics into a row. The rate counts successes only.
func metricsRow(engine, workload string, m *vegeta.Metrics, errs int) Row {
	return Row{Engine: engine, Workload: workload, Rate: m.Throughput, P50: m.Latencies.P50, P99: m.Latencies.P99,
		Requests: int(m.Requests), Errors: errs}
}

// codeNote lists the answers by status code: "201: 3,512, 202: 4" (0 is "no answer").
func codeNote(codes map[int]int) string {
	var parts []string
	for _, c := range sortedKeys(codes) {
		parts = append(parts, fmt.Sprintf("%d: %s", c, formatCount(int64(codes[c]))))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[K int | string, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }
