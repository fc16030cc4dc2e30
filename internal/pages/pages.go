package pages

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/i18n"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/site"
)

// pageCSP is the policy of winnow's own pages at baseURL: no script at all, styles
// and images from winnow only, forms post back to winnow.
func pageCSP(baseURL string) string {
	img := "'self'"
	if o := httpx.Origin(baseURL); o != "" {
		img += " " + o
	}
	return "default-src 'none'; style-src 'self'; img-src " + img +
		"; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// threadData is what thread.html renders. Comments are publicComment views, so no
// private field can reach the page.
type threadData struct {
	Site, Key, Title, URL, Sort string
	// Heading names the page in <h1> and <title>: its published title, else the
	// title a comment held by policy alone claimed (claimedTitle), else the key.
	Heading   string
	Count     int
	Comments  []*httpx.PublicComment
	Parent    *httpx.PublicComment
	Notice    string
	Errors    map[string]string
	Values    comment.Submission
	FormToken string
	// Notify shows the "notify me of replies" box: the server sends mail.
	Notify               bool
	CSS, Action          string
	OldestURL, NewestURL string
	MoreURL, CancelURL   string
	// Lang and Dir are the page's language and direction; LangParam is the lang the
	// page was asked for (?lang=), which its links and form carry on.
	Lang, Dir, LangParam string
}

// speaks picks the language of a thread page: the lang it was asked for (a link from
// a page in that language, ?lang=, or the form of such a page), else the browser's
// Accept-Language, else English. carry is the asked-for language when it was
// supported, for the page's links.
func (p *Pages) speaks(r *http.Request) (c *i18n.Catalog, carry string) {
	asked := r.URL.Query().Get("lang")
	if asked == "" && r.PostForm != nil {
		asked = r.PostForm.Get("lang")
	}
	c = p.catalogs.Match(asked, r.Header.Get("Accept-Language"))
	if asked != "" && p.catalogs.Match(asked) == c {
		carry = c.Lang
	}
	return c, carry
}

// URL is the thread page's own path with a query; it names only winnow's page, so
// redirecting to it cannot send a reader anywhere else.
func URL(site, key string, extra url.Values) string {
	q := url.Values{"thread": {key}}
	for k, v := range extra {
		q[k] = v
	}
	return "/t/" + url.PathEscape(site) + "?" + q.Encode()
}

// ThreadPage renders a thread and its form as plain HTML: GET /t/{site}?thread=KEY
// [&sort=newest][&cursor=N][&reply=ID].
func (p *Pages) ThreadPage(w http.ResponseWriter, r *http.Request) {
	site, err := p.sites.Get(r.Context(), mux.Vars(r)["site"])
	if errors.Is(err, comment.ErrNotFound) {
		// A reader followed a link (a <noscript> one, say) that names no site: a page,
		// not the API's JSON.
		p.notice(w, r, http.StatusNotFound, "noSite")
		return
	}
	if err != nil {
		httpx.WriteError(p.log, w, r, err)
		return
	}
	q := r.URL.Query()
	d := threadData{Site: site.ID, Key: q.Get("thread"), Sort: q.Get("sort")}
	if !comment.ValidThreadKey(d.Key) {
		p.notice(w, r, http.StatusBadRequest, "noThread")
		return
	}
	c, _ := p.speaks(r)
	switch {
	case q.Get("held") != "":
		d.Notice = c.T("held")
	case q.Get("posted") != "":
		d.Notice = c.T("published")
	}
	reply, _ := strconv.ParseInt(q.Get("reply"), 10, 64)
	p.render(w, r, site, d, reply, http.StatusOK)
}

// missingPage is what a link to the thread page that names no site or thread shows.
const missingPage = `<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{t "title"}}</title>
<link rel="stylesheet" href="{{.CSS}}">
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
</head>
<body>
<main class="wn wn-auto">
<h1>{{t "title"}}</h1>
<p class="wn-status" role="status">{{.Message}}</p>
</main>
</body>
</html>
`

// notice writes the missing page with a message (a catalog key) and a status.
func (p *Pages) notice(w http.ResponseWriter, r *http.Request, status int, key string) {
	c, _ := p.speaks(r)
	data := struct{ CSS, Message, Lang, Dir string }{p.assets.url("embed.css"), c.T(key), c.Lang, c.Dir}
	httpx.WriteHTML(p.log, w, r, status, p.csp, func(buf *bytes.Buffer) error { return p.missing[c.Lang].Execute(buf, data) })
}

// render fills in the thread and the form and writes the page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, st site.Site, d threadData, reply int64, status int) {
	q := r.URL.Query()
	c, carry := p.speaks(r)
	d.Lang, d.Dir, d.LangParam = c.Lang, c.Dir, carry
	// link is the page's own URL with extra, in the language it was asked in.
	link := func(extra url.Values) string {
		if carry != "" {
			if extra == nil {
				extra = url.Values{}
			}
			extra.Set("lang", carry)
		}
		return URL(st.ID, d.Key, extra)
	}
	if d.Sort != comment.SortNewest {
		d.Sort = comment.SortOldest
	}
	offset, _ := httpx.IntParam(q, "cursor", 0, 0, 1<<30)
	th, err := p.store.ThreadByKey(r.Context(), st.ID, d.Key)
	if err != nil && !errors.Is(err, comment.ErrNotFound) {
		httpx.WriteError(p.log, w, r, err)
		return
	}
	d.Title, d.URL, d.Count = th.Title, th.URL, th.ApprovedCount
	if d.URL != "" && !st.AllowsURL(d.URL) {
		d.URL = ""
	}
	d.Heading = d.Title
	if d.Heading == "" && th.ID != 0 && th.ApprovedCount == 0 {
		if d.Heading, err = p.claimedTitle(r.Context(), st, d.Key); err != nil {
			httpx.WriteError(p.log, w, r, err)
			return
		}
	}
	if d.Heading == "" {
		d.Heading = d.Key
	}
	if th.ID != 0 {
		cs, err := p.store.ApprovedComments(r.Context(), th.ID)
		if err == nil {
			cs, err = httpx.WithStubs(r.Context(), cs, p.store.CommentsByID)
		}
		if err != nil {
			httpx.WriteError(p.log, w, r, err)
			return
		}
		roots := httpx.Tree(p.baseURL, cs)
		for _, c := range cs {
			if c.ID == reply {
				d.Parent = httpx.PublicView(p.baseURL, c)
			}
		}
		if d.Sort == comment.SortNewest {
			slices.Reverse(roots)
		}
		if offset < len(roots) {
			end := min(offset+httpx.DefaultThreadPage, len(roots))
			d.Comments = roots[offset:end]
			if end < len(roots) {
				d.MoreURL = link(url.Values{"sort": {d.Sort}, "cursor": {strconv.Itoa(end)}})
			}
		}
	}
	token, err := p.forms.FormToken(st.ID, d.Key)
	if err != nil {
		httpx.WriteError(p.log, w, r, err)
		return
	}
	d.FormToken = token
	d.Notify = p.subs != nil
	d.CSS = p.assets.url("embed.css")
	d.Action = "/t/" + url.PathEscape(st.ID)
	d.OldestURL = link(nil)
	d.NewestURL = link(url.Values{"sort": {comment.SortNewest}})
	d.CancelURL = link(url.Values{"sort": {d.Sort}})
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	t, err := p.thread[c.Lang].Clone()
	if err != nil {
		httpx.WriteError(p.log, w, r, err)
		return
	}
	t.Funcs(template.FuncMap{"replyURL": func(id int64) string {
		return link(url.Values{"sort": {d.Sort}, "reply": {strconv.FormatInt(id, 10)}})
	}})
	httpx.WriteHTML(p.log, w, r, status, p.csp, func(buf *bytes.Buffer) error { return t.Execute(buf, d) })
}

