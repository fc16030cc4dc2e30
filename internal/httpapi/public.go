package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// Paging of public threads: pages hold top-level comments with all their replies.
const (
	defaultThreadPage = httpx.DefaultThreadPage
	maxThreadPage     = 200
	maxCountThreads   = 100
)

// site loads the site named in the path and answers CORS for it: a browser may read
// the answer only on one of the site's origins (or winnow's own pages).
func (s *server) site(w http.ResponseWriter, r *http.Request) (site.Site, bool, error) {
	return s.siteByID(w, r, mux.Vars(r)["site"])
}

// siteByID is site for routes that learn the site from something else (a comment).
func (s *server) siteByID(w http.ResponseWriter, r *http.Request, id string) (site.Site, bool, error) {
	st, err := s.sites.Get(r.Context(), id)
	if err != nil {
		return site.Site{}, false, err
	}
	h := w.Header()
	if len(h["Vary"]) == 0 {
		h["Vary"] = varyOrigin
	} else {
		h.Add("Vary", "Origin")
	}
	origin := r.Header.Get("Origin")
	allowed := origin != "" && s.allowsOrigin(st, origin)
	if allowed {
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Access-Control-Expose-Headers"] = exposeHeaders
	}
	return st, allowed, nil
}

// Header values that every public read sets, shared by every answer instead of a
// fresh one-element slice per field per request (what http.Header.Set makes). No code
// changes a header value in place, and the slices are full (len == cap), so an Add to
// one of these fields copies rather than writes into them.
var (
	varyOrigin         = []string{"Origin"}
	varyOriginEncoding = []string{"Origin", "Accept-Encoding"}
	exposeHeaders      = []string{"ETag, Retry-After, Idempotent-Replayed, X-Request-Id"}
	contentTypeJSON    = []string{"application/json; charset=utf-8"}
	noSniff            = []string{"nosniff"}
	encodingGzip       = []string{"gzip"}
)

// allowsOrigin is the one origin check of the public routes: a browser page on one of
// the site's origins, or one of winnow's own pages.
func (s *server) allowsOrigin(st site.Site, origin string) bool {
	return st.AllowsOrigin(origin) || strings.EqualFold(origin, s.ownOrigin)
}

