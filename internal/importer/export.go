package importer

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// ExportVersion is the version of winnow's export format (docs/export-format.md). A
// reader refuses a file of a later version than it knows.
const ExportVersion = 1

// exportPage is how many threads or comments an export reads at a time.
const exportPage = 500

// ExportStore is what an export reads (sqlstore.Store).
type ExportStore interface {
	Site(ctx context.Context, id string) (site.Site, error)
	// SiteThreads pages through a site's threads by id.
	SiteThreads(ctx context.Context, siteID string, after int64, limit int) ([]comment.Thread, error)
	// SiteComments pages through a site's comments in every status by id, those of
	// one thread when threadID is not 0.
	SiteComments(ctx context.Context, siteID string, threadID, after int64, limit int) ([]comment.Comment, error)
}

// ExportRequest is one export. Private adds the authors' email addresses, IP
// addresses and user agents: only an admin's export holds them.
type ExportRequest struct {
	Site    string
	Format  Format
	Private bool
}

// Exporter writes a site's threads and comments out.
type Exporter struct {
	store ExportStore
	now   func() time.Time
}

// NewExporter returns the export service.
func NewExporter(store ExportStore, now func() time.Time) *Exporter {
	return &Exporter{store: store, now: now}
}

// Check validates the request's choices, naming the field that is wrong.
func (req ExportRequest) Check() error {
	if req.Format != FormatWinnow && req.Format != FormatWXR {
		return comment.Invalid("format", fmt.Sprintf("%q: winnow exports winnow or wxr", req.Format))
	}
	if req.Site == "" {
		return comment.Invalid("site", "required")
	}
	return nil
}

// Prepare checks the request and that its site exists, before anything is written:
// a transport answers an error with a status only while it has written nothing.
func (x *Exporter) Prepare(ctx context.Context, req ExportRequest) (site.Site, error) {
	if err := req.Check(); err != nil {
		return site.Site{}, err
	}
	target, err := x.store.Site(ctx, req.Site)
	if errors.Is(err, comment.ErrNotFound) {
		return site.Site{}, fmt.Errorf("export: no site %q: %w", req.Site, comment.ErrNotFound)
	}
	return target, err
}