// claimLookahead bounds the held comments claimedTitle reads: the oldest few say it.
const claimLookahead = 20

// claimedTitle is the page title that the oldest comment held by the site's policy
// alone claimed for a thread that has no published comment yet, or "". The page
// shows it as its heading so that a reader who just posted (and the owner trying
// the site out) sees the page's name rather than its key. A thread's stored title
// still comes from published comments only, and the title shown here is never put
// in the form as a claim of its own. Held comments with a spam signal (a reason or
// a score, moderation.HeldByPolicy) and spam never name a page: a spammer posting
// first on a new page cannot write its heading.
func (p *Pages) claimedTitle(ctx context.Context, st site.Site, key string) (string, error) {
	held, _, err := p.store.ListComments(ctx, comment.Query{SiteID: st.ID, ThreadKey: key,
		Status: comment.StatusPending, Sort: comment.SortOldest, Limit: claimLookahead})
	if err != nil {
		return "", err
	}
	for _, c := range held {
		if c.PageTitle != "" && moderation.HeldByPolicy(c) && (c.PageURL == "" || st.AllowsURL(c.PageURL)) {
			return c.PageTitle, nil
		}
	}
	return "", nil
}

// formField reports whether the page's form shows a field's error next to its input.
func formField(name string) bool {
	switch name {
	case "body", "author_name", "author_email", "author_url":
		return true
	}
	return false
}