// preflight answers CORS preflight requests for the public API.
func (s *server) preflight(w http.ResponseWriter, r *http.Request) {
	_, allowed, err := s.site(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !allowed {
		s.writeError(w, r, comment.ErrForbidden)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key, If-None-Match")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

type threadView struct {
	Key   string `json:"key"`
	URL   string `json:"url,omitempty"`
	Title string `json:"title,omitempty"`
	Count int    `json:"count"`
}

type threadPage struct {
	Thread     threadView       `json:"thread"`
	Comments   []*publicComment `json:"comments"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// threadComments serves a thread's approved comments as a reply tree. It never writes;
// a reader whose ETag matches the thread's version gets a 304, and a page already
// rendered for this version comes from the cache, both before any comment is read.
func (s *server) threadComments(w http.ResponseWriter, r *http.Request) {
	site, _, err := s.site(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The query is read parameter by parameter, the fields at fault gathered only when
	// there are some: a read that is fine allocates nothing for them.
	q := r.URL.RawQuery
	key, sort := httpx.QueryValue(q, "thread"), httpx.QueryValue(q, "sort")
	var fields map[string]string
	fault := func(field, problem string) {
		if fields == nil {
			fields = map[string]string{}
		}
		fields[field] = problem
	}
	if !comment.ValidThreadKey(key) {
		fault("thread", comment.ThreadKeyRule)
	}
	if sort == "" {
		sort = comment.SortOldest
	} else if sort != comment.SortOldest && sort != comment.SortNewest {
		fault("sort", "must be oldest or newest")
	}
	limit, err := httpx.IntValue(httpx.QueryValue(q, "limit"), defaultThreadPage, 1, maxThreadPage)
	if err != nil {
		fault("limit", err.Error())
	}
	offset, err := httpx.IntValue(httpx.QueryValue(q, "cursor"), 0, 0, 1<<30)
	if err != nil {
		fault("cursor", "not a cursor from a previous page")
	}
	if fields != nil {
		s.writeError(w, r, badRequest("invalid query", fields))
		return
	}

	th, err := s.thread(r, site.ID, key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	etag := threadETag(site.ID, key, th, sort, limit, offset)
	h := w.Header()
	h["Etag"] = []string{etag}
	h["Cache-Control"] = s.cacheControl(site)
	if v := h["Vary"]; len(v) == 1 && v[0] == "Origin" {
		h["Vary"] = varyOriginEncoding
	} else {
		h.Add("Vary", "Accept-Encoding")
	}
	if httpx.ETagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	fail := func(err error) {
		// An error is no version of the thread: no CDN may keep it, nor a reader its tag.
		h.Del("ETag")
		h.Set("Cache-Control", "no-store")
		s.writeError(w, r, err)
	}
	gz := httpx.AcceptsGzip(r.Header.Get("Accept-Encoding"))
	if page, ok := s.pages.get(etag); ok {
		var body []byte
		if !gz {
			if body, err = s.pages.plain(etag, page); err != nil {
				fail(err)
				return
			}
		}
		s.writePage(w, page, body, gz)
		return
	}
	// Readers who miss together share one rendering: a viral thread's new version is
	// read and compressed once, not once per reader waiting for it. The rendering
	// outlives a reader who leaves, since the others still wait for it.
	v, err, _ := s.renders.Do(etag, func() (any, error) {
		body, err := s.renderThread(context.WithoutCancel(r.Context()), key, th, sort, limit, offset)
		if err != nil {
			return nil, err
		}
		page, err := s.pages.compress(body)
		if err != nil {
			return nil, err
		}
		s.pages.put(etag, page)
		return rendered{page: page, body: body}, nil
	})
	if err != nil {
		fail(err)
		return
	}
	out := v.(rendered)
	s.writePage(w, out.page, out.body, gz)
}

// rendered is one rendering of a thread page: gzipped for the cache, and plain for
// the readers who waited for it and refuse gzip.
type rendered struct {
	page cachedPage
	body []byte
}

// writePage answers with a rendered page: its gzip bytes as stored when the client
// accepts gzip, else its plain JSON, body.
func (s *server) writePage(w http.ResponseWriter, page cachedPage, body []byte, gz bool) {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["X-Content-Type-Options"] = noSniff
	if gz {
		body = page.gz
		h["Content-Encoding"] = encodingGzip
		h["Content-Length"] = page.gzLength
	} else {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// renderThread encodes one page of a thread's approved comments as a reply tree.
func (s *server) renderThread(ctx context.Context, key string, th comment.Thread, sort string, limit, offset int) ([]byte, error) {
	page := threadPage{Thread: threadView{Key: key, URL: th.URL, Title: th.Title, Count: th.ApprovedCount}, Comments: []*publicComment{}}
	if th.ID != 0 {
		cs, err := s.store.ApprovedComments(ctx, th.ID)
		if err != nil {
			return nil, err
		}
		if cs, err = httpx.WithStubs(ctx, cs, s.store.CommentsByID); err != nil {
			return nil, err
		}
		roots := s.tree(cs)
		if sort == comment.SortNewest {
			slices.Reverse(roots)
		}
		if offset < len(roots) {
			end := min(offset+limit, len(roots))
			page.Comments = roots[offset:end]
			if end < len(roots) {
				page.NextCursor = strconv.Itoa(end)
			}
		}
	}
	return json.Marshal(page)
}

// cacheControl is the Cache-Control of a site's public reads, as a header's values:
// its own CDN lifetimes, or the server's.
func (s *server) cacheControl(st site.Site) []string {
	if st.CDN == nil {
		return s.readCache
	}
	return []string{SharedCache{MaxAge: st.CDN.SMaxAge, StaleWhileRevalidate: st.CDN.StaleWhileRevalidate}.header()}
}

// thread is the thread row from the thread cache when there is one, else from the
// database; a thread that does not exist yet is the zero Thread.
func (s *server) thread(r *http.Request, siteID, key string) (comment.Thread, error) {
	var gen uint64
	if s.threads != nil {
		th, ok, g := s.threads.get(siteID, key)
		if ok {
			return th, nil
		}
		gen = g
	}
	th, err := s.store.ThreadByKey(r.Context(), siteID, key)
	switch {
	case errors.Is(err, comment.ErrNotFound):
		return comment.Thread{}, nil
	case err != nil:
		return comment.Thread{}, err
	}
	if s.threads != nil {
		s.threads.put(siteID, key, th, gen)
	}
	return th, nil
}

// tree nests replies under their parents (httpx.Tree).
func (s *server) tree(cs []comment.Comment) []*publicComment {
	return httpx.Tree(s.baseURL, cs)
}

// threadETag changes whenever the thread's public view or the page asked for does. It
// names the key too: every thread without comments has the same zero row, and one
// reader's made-up key must not answer for another's page.
//
// The tag is weak (W/) because one tag stands for both encodings of the page: the
// gzip and the plain bytes are different representations of the same JSON, and HTTP
// (RFC 9110, 8.8.1) lets such semantically equivalent representations share a weak
// validator only; a strong one would have to differ per encoding. If-None-Match
// compares weakly anyway (13.1.2), so a reader, or a CDN, that cached either encoding
// revalidates with a 304, and the 304 needs no knowledge of the encoding. Nothing
// needs a strong tag here: the thread is never read by byte ranges nor written with
// If-Match.
func threadETag(siteID, key string, th comment.Thread, sort string, limit, offset int) string {
	// What is hashed is fmt's "%q %q %d %d %d %q %q %s %d %d" of the fields below,
	// written with strconv into a buffer on the stack: the same tags as ever, without
	// fmt's cost on every read (TestThreadETagFormat).
	var buf [256]byte
	b := strconv.AppendQuote(buf[:0], siteID)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, key)
	for _, n := range [...]int64{th.ID, th.Version, int64(th.ApprovedCount)} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, ' ')
	b = strconv.AppendQuote(b, th.URL)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, th.Title)
	b = append(b, ' ')
	b = append(b, sort...)
	for _, n := range [...]int{limit, offset} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	h := sha256.Sum256(b)
	var tag [len(`W/""`) + 24]byte
	copy(tag[:], `W/"`)
	hex.Encode(tag[3:27], h[:12])
	tag[27] = '"'
	return string(tag[:])
}

// counts answers approved counts for the threads of a listing page in one request.
func (s *server) counts(w http.ResponseWriter, r *http.Request) {
	site, _, err := s.site(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	keys := r.URL.Query()["thread"]
	if len(keys) == 0 || len(keys) > maxCountThreads {
		s.writeError(w, r, badRequest("invalid query", map[string]string{"thread": fmt.Sprintf("give 1 to %d thread keys", maxCountThreads)}))
		return
	}
	got, err := s.store.Counts(r.Context(), site.ID, keys)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make(map[string]int, len(keys))
	for _, k := range keys {
		out[k] = got[k]
	}
	w.Header()["Cache-Control"] = s.cacheControl(site)
	writeJSON(w, http.StatusOK, map[string]any{"counts": out})
}

// form hands a comment form its signed token: when it was served and for which page.
// A submission that comes back too fast, too late, elsewhere or twice is suspicious.
func (s *server) form(w http.ResponseWriter, r *http.Request) {
	site, _, err := s.site(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	thread := r.URL.Query().Get("thread")
	if !comment.ValidThreadKey(thread) {
		s.writeError(w, r, badRequest("invalid query", map[string]string{"thread": comment.ThreadKeyRule}))
		return
	}
	token, err := s.submitter.FormToken(site.ID, thread)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"form_token": token, "honeypot": "website",
		"expires_in": int(spam.FormTokenTTL.Seconds()), "notify_replies": s.mailSettings != nil})
}

// formPage is a page of winnow's own whose form posts to the submit handler
// (pages.Pages, the no-JS thread page): it admits the post, shows refused input on the
// page again, and names where a stored comment goes back to.
type formPage interface {
	CheckPost(sub comment.Submission, form bool) error
	Refused(w http.ResponseWriter, r *http.Request, site site.Site, sub comment.Submission, err error) bool
	PostedURL(r *http.Request, site site.Site, sub comment.Submission, status comment.Status) string
}

type submitAnswer struct {
	Status    comment.Status `json:"status"`
	Comment   *publicComment `json:"comment"`
	EditToken string         `json:"edit_token"`
}

// submitHandler is the one handler of submissions, on the JSON API's route (page nil:
// the widget's JSON, or a site's own plain HTML form) and on winnow's no-JS thread page
// (/t/{site}, page set), through one pipeline. It answers by request type: JSON with
// JSON (201 published, 202 held, never "spam"), a form with a 303 back to the page it
// came from (the thread page, or thread_url when it is one of the site's pages; a form
// without one gets the JSON answer). The thread page takes forms only, and shows input
// the pipeline refuses on the page itself, with the text kept.
func (s *server) submitHandler(page formPage) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		site, err := s.submitSite(w, r, page == nil)
		if err != nil {
			s.countSubmission(err)
			s.writeError(w, r, err)
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !s.allowsOrigin(site, o) {
			s.writeError(w, r, &httpError{Status: http.StatusForbidden, Code: "forbidden", Message: "this origin may not post to the site"})
			return
		}
		sub, form, err := decodeSubmission(r)
		if err == nil && page != nil {
			err = page.CheckPost(sub, form)
		}
		if err != nil {
			s.countSubmission(err)
			s.writeError(w, r, err)
			return
		}
		res, err := s.submitter.Submit(r.Context(), site, sub, intake.Meta{
			IP: s.clientIP(r), UserAgent: r.UserAgent(), IdempotencyKey: r.Header.Get("Idempotency-Key"),
		})
		if err != nil {
			s.countSubmission(err)
			if page == nil || !page.Refused(w, r, site, sub, err) {
				s.writeError(w, r, err)
			}
			return
		}
		c := res.Comment
		outcome := string(c.Status)
		if res.Replayed {
			outcome = "replayed"
			w.Header().Set("Idempotent-Replayed", "true")
		}
		s.metrics.submissions.WithLabelValues(outcome).Inc()

		// The submitter sees "pending" for anything not published: never that it was judged spam.
		status, code := comment.StatusPending, http.StatusAccepted
		if c.Status == comment.StatusApproved {
			status, code = comment.StatusApproved, http.StatusCreated
		}
		anchor := "#winnow-comment-" + strconv.FormatInt(c.ID, 10)
		switch {
		case page != nil:
			http.Redirect(w, r, page.PostedURL(r, site, sub, status)+anchor, http.StatusSeeOther)
		case form && site.AllowsURL(sub.ThreadURL):
			back, _, _ := strings.Cut(sub.ThreadURL, "#")
			http.Redirect(w, r, back+anchor, http.StatusSeeOther)
		default:
			view := s.publicView(c)
			view.Status = status
			writeJSON(w, code, submitAnswer{Status: status, Comment: view, EditToken: res.EditToken})
		}
	}
}

// submitSite loads the site a submission is for; on the API's route it answers CORS
// for it too (site), which winnow's own page does not need.
func (s *server) submitSite(w http.ResponseWriter, r *http.Request, cors bool) (site.Site, error) {
	if cors {
		st, _, err := s.site(w, r)
		return st, err
	}
	return s.sites.Get(r.Context(), mux.Vars(r)["site"])
}

func (s *server) countSubmission(err error) {
	var ve *comment.ValidationError
	var he *httpx.Error
	var rl *comment.RateLimitedError
	if errors.As(err, &rl) {
		s.metrics.submissions.WithLabelValues("rate_limited").Inc()
		return
	}
	if errors.As(err, &ve) || errors.As(err, &he) || errors.Is(err, comment.ErrNotFound) {
		s.metrics.submissions.WithLabelValues("invalid").Inc()
		return
	}
	s.metrics.submissions.WithLabelValues("error").Inc()
}

// submissionFields are the form fields of a submission, named as its JSON members.
var submissionFields = []string{"thread", "thread_url", "thread_title", "parent_id", "author_name",
	"author_email", "author_url", "body", "website", "form_token", "notify_replies"}

// decodeSubmission reads a JSON or form-encoded submission; form reports which. The
// submission comes back normalized as the pipeline reads it, so what the handler does
// with it afterwards (a form's redirect to thread_url) sees the same values: a
// thread_url with a stray space still gets its 303.
func decodeSubmission(r *http.Request) (sub comment.Submission, form bool, err error) {
	kind, err := requestKind(r, true)
	if err != nil {
		return sub, false, err
	}
	if kind == kindJSON {
		err = decodeJSONBody(r.Body, &sub)
		sub.Normalize()
		return sub, false, err
	}
	if err := parseForm(r); err != nil {
		return sub, true, err
	}
	f := r.PostForm
	// A field given twice is refused, as a JSON member named twice is: which copy
	// counts would otherwise depend on who reads the form (a proxy, a filter, winnow).
	for _, k := range submissionFields {
		if len(f[k]) > 1 {
			return sub, true, badRequest("a field is given twice", map[string]string{k: "given more than once"})
		}
	}
	sub = comment.Submission{
		Thread: f.Get("thread"), ThreadURL: f.Get("thread_url"), ThreadTitle: f.Get("thread_title"),
		AuthorName: f.Get("author_name"), AuthorEmail: f.Get("author_email"), AuthorURL: f.Get("author_url"),
		Body: f.Get("body"), Honeypot: f.Get("website"), FormToken: f.Get("form_token"),
		// A checkbox sends its value ("1" here, "on" by default) only when ticked.
		NotifyReplies: f.Get("notify_replies") != "",
	}
	if p := f.Get("parent_id"); p != "" {
		if sub.ParentID, err = strconv.ParseInt(p, 10, 64); err != nil {
			return sub, true, badRequest("a field has the wrong type", map[string]string{"parent_id": "must be a number"})
		}
	}
	sub.Normalize()
	return sub, true, nil
}

// clientIP is the peer address, or, when the peer is a trusted proxy, the address
// that proxy saw: the right-most X-Forwarded-For entry that is not itself a trusted
// proxy. Entries further left are whatever the client claimed and are ignored.
func (s *server) clientIP(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := peer.Addr().Unmap()
	if !s.trusted(ip) {
		return ip.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if ip = hop.Unmap(); !s.trusted(ip) {
			break
		}
	}
	return ip.String()
}

func (s *server) trusted(ip netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
