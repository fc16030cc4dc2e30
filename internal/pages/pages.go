package pages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
		p.notice(w, r, http.StatusNotFound, "There are no comments here: the link names a site that does not exist.")
		return
	}
	if err != nil {
		httpx.WriteError(p.log, w, r, err)
		return
	}
	q := r.URL.Query()
	d := threadData{Site: site.ID, Key: q.Get("thread"), Sort: q.Get("sort")}
	if !comment.ValidThreadKey(d.Key) {
		p.notice(w, r, http.StatusBadRequest, "There are no comments here: the link does not name a page's thread (?thread=…).")
		return
	}
	switch {
	case q.Get("held") != "":
		d.Notice = "Thank you! Your comment is awaiting moderation."
	case q.Get("posted") != "":
		d.Notice = "Your comment was published."
	}
	reply, _ := strconv.ParseInt(q.Get("reply"), 10, 64)
	p.render(w, r, site, d, reply, http.StatusOK)
}

// missingPage is what a link to the thread page that names no site or thread shows.
const missingPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Comments</title>
<link rel="stylesheet" href="{{.CSS}}">
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
</head>
<body>
<main class="wn wn-auto">
<h1>Comments</h1>
<p class="wn-status" role="status">{{.Message}}</p>
</main>
</body>
</html>
`

// notice writes the missing page with a message and a status.
func (p *Pages) notice(w http.ResponseWriter, r *http.Request, status int, msg string) {
	data := struct{ CSS, Message string }{p.assets.url("embed.css"), msg}
	httpx.WriteHTML(p.log, w, r, status, p.csp, func(buf *bytes.Buffer) error { return p.missing.Execute(buf, data) })
}

// render fills in the thread and the form and writes the page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, st site.Site, d threadData, reply int64, status int) {
	q := r.URL.Query()
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
				d.MoreURL = URL(st.ID, d.Key, url.Values{"sort": {d.Sort}, "cursor": {strconv.Itoa(end)}})
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
	d.OldestURL = URL(st.ID, d.Key, nil)
	d.NewestURL = URL(st.ID, d.Key, url.Values{"sort": {comment.SortNewest}})
	d.CancelURL = URL(st.ID, d.Key, url.Values{"sort": {d.Sort}})
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	t, err := p.thread.Clone()
	if err != nil {
		httpx.WriteError(p.log, w, r, err)
		return
	}
	t.Funcs(template.FuncMap{"replyURL": func(id int64) string {
		return URL(st.ID, d.Key, url.Values{"sort": {d.Sort}, "reply": {strconv.FormatInt(id, 10)}})
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
// API clients) as a sentence a reader at the form understands, the same sentences the
// widget shows; a message it does not know is shown as it is.
func readerMessage(msg string) string {
	if strings.HasPrefix(msg, "must not contain text direction controls") {
		return "Contains characters that reverse the direction of the text, which are not allowed here."
	}
	if n, ok := strings.CutPrefix(msg, "at most "); ok && strings.HasSuffix(n, " characters") {
		return "At most " + n + "."
	}
	switch msg {
	case "required":
		return "This field is required."
	case "must contain a visible character":
		return "Please write something visible: spaces and invisible characters alone do not count."
	case "contains control characters", "must be valid UTF-8":
		return "Contains characters that are not allowed."
	case "not a valid email address":
		return "Please enter a valid email address."
	case "must be an http or https URL":
		return "Please enter a web address starting with http:// or https://."
	}
	return msg
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
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &ve):
		for k, v := range ve.Fields {
			if formField(k) {
				d.Errors[k] = readerMessage(v)
			} else {
				d.Errors[""] = strings.TrimSpace(d.Errors[""] + " " + k + ": " + v + ".")
			}
		}
	case errors.As(err, &rl):
		httpx.SetRateLimitHeaders(w.Header(), rl)
		status = http.StatusTooManyRequests
		d.Notice = waitNotice(rl.RetryAfter)
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
// does (from the limit's Retry-After, rounded up to a whole second).
func waitNotice(retry time.Duration) string {
	secs := int((retry + time.Second - 1) / time.Second)
	switch {
	case secs <= 1:
		return "Too many comments from here. Please try again in a second."
	case secs < 120:
		return fmt.Sprintf("Too many comments from here. Please try again in %d seconds.", secs)
	}
	return fmt.Sprintf("Too many comments from here. Please try again in %d minutes.", (secs+59)/60)
}

// PostedURL is where a stored submission from the thread page goes back to: the page,
// saying whether the comment is published or held (never that it was judged spam).
func (p *Pages) PostedURL(st site.Site, sub comment.Submission, status comment.Status) string {
	flag := url.Values{"posted": {"1"}}
	if status != comment.StatusApproved {
		flag = url.Values{"held": {"1"}}
	}
	return URL(st.ID, sub.Thread, flag)
}
