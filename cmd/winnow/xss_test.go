package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/winnow/winnow/internal/comment"
)

// xssDir holds the public XSS payload lists, with their credits and licences.
const xssDir = "../../internal/sanitize/testdata/xss"

// xssPayloads reads every distinct line of the XSS payload lists.
func xssPayloads(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(xssDir + "/*.txt")
	if len(files) == 0 {
		t.Fatal("no XSS payloads in " + xssDir)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if p := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(p) != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		fh.Close()
	}
	return out
}

// xssSubmission puts payload p into the body, the name and the website, as far as the
// server's validation lets each field through; a field it would refuse gets a plain
// value, so every acceptable use of the payload is stored. used counts the fields.
func xssSubmission(thread string, i int, p string, used map[string]int) comment.Submission {
	name := []rune(p)
	if len(name) > comment.MaxNameLen {
		name = name[:comment.MaxNameLen]
	}
	sub := comment.Submission{Thread: thread, AuthorName: string(name), AuthorEmail: fmt.Sprintf("x%d@example.org", i), Body: p}
	fieldOK := func(s comment.Submission, field string) bool {
		s.Normalize()
		var ve *comment.ValidationError
		err := s.Validate()
		return !errors.As(err, &ve) || ve.Fields[field] == ""
	}
	if !fieldOK(sub, "author_name") {
		sub.AuthorName = "xss"
	} else {
		used["name"]++
	}
	if !fieldOK(sub, "body") {
		sub.Body = strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 {
				return -1
			}
			return r
		}, p)
	}
	if fieldOK(sub, "body") {
		used["body"]++
	}
	for _, u := range []string{p, "https://xss.example/" + p} {
		if s := sub; true {
			s.AuthorURL = u
			if fieldOK(s, "author_url") {
				sub.AuthorURL = u
				used["website"]++
				break
			}
		}
	}
	return sub
}

// domCheck lists what must never survive in rendered comments: scripts and other
// active elements, on* attributes, javascript:, vbscript: and data: URLs.
const domCheck = `(root) => {
  const bad = [];
  for (const e of root.querySelectorAll("*")) {
    const tag = e.localName;
    if (tag === "script" && e.getAttribute("src") === e.ownerDocument.winnowEmbed) continue; // the host page's embed
    if (/^(script|iframe|object|embed|frame|frameset|applet|base|meta)$/.test(tag) && !e.closest("head")) bad.push("<" + tag + ">");
    for (const a of e.attributes) {
      const n = a.name.toLowerCase(), v = a.value.replace(/[\s\x00-\x20]/g, "").toLowerCase();
      if (n.startsWith("on")) bad.push(tag + " " + n);
      if (/^(javascript|vbscript|data):/.test(v)) bad.push(tag + " " + n + "=" + a.value.slice(0, 60));
    }
  }
  return bad;
}`