// Export writes every thread and comment of the request's site to w, page by page,
// in the request's format.
func (x *Exporter) Export(ctx context.Context, req ExportRequest, w io.Writer) error {
	site, err := x.Prepare(ctx, req)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if req.Format == FormatWXR {
		err = x.wxr(ctx, site, req.Private, bw)
	} else {
		err = x.winnow(ctx, site, req.Private, bw)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// exportHeader is the first line of a winnow export.
type exportHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Site       string    `json:"site"`
	SiteName   string    `json:"site_name"`
	ExportedAt time.Time `json:"exported_at"`
	Private    bool      `json:"private"`
}

// exportEnd is the last line, which tells a complete file from one cut short.
type exportEnd struct {
	Type     string `json:"type"`
	Threads  int    `json:"threads"`
	Comments int    `json:"comments"`
}

// exportThread is a thread's line.
type exportThread struct {
	Type      string    `json:"type"`
	Key       string    `json:"key"`
	URL       string    `json:"url,omitempty"`
	Title     string    `json:"title,omitempty"`
	Locked    bool      `json:"locked,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// exportComment is a comment's line. The private fields are empty, and left out,
// in an export without them.
type exportComment struct {
	Type        string         `json:"type"`
	ID          int64          `json:"id"`
	Thread      string         `json:"thread"`
	ParentID    int64          `json:"parent_id,omitempty"`
	AuthorName  string         `json:"author_name"`
	AuthorEmail string         `json:"author_email,omitempty"`
	AuthorURL   string         `json:"author_url,omitempty"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	Body        string         `json:"body"`
	Status      comment.Status `json:"status"`
	CreatedAt   time.Time      `json:"created_at"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
}

func (x *Exporter) winnow(ctx context.Context, site site.Site, private bool, w *bufio.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: "winnow", Version: ExportVersion, Site: site.ID, SiteName: site.Name,
		ExportedAt: x.now().UTC().Truncate(time.Second), Private: private}); err != nil {
		return err
	}
	var end exportEnd
	err := x.threads(ctx, site.ID, func(t comment.Thread) error {
		end.Threads++
		return enc.Encode(exportThread{Type: "thread", Key: t.Key, URL: t.URL, Title: t.Title, Locked: t.Locked, CreatedAt: t.CreatedAt})
	})
	if err != nil {
		return err
	}
	err = x.comments(ctx, site.ID, 0, func(c comment.Comment) error {
		end.Comments++
		line := exportComment{Type: "comment", ID: c.ID, Thread: c.ThreadKey, ParentID: c.ParentID,
			AuthorName: c.AuthorName, AuthorURL: c.AuthorURL, Body: c.BodySource, Status: c.Status, CreatedAt: c.CreatedAt}
		if !c.PublishedAt.IsZero() {
			line.PublishedAt = &c.PublishedAt
		}
		if private {
			line.AuthorEmail, line.IP, line.UserAgent = c.AuthorEmail, c.IP, c.UserAgent
		}
		return enc.Encode(line)
	})
	if err != nil {
		return err
	}
	end.Type = "end"
	return enc.Encode(end)
}

func (x *Exporter) threads(ctx context.Context, siteID string, fn func(comment.Thread) error) error {
	var after int64
	for {
		ts, err := x.store.SiteThreads(ctx, siteID, after, exportPage)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, t := range ts {
			if err := fn(t); err != nil {
				return err
			}
			after = t.ID
		}
		if len(ts) < exportPage {
			return nil
		}
	}
}

func (x *Exporter) comments(ctx context.Context, siteID string, threadID int64, fn func(comment.Comment) error) error {
	var after int64
	for {
		cs, err := x.store.SiteComments(ctx, siteID, threadID, after, exportPage)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
			after = c.ID
		}
		if len(cs) < exportPage {
			return nil
		}
	}
}

// wxrStatus is the comment_approved value WordPress gives a status.
func wxrStatus(s comment.Status) string {
	switch s {
	case comment.StatusApproved:
		return "1"
	case comment.StatusPending:
		return "0"
	case comment.StatusSpam:
		return "spam"
	}
	return "trash"
}

// wxr writes a WordPress export (WXR 1.2) that WordPress's importer reads: one
// <item> per thread, its comments in it, their text as the HTML winnow shows.
func (x *Exporter) wxr(ctx context.Context, site site.Site, private bool, w *bufio.Writer) error {
	link := ""
	if len(site.Origins) > 0 {
		link = site.Origins[0]
	}
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- winnow export of site %s, %s -->\n", esc(site.ID), x.now().UTC().Format(time.RFC3339))
	w.WriteString(`<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">` + "\n<channel>\n")
	fmt.Fprintf(w, "<title>%s</title>\n<link>%s</link>\n<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>%s</wp:base_site_url>\n<wp:base_blog_url>%s</wp:base_blog_url>\n",
		esc(site.Name), esc(link), esc(link), esc(link))
	err := x.threads(ctx, site.ID, func(t comment.Thread) error {
		title, link := t.Title, t.URL
		if title == "" {
			title = t.Key
		}
		if link == "" && strings.HasPrefix(t.Key, "/") && len(site.Origins) > 0 {
			// A WordPress item needs a link, and importers take the key from its path.
			link = strings.TrimRight(site.Origins[0], "/") + t.Key
		}
		fmt.Fprintf(w, "<item>\n<title>%s</title>\n<link>%s</link>\n<guid isPermaLink=\"false\">%s</guid>\n<wp:post_id>%d</wp:post_id>\n<wp:post_name>%s</wp:post_name>\n<wp:post_date_gmt>%s</wp:post_date_gmt>\n<wp:comment_status>%s</wp:comment_status>\n<wp:status>publish</wp:status>\n<wp:post_type>post</wp:post_type>\n",
			esc(title), esc(link), esc(t.Key), t.ID, esc(t.Key), t.CreatedAt.UTC().Format(wxrDate), map[bool]string{true: "closed", false: "open"}[t.Locked])
		err := x.comments(ctx, site.ID, t.ID, func(c comment.Comment) error {
			email, ip, agent := "", "", ""
			if private {
				email, ip, agent = c.AuthorEmail, c.IP, c.UserAgent
			}
			_, err := fmt.Fprintf(w, "<wp:comment>\n<wp:comment_id>%d</wp:comment_id>\n<wp:comment_author>%s</wp:comment_author>\n<wp:comment_author_email>%s</wp:comment_author_email>\n<wp:comment_author_url>%s</wp:comment_author_url>\n<wp:comment_author_IP>%s</wp:comment_author_IP>\n<wp:comment_agent>%s</wp:comment_agent>\n<wp:comment_date>%s</wp:comment_date>\n<wp:comment_date_gmt>%s</wp:comment_date_gmt>\n<wp:comment_content>%s</wp:comment_content>\n<wp:comment_approved>%s</wp:comment_approved>\n<wp:comment_type>comment</wp:comment_type>\n<wp:comment_parent>%d</wp:comment_parent>\n<wp:comment_user_id>0</wp:comment_user_id>\n</wp:comment>\n",
				c.ID, esc(c.AuthorName), esc(email), esc(c.AuthorURL), esc(ip), esc(agent),
				c.CreatedAt.UTC().Format(wxrDate), c.CreatedAt.UTC().Format(wxrDate), esc(c.BodyHTML), wxrStatus(c.Status), c.ParentID)
			return err
		})
		if err != nil {
			return err
		}
		_, err = w.WriteString("</item>\n")
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("</channel>\n</rss>\n")
	return err
}

// esc escapes text for XML.
func esc(s string) string {
	var b xmlBuffer
	_ = xml.EscapeText(&b, []byte(s))
	return string(b)
}

type xmlBuffer []byte

func (b *xmlBuffer) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

// readWinnow reads winnow's own export: the header, then threads (kept by key, one
// small record per thread) and comments, one JSON object a line.
func readWinnow(ctx context.Context, r io.Reader, emit emitFunc) error {
	lines := newLineReader(r)
	first, err := lines.next()
	if err == io.EOF {
		return &StopError{Message: "not a winnow export: the file is empty"}
	}
	if err != nil {
		return &StopError{Message: "not a winnow export: " + err.Error()}
	}
	var h exportHeader
	if err := json.Unmarshal(first, &h); err != nil || h.Format != "winnow" {
		return &StopError{Message: `not a winnow export: the first line is not {"format":"winnow",...}`}
	}
	if h.Version < 1 || h.Version > ExportVersion {
		return &StopError{Message: fmt.Sprintf("a winnow export of version %d: this winnow reads version 1 to %d", h.Version, ExportVersion)}
	}
	threads := map[string]Page{}
	ended := false
	for {
		b, err := lines.next()
		if err == io.EOF && !ended {
			return &StopError{Line: lines.n, Message: `the file ends without its {"type":"end"} line: it was cut short`}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &StopError{Line: lines.n, Message: err.Error()}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &kind); err != nil {
			if err := emit(ctx, Entry{Line: lines.n, Err: fmt.Errorf("not a JSON object: %s", jsonProblem(err))}); err != nil {
				return err
			}
			continue
		}
		if ended {
			return &StopError{Line: lines.n, Message: `a line after the {"type":"end"} line`}
		}
		switch kind.Type {
		case "end":
			ended = true
		case "thread":
			var t exportThread
			if err := json.Unmarshal(b, &t); err != nil || t.Key == "" {
				if err := emit(ctx, Entry{Line: lines.n, Err: comment.Invalid("thread", "a thread line needs its key")}); err != nil {
					return err
				}
				continue
			}
			threads[t.Key] = Page{Key: t.Key, URL: t.URL, Title: t.Title, CreatedAt: t.CreatedAt}
		case "comment":
			var c exportComment
			e := Entry{Line: lines.n}
			if err := json.Unmarshal(b, &c); err != nil {
				e.Err = fmt.Errorf("a comment line that cannot be read: %s", jsonProblem(err))
			} else {
				e = c.entry(lines.n, threads)
			}
			if err := emit(ctx, e); err != nil {
				return err
			}
		default:
			if err := emit(ctx, Entry{Line: lines.n, Err: comment.Invalid("type", fmt.Sprintf("%q: want thread, comment or end", kind.Type))}); err != nil {
				return err
			}
		}
	}
}

func (c exportComment) entry(line int, threads map[string]Page) Entry {
	e := Entry{Line: line, SourceID: strconv.FormatInt(c.ID, 10), AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail,
		AuthorURL: c.AuthorURL, IP: c.IP, UserAgent: c.UserAgent, Body: c.Body, Status: c.Status, CreatedAt: c.CreatedAt}
	if c.ID <= 0 {
		e.SourceID = ""
	}
	if c.ParentID != 0 {
		e.ParentSourceID = strconv.FormatInt(c.ParentID, 10)
	}
	page, ok := threads[c.Thread]
	if !ok {
		page = Page{Key: c.Thread} // a thread without its line: the key is all there is
	}
	e.Thread = page
	if c.Thread == "" {
		e.Err = comment.Invalid("thread", "required")
	}
	return e
}

// jsonProblem says what is wrong with a JSON value without quoting it (it may hold
// an address).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: want a %s, not a %s", te.Field, te.Type, te.Value)
	}
	return "malformed JSON"
}

// lineReader reads a file line by line, each at most maxToken bytes, counting them.
type lineReader struct {
	r *bufio.Reader
	n int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line that is not blank, without its end.
func (l *lineReader) next() ([]byte, error) {
	for {
		var line []byte
		for {
			part, err := l.r.ReadSlice('\n')
			line = append(line, part...)
			if len(line) > maxToken {
				return nil, errTooLong
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF && len(line) > 0 {
				break
			}
			if err != nil {
				return nil, err
			}
			break
		}
		l.n++
		if t := trimLine(line); len(t) > 0 {
			return t, nil
		}
	}
}

func trimLine(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\xef' || b[0] == '\xbb' || b[0] == '\xbf') {
		b = b[1:]
	}
	return b
}
