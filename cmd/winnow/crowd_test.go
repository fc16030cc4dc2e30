package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crowd is a number of readers posting comments to one site at once, each submission
// with its own Idempotency-Key, through whichever server is current. A submission that
// gets no answer or a 503 is sent again with the same key and body until it is
// acknowledged, as a careful client does; so, whatever fails on the way, every key must
// end up as exactly one stored comment. The fault tests break things under a crowd and
// then check that.
type crowd struct {
	t        *testing.T
	site     string
	client   *http.Client
	target   atomic.Pointer[string] // base URL of the server to send to
	halt     chan struct{}          // closed: finish the submission at hand, then stop
	abort    chan struct{}          // closed: stop now, acknowledged or not (the test ended)
	wg       sync.WaitGroup
	deadline time.Time // a submission not acknowledged by then fails the test

	acked atomic.Int64
	mu    sync.Mutex
	acks  map[string]crowdAck // by Idempotency-Key
	// answers counts the answers by status; 0 counts requests that got none.
	answers map[int]int
}

// crowdAck is the answer that acknowledged a submission.
type crowdAck struct {
	body      map[string]any
	id        int64
	editToken string
	attempts  int  // 1 when the first try was acknowledged
	replayed  bool // the answer was an earlier attempt's, stored before its answer was lost
}

// crowdRetryPause is how long a reader waits before sending an unacknowledged
// submission again. Short, so that tests are quick; the server's Retry-After is longer.
const crowdRetryPause = 25 * time.Millisecond

// newCrowd starts readers posting to site on the server at baseURL; they pause a
// little between submissions so that a small machine keeps up.
func newCrowd(t *testing.T, site, baseURL string, readers int) *crowd {
	c := &crowd{
		t: t, site: site, halt: make(chan struct{}), abort: make(chan struct{}), deadline: time.Now().Add(2 * time.Minute),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: readers}},
		acks:   map[string]crowdAck{}, answers: map[int]int{},
	}
	c.target.Store(&baseURL)
	for r := range readers {
		c.wg.Add(1)
		go c.read(r)
	}
	t.Cleanup(func() { close(c.abort); c.stop(); c.client.CloseIdleConnections() })
	return c
}

// retarget sends every later request, retries included, to the server at baseURL.
func (c *crowd) retarget(baseURL string) { c.target.Store(&baseURL) }

// stop lets each reader finish (have acknowledged) the submission at hand, and waits.
func (c *crowd) stop() {
	select {
	case <-c.halt:
	default:
		close(c.halt)
	}
	c.wg.Wait()
}

func (c *crowd) read(reader int) {
	defer c.wg.Done()
	for i := 0; ; i++ {
		select {
		case <-c.halt:
			return
		default:
		}
		key := fmt.Sprintf("%s-r%02d-%04d", c.site, reader, i)
		body := submission(fmt.Sprintf("/crowd-%d", i%8), map[string]any{
			"author_name":  fmt.Sprintf("Reader %d", reader),
			"author_email": fmt.Sprintf("reader%d@example.org", reader),
			"body":         fmt.Sprintf("Comment %s says something about item %s.", key, letters(reader*1000+i*7)),
		})
		if !c.submit(key, body) {
			return
		}
		time.Sleep(time.Duration(2+rand.IntN(6)) * time.Millisecond)
	}
}

// submit sends one submission until it is acknowledged, and reports whether the
// reader may go on.
func (c *crowd) submit(key string, body map[string]any) bool {
	js, _ := json.Marshal(body)
	for attempt := 1; ; attempt++ {
		status, answer, replayed, err := c.post(key, js)
		c.mu.Lock()
		c.answers[status]++
		c.mu.Unlock()
		switch {
		case status == http.StatusCreated:
			a := crowdAck{body: body, id: int64(num(answer, "comment", "id")), attempts: attempt, replayed: replayed}
			a.editToken, _ = answer["edit_token"].(string)
			c.mu.Lock()
			c.acks[key] = a
			c.mu.Unlock()
			c.acked.Add(1)
			return true
		case err != nil: // no answer: the server is down or died with the request
		case status == http.StatusServiceUnavailable:
			if e, _ := answer["error"].(map[string]any); e["code"] != "unavailable" {
				c.t.Errorf("submission %s: 503 without code unavailable: %v", key, answer)
				return false
			}
		default:
			c.t.Errorf("submission %s, attempt %d: status %d: %v", key, attempt, status, answer)
			return false
		}
		if time.Now().After(c.deadline) {
			c.t.Errorf("submission %s not acknowledged after %d attempts; last: %d %v", key, attempt, status, err)
			return false
		}
		select {
		case <-c.abort:
			return false
		case <-time.After(crowdRetryPause):
		}
	}
}

// post sends one attempt; status 0 and err when no answer came.
func (c *crowd) post(key string, body []byte) (status int, answer map[string]any, replayed bool, err error) {
	r, err := http.NewRequest("POST", *c.target.Load()+"/api/v1/sites/"+c.site+"/comments", bytes.NewReader(body))
	if err != nil {
		return 0, nil, false, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", key)
	resp, err := c.client.Do(r)
	if err != nil {
		return 0, nil, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, false, err
	}
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		c.t.Errorf("503 without Retry-After: %s", b)
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		c.t.Errorf("answer %d is not a JSON object: %s", resp.StatusCode, b)
	}
	return resp.StatusCode, answer, resp.Header.Get("Idempotent-Replayed") == "true", nil
}

