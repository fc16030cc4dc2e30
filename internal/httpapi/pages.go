package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/web"
)

// pages serves what browsers load from winnow itself: the widget's files and the
// thread page that works without JavaScript.
type pages struct {
	s      *server
	assets *assets
	thread *template.Template
	// missing is the page for a link that names no site or no thread.
	missing *template.Template
}

// pageRoutes adds the widget's files and the no-JS thread page to r, and returns the
// assets, which the dashboard's pages name too.
func (s *server) pageRoutes(r *mux.Router) *assets {
	a, err := newAssets()
	if err != nil {
		panic(err) // the files are embedded: a build mistake
	}
	p := &pages{s: s, assets: a, thread: template.Must(template.New("thread.html").Funcs(template.FuncMap{
		// body_html is bluemonday's output, sanitized when the comment was stored.
		"trusted":  func(h string) template.HTML { return template.HTML(h) },
		"replyURL": func(id int64) string { return "" },
	}).ParseFS(web.Templates(), "thread.html")), missing: template.Must(template.New("missing").Parse(missingPage))}
	for _, name := range []string{"embed.js", "embed.css", "count.js"} {
		r.HandleFunc("/"+name, a.plain(name)).Methods(http.MethodGet, http.MethodHead)
	}
	r.HandleFunc("/static/{file}", a.static(s)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/t/{site}", p.threadPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/t/{site}", p.postComment).Methods(http.MethodPost)
	return a
}

