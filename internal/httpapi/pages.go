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
	"github.com/winnow/winnow/web"
)

// pages serves what browsers load from winnow itself: the widget's files and the
// thread page that works without JavaScript.
type pages struct {
	s      *server
	assets *assets
	thread *template.Template
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
	}).ParseFS(web.Templates(), "thread.html"))}
	for _, name := range []string{"embed.js", "embed.css", "count.js"} {
		r.HandleFunc("/"+name, a.plain(name)).Methods(http.MethodGet, http.MethodHead)
	}
	r.HandleFunc("/static/{file}", a.static(s)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/t/{site}", p.threadPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/t/{site}", s.submitHandler(p)).Methods(http.MethodPost)
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
	if err != nil {
		p.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	d := threadData{Site: site.ID, Key: q.Get("thread"), Sort: q.Get("sort")}
	if !comment.ValidThreadKey(d.Key) {
		p.s.writeError(w, r, badRequest("invalid query", map[string]string{"thread": comment.ThreadKeyRule}))
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

// checkPost admits what the thread page's form posts: form-encoded, for a thread the
// page can be shown again for. The rest is the one submit handler's (submitHandler).
func (p *pages) checkPost(sub comment.Submission, form bool) error {
	if !form {
		return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", msg: "Content-Type must be application/x-www-form-urlencoded"}
	}
	if !comment.ValidThreadKey(sub.Thread) {
		return badRequest("invalid form", map[string]string{"thread": comment.ThreadKeyRule})
	}
	return nil
}

// refused shows the thread page again for a submission the pipeline refused for its
// input (the errors next to their fields, the text kept) or its rate, and reports
// whether it answered; any other error is left to the caller.
func (p *pages) refused(w http.ResponseWriter, r *http.Request, site comment.Site, sub comment.Submission, err error) bool {
	var ve *comment.ValidationError
	var rl *comment.RateLimitedError
	d := threadData{Site: site.ID, Key: sub.Thread, Values: sub, Errors: map[string]string{}}
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &ve):
		for k, v := range ve.Fields {
			if formField(k) {
				d.Errors[k] = v
			} else {
				d.Errors[""] = strings.TrimSpace(d.Errors[""] + " " + k + ": " + v + ".")
			}
		}
	case errors.As(err, &rl):
		setRateLimitHeaders(w.Header(), rl)
		status = http.StatusTooManyRequests
		d.Notice = "Too many comments from here. Please wait a minute and try again."
	default:
		return false
	}
	p.render(w, r, site, d, sub.ParentID, status)
	return true
}

// postedURL is where a stored submission from the thread page goes back to: the page,
// saying whether the comment is published or held (never that it was judged spam).
func (p *pages) postedURL(site comment.Site, sub comment.Submission, status comment.Status) string {
	flag := url.Values{"posted": {"1"}}
	if status != comment.StatusApproved {
		flag = url.Values{"held": {"1"}}
	}
	return pageURL(site.ID, sub.Thread, flag)
}