// readerMessage says a field error of comment.Submission.Validate (terse, written for
// API clients) as a sentence a reader at the form understands, in the page's language
// and in the same words as the widget (both read the catalogs); a message it does not
// know is shown as it is.
func readerMessage(c *i18n.Catalog, msg string) string {
	if strings.HasPrefix(msg, "must not contain text direction controls") {
		return c.T("bidi")
	}
	if n, ok := strings.CutPrefix(msg, "at most "); ok {
		if n, ok := strings.CutSuffix(n, " characters"); ok {
			if k, err := strconv.Atoi(n); err == nil {
				return c.N("tooLong", k)
			}
		}
	}
	key := map[string]string{
		"required":                         "required",
		"must contain a visible character": "invisible",
		"contains control characters":      "control",
		"must be valid UTF-8":              "control",
		"not a valid email address":        "badEmail",
		"must be an http or https URL":     "badURL",
	}[msg]
	if key == "" {
		return msg
	}
	return c.T(key)
}

// CheckPost admits what the thread page's form posts: form-encoded, for a thread the
// page can be shown again for. The rest is the one submit handler's (httpapi).
func (p *Pages) CheckPost(sub comment.Submission, form bool) error {
	if !form {
		return &httpx.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "Content-Type must be application/x-www-form-urlencoded"}
	}
	if !comment.ValidThreadKey(sub.Thread) {
		return httpx.BadRequest("invalid form", map[string]string{"thread": comment.ThreadKeyRule})
	}
	return nil
}

// Refused shows the thread page again for a submission the pipeline refused for its
// input (the errors next to their fields, the text kept) or its rate, and reports
// whether it answered; any other error is left to the caller.
func (p *Pages) Refused(w http.ResponseWriter, r *http.Request, st site.Site, sub comment.Submission, err error) bool {
	var ve *comment.ValidationError
	var rl *comment.RateLimitedError
	d := threadData{Site: st.ID, Key: sub.Thread, Values: shownAgain(sub), Errors: map[string]string{}}
	c, _ := p.speaks(r)
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &ve):
		for k, v := range ve.Fields {
			if formField(k) {
				d.Errors[k] = readerMessage(c, v)
			} else {
				d.Errors[""] = strings.TrimSpace(d.Errors[""] + " " + k + ": " + v + ".")
			}
		}
	case errors.As(err, &rl):
		httpx.SetRateLimitHeaders(w.Header(), rl)
		status = http.StatusTooManyRequests
		d.Notice = waitNotice(c, rl.RetryAfter)
	default:
		return false
	}
	p.render(w, r, st, d, sub.ParentID, status)
	return true
}

// shownAgain is a refused submission as the form shows it again: bytes that are not
// UTF-8 (which the form refused) become U+FFFD, so the page stays valid UTF-8 and the
// reader sees where their text was broken.
func shownAgain(sub comment.Submission) comment.Submission {
	for _, f := range []*string{&sub.Thread, &sub.ThreadURL, &sub.ThreadTitle, &sub.AuthorName, &sub.AuthorEmail,
		&sub.AuthorURL, &sub.Body, &sub.Honeypot, &sub.FormToken} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	return sub
}

// waitNotice tells a reader refused by a rate limit how long to wait, as the widget
// does (from the limit's Retry-After, rounded up to a whole second; minutes from two).
func waitNotice(c *i18n.Catalog, retry time.Duration) string {
	secs := max(int((retry+time.Second-1)/time.Second), 1)
	if secs < 120 {
		return c.N("rate", secs)
	}
	return c.N("rateMinutes", (secs+59)/60)
}

// PostedURL is where a stored submission from the thread page goes back to: the page,
// saying whether the comment is published or held (never that it was judged spam).
func (p *Pages) PostedURL(r *http.Request, st site.Site, sub comment.Submission, status comment.Status) string {
	flag := url.Values{"posted": {"1"}}
	if status != comment.StatusApproved {
		flag = url.Values{"held": {"1"}}
	}
	if _, carry := p.speaks(r); carry != "" {
		flag.Set("lang", carry)
	}
	return URL(st.ID, sub.Thread, flag)
}