// waitAcked waits until n submissions in all have been acknowledged.
func (c *crowd) waitAcked(n int64) {
	c.t.Helper()
	eventually(c.t, fmt.Sprintf("%d acknowledged submissions", n), func() bool { return c.acked.Load() >= n })
}

// waitAnswers waits until n answers with status have come.
func (c *crowd) waitAnswers(status, n int) {
	c.t.Helper()
	eventually(c.t, fmt.Sprintf("%d answers %d", n, status), func() bool { return c.count(status) >= n })
}

func (c *crowd) count(status int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answers[status]
}

// summary says what the crowd got, for the test log.
func (c *crowd) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var retried, replayed int
	for _, a := range c.acks {
		if a.attempts > 1 {
			retried++
		}
		if a.replayed {
			replayed++
		}
	}
	return fmt.Sprintf("%d submissions acknowledged, %d of them after retries (%d answered from an earlier attempt "+
		"stored before its answer was lost); answers by status (0: none): %v", len(c.acks), retried, replayed, c.answers)
}

// verify stops the crowd and checks what in stores for the site: each acknowledged
// submission exactly once, under the acknowledged id, and nothing else; then sends
// every submission again with its key, which must answer as before and store nothing.
// It returns the acknowledged comment ids.
func (c *crowd) verify(in *instance) []int64 {
	c.t.Helper()
	c.stop()
	c.t.Log(c.summary())
	stored := map[string][]int64{}
	all := in.siteComments(c.site)
	for _, sc := range all {
		body, _ := sc["body_source"].(string)
		f := strings.Fields(body)
		if len(f) < 2 {
			c.t.Errorf("comment %v: body %q is not the crowd's", sc["id"], body)
			continue
		}
		stored[f[1]] = append(stored[f[1]], int64(num(sc, "id")))
	}
	var ids []int64
	for key, a := range c.acks {
		ids = append(ids, a.id)
		switch got := stored[key]; {
		case len(got) != 1:
			c.t.Errorf("submission %s (attempts %d) stored %d times: %v", key, a.attempts, len(got), got)
		case got[0] != a.id:
			c.t.Errorf("submission %s acknowledged as comment %d, stored as %d", key, a.id, got[0])
		}
	}
	for key, got := range stored {
		if _, ok := c.acks[key]; !ok {
			c.t.Errorf("comment %v stored but never acknowledged (key %s)", got, key)
		}
	}
	for key, a := range c.acks {
		js, _ := json.Marshal(a.body)
		status, answer, replayed, err := c.post(key, js)
		if err != nil || status != http.StatusCreated || !replayed || int64(num(answer, "comment", "id")) != a.id || answer["edit_token"] != a.editToken {
			c.t.Errorf("submission %s sent again: %d %v (replayed %v, err %v); want comment %d, same edit token, replayed",
				key, status, answer, replayed, err, a.id)
		}
	}
	if n := len(in.siteComments(c.site)); n != len(all) {
		c.t.Errorf("sending every submission again changed the stored comments from %d to %d", len(all), n)
	}
	return ids
}

// siteComments is every comment of site in any status, through the admin API.
func (in *instance) siteComments(site string) []map[string]any {
	in.t.Helper()
	var out []map[string]any
	cursor := ""
	for {
		v := in.do(req{method: "GET", token: in.token, path: "/api/v1/admin/comments?status=all&limit=200&site=" +
			url.QueryEscape(site) + "&cursor=" + url.QueryEscape(cursor)}).must(in.t, http.StatusOK).json(in.t)
		for _, c := range list(v, "comments") {
			out = append(out, c.(map[string]any))
		}
		cursor, _ = v["next_cursor"].(string)
		if cursor == "" {
			return out
		}
	}
}

// published waits until the consumer has accepted a comment.published event for each
// comment in ids, and returns how many events arrived more than once (allowed: delivery
// is at least once, and a crash repeats the deliveries that were in flight).
func (c *consumer) published(ids []int64) (repeats int) {
	c.t.Helper()
	missing := func() []int64 {
		got := map[int64]bool{}
		for _, r := range c.accepted() {
			if r.typ == "comment.published" {
				got[r.comment] = true
			}
		}
		var m []int64
		for _, id := range ids {
			if !got[id] {
				m = append(m, id)
			}
		}
		return m
	}
	deadline := time.Now().Add(60 * time.Second)
	for m := missing(); len(m) > 0; m = missing() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%d of %d comments were never announced: %v", len(m), len(ids), m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, r := range c.accepted() {
		if seen[r.id]++; seen[r.id] == 2 {
			repeats++
		}
	}
	c.check()
	return repeats
}

// letters spells n in the letters a–z, so that every crowd comment differs in a word
// the spam model reads (it drops digits): otherwise all of them are one text to it,
// and a lesson about one would be a lesson about all.
func letters(n int) string {
	b := []byte{byte('a' + n%26)}
	for n /= 26; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return string(b)
}