// pageCSP is the policy of winnow's own pages: no script at all, styles and images
// from winnow only, forms post back to winnow.
func (p *pages) pageCSP() string {
	img := "'self'"
	if o := p.s.ownOrigin(); o != "" {
		img += " " + o
	}
	return "default-src 'none'; style-src 'self'; img-src " + img +
		"; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// threadData is what thread.html renders. Comments are publicComment views, so no
// private field can reach the page.
type threadData struct {
	Site, Key, Title, URL, Sort string
	Count                       int
	Comments                    []*publicComment
	Parent                      *publicComment
	Notice                      string
	Errors                      map[string]string
	Values                      comment.Submission
	FormToken                   string
	CSS, Action                 string
	OldestURL, NewestURL        string
	MoreURL, CancelURL          string
}

// pageURL is the thread page's own path with a query; it names only winnow's page, so
// redirecting to it cannot send a reader anywhere else.
func pageURL(site, key string, extra url.Values) string {
	q := url.Values{"thread": {key}}
	for k, v := range extra {
		q[k] = v
	}
	return "/t/" + url.PathEscape(site) + "?" + q.Encode()
}

// threadPage renders a thread and its form as plain HTML: GET /t/{site}?thread=KEY
// [&sort=newest][&cursor=N][&reply=ID].
func (p *pages) threadPage(w http.ResponseWriter, r *http.Request) {
	site, err := p.s.sites.get(r.Context(), mux.Vars(r)["site"])
	if errors.Is(err, comment.ErrNotFound) {
		// A reader followed a link (a <noscript> one, say) that names no site: a page,
		// not the API's JSON.
		p.notice(w, r, http.StatusNotFound, "There are no comments here: the link names a site that does not exist.")
		return
	}
	if err != nil {
		p.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	d := threadData{Site: site.ID, Key: q.Get("thread"), Sort: q.Get("sort")}
	if d.Key == "" || len(d.Key) > comment.MaxThreadKeyLen {
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
func (p *pages) notice(w http.ResponseWriter, r *http.Request, status int, msg string) {
	data := struct{ CSS, Message string }{p.assets.url("embed.css"), msg}
	p.s.writeHTML(w, r, status, p.pageCSP(), func(buf *bytes.Buffer) error { return p.missing.Execute(buf, data) })
}

// render fills in the thread and the form and writes the page.
func (p *pages) render(w http.ResponseWriter, r *http.Request, site comment.Site, d threadData, reply int64, status int) {
	q := r.URL.Query()
	if d.Sort != comment.SortNewest {
		d.Sort = comment.SortOldest
	}
	offset, _ := intParam(q, "cursor", 0, 0, 1<<30)
	th, err := p.s.store.ThreadByKey(r.Context(), site.ID, d.Key)
	if err != nil && !errors.Is(err, comment.ErrNotFound) {
		p.s.writeError(w, r, err)
		return
	}
	d.Title, d.URL, d.Count = th.Title, th.URL, th.ApprovedCount
	if d.URL != "" && !site.AllowsURL(d.URL) {
		d.URL = ""
	}
	if th.ID != 0 {
		cs, err := p.s.store.ApprovedComments(r.Context(), th.ID)
		if err != nil {
			p.s.writeError(w, r, err)
			return
		}
		roots := p.s.tree(cs)
		for _, c := range cs {
			if c.ID == reply {
				d.Parent = p.s.publicView(c)
			}
		}
		if d.Sort == comment.SortNewest {
			slices.Reverse(roots)
		}
		if offset < len(roots) {
			end := min(offset+defaultThreadPage, len(roots))
			d.Comments = roots[offset:end]
			if end < len(roots) {
				d.MoreURL = pageURL(site.ID, d.Key, url.Values{"sort": {d.Sort}, "cursor": {strconv.Itoa(end)}})
			}
		}
	}
	token, err := p.s.submitter.FormToken(site.ID, d.Key)
	if err != nil {
		p.s.writeError(w, r, err)
		return
	}
	d.FormToken = token
	d.CSS = p.assets.url("embed.css")
	d.Action = "/t/" + url.PathEscape(site.ID)
	d.OldestURL = pageURL(site.ID, d.Key, nil)
	d.NewestURL = pageURL(site.ID, d.Key, url.Values{"sort": {comment.SortNewest}})
	d.CancelURL = pageURL(site.ID, d.Key, url.Values{"sort": {d.Sort}})
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	t, err := p.thread.Clone()
	if err != nil {
		p.s.writeError(w, r, err)
		return
	}
	t.Funcs(template.FuncMap{"replyURL": func(id int64) string {
		return pageURL(site.ID, d.Key, url.Values{"sort": {d.Sort}, "reply": {strconv.FormatInt(id, 10)}})
	}})
	p.s.writeHTML(w, r, status, p.pageCSP(), func(buf *bytes.Buffer) error { return t.Execute(buf, d) })
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

// postComment takes the thread page's form (form-encoded), submits it through the same
// pipeline as the API and answers 303 back to the page; invalid input renders the page
// again with the errors next to their fields and the text kept.
func (p *pages) postComment(w http.ResponseWriter, r *http.Request) {
	s := p.s
	site, err := s.sites.get(r.Context(), mux.Vars(r)["site"])
	if err != nil {
		s.countSubmission(err)
		s.writeError(w, r, err)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, s.ownOrigin()) && !site.AllowsOrigin(o) {
		s.writeError(w, r, &httpError{status: http.StatusForbidden, code: "forbidden", msg: "this origin may not post to the site"})
		return
	}
	sub, form, err := decodeSubmission(r)
	if err == nil && !form {
		err = &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", msg: "Content-Type must be application/x-www-form-urlencoded"}
	}
	if err == nil && (sub.Thread == "" || len(sub.Thread) > comment.MaxThreadKeyLen) {
		err = badRequest("invalid form", map[string]string{"thread": "required, at most 512 characters"})
	}
	if err != nil {
		s.countSubmission(err)
		s.writeError(w, r, err)
		return
	}
	res, err := s.submitter.Submit(r.Context(), site, sub, intake.Meta{IP: s.clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.countSubmission(err)
		var ve *comment.ValidationError
		var rl *comment.RateLimitedError
		d := threadData{Site: site.ID, Key: sub.Thread, Values: sub, Errors: map[string]string{}}
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
			setRateLimitHeaders(w.Header(), rl)
			status = http.StatusTooManyRequests
			d.Notice = "Too many comments from here. Please wait a minute and try again."
		default:
			s.writeError(w, r, err)
			return
		}
		p.render(w, r, site, d, sub.ParentID, status)
		return
	}
	c := res.Comment
	s.metrics.submissions.WithLabelValues(string(c.Status)).Inc()
	flag := url.Values{"posted": {"1"}}
	if c.Status != comment.StatusApproved {
		flag = url.Values{"held": {"1"}} // never tell the submitter it was judged spam
	}
	http.Redirect(w, r, pageURL(site.ID, sub.Thread, flag)+"#winnow-comment-"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}