// TestXSSPayloads submits every payload of the XSS lists (xssDir) as body, name and
// website, approves what was held, and renders it with the widget on a host page and
// on the no-JS page: nothing may run and nothing active may survive in the DOM.
func TestXSSPayloads(t *testing.T) {
	payloads := xssPayloads(t)
	ctx := browser(t)
	began := time.Now()
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir()})
	host := hostPage(t, in, "xss", "/xss/0", "")
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	in.createSite("xss", map[string]any{"policy": "none", "max_links": 0, "origins": []string{host},
		"rate_limits": map[string]any{"ip": lifted, "email": lifted, "thread": lifted, "site": lifted}})

	const perThread = 700
	threads := (len(payloads) + perThread - 1) / perThread
	used := map[string]int{}
	subs := make([]comment.Submission, len(payloads))
	for i, p := range payloads {
		subs[i] = xssSubmission(fmt.Sprintf("/xss/%d", i/perThread), i, p, used)
	}

	// Post them in parallel; collect what was held for the moderator.
	var mu sync.Mutex
	var held []int64
	failed := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body, _ := json.Marshal(subs[i])
				resp, err := in.client.Post(in.url+"/api/v1/sites/xss/comments", "application/json", bytes.NewReader(body))
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					continue
				}
				var ans struct {
					Status  string `json:"status"`
					Comment struct {
						ID int64 `json:"id"`
					} `json:"comment"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				mu.Lock()
				switch {
				case resp.StatusCode == http.StatusAccepted:
					held = append(held, ans.Comment.ID)
				case resp.StatusCode != http.StatusCreated:
					failed++
					if failed < 5 {
						t.Errorf("payload %d refused with %d: %q", i, resp.StatusCode, payloads[i])
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := range subs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failed > 0 {
		t.Fatalf("%d of %d submissions failed", failed, len(subs))
	}
	for i := 0; i < len(held); i += 500 {
		ids := held[i:min(i+500, len(held))]
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
			body: map[string]any{"ids": ids, "action": "approve"}}).must(t, http.StatusOK)
	}
	posted := time.Since(began)

	// The widget on a host page without any protection of its own.
	ran, rendered := 0, 0
	for k := range threads {
		navigate(t, ctx, host+"/page?thread="+url.QueryEscape(fmt.Sprintf("/xss/%d", k)))
		waitJS(t, ctx, "every comment of the thread", `const r = `+shadow+`; if (!r) return false;
			const m = r.querySelector(".wn-more"); if (!m.hidden) { if (!m.disabled) m.click(); return false; }
			return r.querySelectorAll(".wn-item").length >= parseInt(r.querySelector(".wn-count").textContent);`)
		js[any](t, ctx, `new Promise(r => setTimeout(r, 200))`) // let loads and errors fire
		bad := js[[]string](t, ctx, `document.winnowEmbed = "`+in.url+`/embed.js"; (`+domCheck+`)(`+shadow+`).concat((`+domCheck+`)(document))`)
		if len(bad) > 0 {
			t.Errorf("widget, thread %d: %d active things survive, e.g. %q", k, len(bad), bad[:min(5, len(bad))])
		}
		rendered += js[int](t, ctx, shadow+`.querySelectorAll(".wn-item").length`)
		ran += js[int](t, ctx, `window.__winnowRan`)
	}
	if rendered != len(payloads) {
		t.Errorf("the widget rendered %d comments of %d", rendered, len(payloads))
	}
	widget := time.Since(began) - posted

	// The no-JS page: every page of every thread is parsed here, and the first page of
	// each thread is also loaded in the browser (its CSP allows no script at all).
	pagesSeen, nojsRendered := 0, 0
	for k := range threads {
		first := "/t/xss?thread=" + url.QueryEscape(fmt.Sprintf("/xss/%d", k))
		navigate(t, ctx, in.url+first)
		if bad := js[[]string](t, ctx, `(`+domCheck+`)(document)`); len(bad) > 0 {
			t.Errorf("no-JS page %s: %d active things survive, e.g. %q", first, len(bad), bad[:min(5, len(bad))])
		}
		ran += js[int](t, ctx, `window.__winnowRan`)
		for next := first; next != ""; pagesSeen++ {
			res := in.do(req{method: "GET", path: next}).must(t, http.StatusOK)
			var n int
			var bad []string
			n, next, bad = inspectPage(t, res.body)
			nojsRendered += n
			if len(bad) > 0 {
				t.Errorf("no-JS page %s: %d active things survive, e.g. %q", next, len(bad), bad[:min(5, len(bad))])
			}
		}
	}
	if nojsRendered != len(payloads) {
		t.Errorf("the no-JS pages rendered %d comments of %d", nojsRendered, len(payloads))
	}
	t.Logf("XSS: %d distinct payloads (as body %d, name %d, website %d; %d held and approved); %d ran. "+
		"Posting %v, widget %v (%d threads), no-JS %v (%d pages parsed, %d loaded in the browser)", len(payloads), used["body"], used["name"], used["website"],
		len(held), ran, posted.Round(time.Millisecond), widget.Round(time.Millisecond), threads,
		(time.Since(began) - posted - widget).Round(time.Millisecond), pagesSeen, threads)
	if ran != 0 {
		t.Fatalf("%d payloads ran", ran)
	}
}

// inspectPage parses a no-JS page: how many comments it shows, the link to the next
// page, and anything active that survived (scripts, on* attributes, script URLs).
func inspectPage(t *testing.T, body []byte) (comments int, next string, bad []string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "iframe", "object", "embed", "frame", "frameset", "applet", "base":
				bad = append(bad, "<"+n.Data+">")
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val))
				switch {
				case strings.HasPrefix(strings.ToLower(a.Key), "on"):
					bad = append(bad, n.Data+" "+a.Key)
				case strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:"):
					bad = append(bad, n.Data+" "+a.Key+"="+a.Val)
				case a.Key == "class" && a.Val == "wn-item":
					comments++
				case a.Key == "class" && a.Val == "wn-more":
					for _, h := range n.Attr {
						if h.Key == "href" {
							next = h.Val
						}
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return comments, next, bad
}
