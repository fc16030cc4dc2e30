// Package importer brings comments from other systems' exports into a site, and
// takes a site's comments out again (Export). An imported comment keeps the status,
// nesting and date it had where it came from, so it does not pass through the submit
// pipeline (intake): it is not rate-limited, scored or decided on, sent to webhooks,
// nor, unless asked, learned by the spam model. It is held to the submit path's
// rules all the same: comment.Submission's validation and the one sanitizer
// (sanitize.Render), not copies of them.
//
// Files are read as streams (encoding/xml tokens, one JSON value at a time) and
// written in batches, so a file of any size imports in bounded memory. A reply read
// before its parent is linked to it in a second pass over the ids the store recorded,
// not by holding the file; the recorded source ids also make a second import of the
// same file add nothing. An entry that breaks a rule is reported with its line and
// skipped; with Strict the file is read once to check every entry before anything is
// written, and nothing is written if one is refused.
package importer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// Format names the kind of file an import reads or an export writes.
type Format string

// The formats winnow reads. Export writes FormatWinnow and FormatWXR.
const (
	FormatWXR      Format = "wxr"      // WordPress eXtended RSS, WordPress's own export
	FormatDisqus   Format = "disqus"   // the Disqus XML export
	FormatRemark42 Format = "remark42" // a Remark42 backup (JSON, one comment a line)
	FormatCommento Format = "commento" // a Commento JSON export
	FormatWinnow   Format = "winnow"   // winnow's own export (docs/export-format.md)
)

// Formats lists the formats Import reads, for messages and flags.
var Formats = []Format{FormatWXR, FormatDisqus, FormatRemark42, FormatCommento, FormatWinnow}

// ThreadKey says what of a page an export names becomes the winnow thread key: the
// page's whole URL, its path (with the query, if any), or the id the old system gave
// the page. The widget's data-thread must then say the same (README, "Import and
// export").
type ThreadKey string

// The thread key choices. KeyPath is the default.
const (
	KeyURL  ThreadKey = "url"
	KeyPath ThreadKey = "path"
	KeyID   ThreadKey = "id"
)

// DefaultName is the author name of an imported comment whose export names nobody
// (an anonymous WordPress comment): a comment needs one to be shown.
const DefaultName = "Anonymous"

// batchSize is how many comments one write transaction stores: large enough that a
// transaction's cost is spread, small enough that a server sharing the database (the
// one SQLite writer) waits little for each.
const batchSize = 500

// maxProblems bounds the problems a report lists; the rest are counted.
const maxProblems = 1000

// futureSlack is how far ahead of the clock an imported date may be: a server whose
// clock or time zone is a little off must not lose its comments, a date years ahead
// is a broken entry.
const futureSlack = 24 * time.Hour

// Store is what an import needs from storage (sqlstore.Store).
type Store interface {
	Site(ctx context.Context, id string) (site.Site, error)
	// ImportComments stores a batch in one transaction, with the record of each
	// comment's source id, and says what became of each (comment.ImportOutcome).
	ImportComments(ctx context.Context, run string, batch []comment.Imported) ([]comment.ImportOutcome, error)
	// ImportedReplies pages through the replies run stored, after a comment id,
	// with their parents as the site's earlier imports of source know them.
	ImportedReplies(ctx context.Context, siteID, source, run string, after int64, limit int) ([]comment.ImportedReply, error)
	// LinkReplies sets parents: comment id -> parent id.
	LinkReplies(ctx context.Context, links map[int64]int64) error
}

// Learner teaches the spam model (spam.Model) with Request.Learn.
type Learner interface {
	LearnComment(ctx context.Context, c comment.Comment, label string) error
}

// Service imports files into sites.
type Service struct {
	store     Store
	learner   Learner
	sanitizer *sanitize.Sanitizer
	secret    []byte
	v6bits    int
	now       func() time.Time
}

// New returns the import service. secret is the installation secret that keys the
// author, address and avatar hashes, and v6bits the IPv6 prefix that is one client,
// as for submissions; learner may be nil when no import asks to learn.
func New(store Store, learner Learner, sanitizer *sanitize.Sanitizer, secret []byte, v6bits int, now func() time.Time) *Service {
	return &Service{store: store, learner: learner, sanitizer: sanitizer, secret: secret, v6bits: v6bits, now: now}
}

// Request is one import.
type Request struct {
	Site      string
	Format    Format
	ThreadKey ThreadKey
	// Strict reads the file twice: once to check every entry, writing nothing, and
	// once to write, only if no entry was refused.
	Strict bool
	// Learn teaches the site's spam model from the imported spam and published
	// comments, as if a moderator had marked them.
	Learn bool
	// Open opens the file; it is called once, twice with Strict, and some formats
	// read it twice themselves (Commento's authors follow its comments).
	Open func() (io.ReadCloser, error)
}

// Problem is one entry an import refused (Skipped) or changed to take it (a field
// dropped, a reply put at the top level). It names the entry by its line in the file
// and its id there, and the field; it never holds the entry's private data.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	ID      string `json:"id,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Skipped bool   `json:"skipped"`
}

// String is the problem as one line of a report.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.ID != "" {
		fmt.Fprintf(&b, "entry %s: ", p.ID)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	if p.Skipped {
		b.WriteString(" (skipped)")
	} else {
		b.WriteString(" (imported)")
	}
	return b.String()
}

// Report says what an import did: how many entries it read, stored, found imported
// before, refused, and why. Complete is false when the file could not be read to its
// end (Stopped says where and why): what came before was imported, unless Strict.
type Report struct {
	Site      string                 `json:"site"`
	Format    Format                 `json:"format"`
	ThreadKey ThreadKey              `json:"thread_key"`
	Strict    bool                   `json:"strict"`
	Read      int                    `json:"read"`
	Imported  int                    `json:"imported"`
	Existing  int                    `json:"already_imported"`
	Skipped   int                    `json:"skipped"`
	Ignored   int                    `json:"ignored"`
	ByStatus  map[comment.Status]int `json:"by_status"`
	Threads   int                    `json:"threads"`
	Replies   int                    `json:"replies_linked"`
	Learned   int                    `json:"learned"`
	Complete  bool                   `json:"complete"`
	Stopped   string                 `json:"stopped,omitempty"`
	// Aborted is true when Strict found a refused entry or an unreadable file and
	// wrote nothing.
	Aborted         bool      `json:"aborted"`
	Problems        []Problem `json:"problems"`
	ProblemsOmitted int       `json:"problems_omitted,omitempty"`
}

// problem lists p; a skipped entry is counted by its caller, once however many
// problems it has.
func (r *Report) problem(p Problem) {
	if len(r.Problems) >= maxProblems {
		r.ProblemsOmitted++
		return
	}
	r.Problems = append(r.Problems, p)
}

// Check validates the request's choices, naming the field that is wrong.
func (req *Request) Check() error {
	if req.ThreadKey == "" {
		req.ThreadKey = KeyPath
	}
	switch req.Format {
	case FormatWXR, FormatDisqus, FormatRemark42, FormatCommento, FormatWinnow:
	default:
		return comment.Invalid("format", fmt.Sprintf("%q is not a format winnow imports: use one of %s", req.Format, formatList()))
	}
	switch req.ThreadKey {
	case KeyURL, KeyPath, KeyID:
	default:
		return comment.Invalid("thread_key", fmt.Sprintf("%q: use url, path or id", req.ThreadKey))
	}
	if req.Site == "" {
		return comment.Invalid("site", "required")
	}
	if req.Open == nil {
		return comment.Invalid("file", "required")
	}
	return nil
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// Import reads req's file into its site and reports what it did. The error is for
// what stops the whole import before it writes (a wrong choice, an unknown site, a
// file of another format) or a store failure; a file that breaks off midway gives a
// report that says so (Complete false), with what came before imported unless Strict.
func (s *Service) Import(ctx context.Context, req Request) (Report, error) {
	if err := req.Check(); err != nil {
		return Report{}, err
	}
	site, err := s.store.Site(ctx, req.Site)
	if errors.Is(err, comment.ErrNotFound) {
		return Report{}, fmt.Errorf("import: no site %q: %w", req.Site, comment.ErrNotFound)
	} else if err != nil {
		return Report{}, fmt.Errorf("import: %w", err)
	}
	if req.Strict {
		check, err := s.pass(ctx, site, req, false)
		if err != nil {
			return Report{}, err
		}
		if check.Skipped > 0 || !check.Complete {
			check.Aborted = true
			return check, nil
		}
	}
	return s.pass(ctx, site, req, true)
}

// pass reads the file once: checking every entry, and writing with write.
func (s *Service) pass(ctx context.Context, site site.Site, req Request, write bool) (Report, error) {
	rep := Report{Site: site.ID, Format: req.Format, ThreadKey: req.ThreadKey, Strict: req.Strict,
		ByStatus: map[comment.Status]int{}, Problems: []Problem{}}
	p := &pipeline{s: s, site: site, req: req, rep: &rep, write: write, now: s.now().UTC().Truncate(time.Microsecond),
		threads: map[string]bool{}, urlWarned: map[string]bool{}, seed: maphash.MakeSeed()}
	if write {
		p.run = rand.Text()
	} else {
		p.seen = map[uint64]int{}
	}
	err := read(ctx, req.Format, req.Open, p.entry)
	var stop *StopError
	switch {
	case errors.As(err, &stop) && stop.Line == 0 && rep.Read == 0:
		// Nothing read: the file is not what the format flag says, or not readable.
		return Report{}, comment.Invalid("file", stop.Error())
	case errors.As(err, &stop):
		rep.Stopped = stop.Error()
	case err != nil && write && rep.Imported > 0:
		return Report{}, fmt.Errorf("import stopped after %d comments were stored (importing the file again adds only the rest): %w", rep.Imported, err)
	case err != nil:
		return Report{}, err
	default:
		if rep.Read == 0 && rep.Ignored == 0 {
			return Report{}, comment.Invalid("file", fmt.Sprintf("no comments found: is it a %s file?", req.Format))
		}
		rep.Complete = true
	}
	if err := p.flush(ctx); err != nil {
		return Report{}, err
	}
	if write {
		if err := p.link(ctx); err != nil {
			return Report{}, err
		}
	}
	rep.Threads = len(p.threads)
	// In file order: the second pass and the batches find some problems later.
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int { return a.Line - b.Line })
	return rep, nil
}

// StopError is a file that cannot be read on from Line (0: from its start): what
// broke and where.
type StopError struct {
	Line    int
	Message string
}

func (e *StopError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

// pipeline is one pass's state: the batch being filled and what identifies the
// entries seen, bounded by the number of threads (never by the number of comments,
// but for the ids a check pass remembers to find duplicates: 8 bytes each).
type pipeline struct {
	s         *Service
	site      site.Site
	req       Request
	rep       *Report
	write     bool
	run       string
	now       time.Time
	batch     []comment.Imported
	threads   map[string]bool
	urlWarned map[string]bool
	seen      map[uint64]int // check pass: hash of a source id -> its line
	seed      maphash.Seed
}

// entry takes one entry as a reader read it.
func (p *pipeline) entry(ctx context.Context, e Entry) error {
	if e.Ignore {
		p.rep.Ignored++
		return nil
	}
	p.rep.Read++
	in, err := p.convert(e)
	if err != nil {
		p.refuse(e, err)
		return nil
	}
	if !p.write {
		h := maphash.String(p.seed, e.SourceID)
		if first, dup := p.seen[h]; dup {
			p.rep.Skipped++
			p.rep.problem(Problem{Line: e.Line, ID: e.SourceID, Field: "id", Message: fmt.Sprintf("a second entry with this id (the first is at line %d)", first), Skipped: true})
			return nil
		}
		p.seen[h] = e.Line
		p.counted(in)
		return nil
	}
	p.batch = append(p.batch, in)
	if len(p.batch) >= batchSize {
		return p.flush(ctx)
	}
	return nil
}

// counted adds an entry that is (or, checking, would be) stored to the report.
func (p *pipeline) counted(in comment.Imported) {
	p.rep.Imported++
	p.rep.ByStatus[in.Comment.Status]++
	p.threads[in.Thread.Key] = true
}

// refuse reports an entry that is skipped: one problem per wrong field, one entry
// skipped however many.
func (p *pipeline) refuse(e Entry, err error) {
	p.rep.Skipped++
	var ve *comment.ValidationError
	if !errors.As(err, &ve) {
		p.rep.problem(Problem{Line: e.Line, ID: e.SourceID, Message: err.Error(), Skipped: true})
		return
	}
	for _, f := range sortedFields(ve) {
		p.rep.problem(Problem{Line: e.Line, ID: e.SourceID, Field: f, Message: ve.Fields[f], Skipped: true})
	}
}

// flush writes the batch, and teaches the spam model from it when asked.
func (p *pipeline) flush(ctx context.Context) error {
	if len(p.batch) == 0 || !p.write {
		return nil
	}
	out, err := p.s.store.ImportComments(ctx, p.run, p.batch)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for i, o := range out {
		in := p.batch[i]
		switch {
		case o.Existing:
			p.rep.Existing++
		case o.DuplicateOf > 0:
			p.rep.Skipped++
			p.rep.problem(Problem{Line: in.Line, ID: in.SourceID, Field: "id", Message: fmt.Sprintf("a second entry with this id (the first is at line %d)", o.DuplicateOf), Skipped: true})
		default:
			p.counted(in)
			if err := p.learn(ctx, in.Comment); err != nil {
				return err
			}
		}
	}
	p.batch = p.batch[:0]
	return nil
}

// learn teaches the site's model what an imported comment's status says, with Learn.
func (p *pipeline) learn(ctx context.Context, c comment.Comment) error {
	if !p.req.Learn || p.s.learner == nil {
		return nil
	}
	label := ""
	switch c.Status {
	case comment.StatusSpam:
		label = spam.LabelSpam
	case comment.StatusApproved:
		label = spam.LabelHam
	default:
		return nil
	}
	if err := p.s.learner.LearnComment(ctx, c, label); err != nil {
		return fmt.Errorf("import: learn: %w", err)
	}
	p.rep.Learned++
	return nil
}

// linkPage is how many replies the second pass reads at a time.
const linkPage = 1000

// link is the second pass: every reply this run stored gets its parent, wherever in
// the file (or in an earlier import of the same source) the parent was; a reply
// whose parent is nowhere, or in another thread, stays at the top level, reported.
func (p *pipeline) link(ctx context.Context) error {
	var after int64
	for {
		rs, err := p.s.store.ImportedReplies(ctx, p.site.ID, string(p.req.Format), p.run, after, linkPage)
		if err != nil {
			return fmt.Errorf("import: replies: %w", err)
		}
		links := map[int64]int64{}
		for _, r := range rs {
			after = r.CommentID
			switch {
			case r.ParentID == 0:
				p.rep.problem(Problem{Line: r.Line, ID: r.SourceID, Field: "parent", Message: fmt.Sprintf("no comment %s in the file or imported before: kept at the top level", r.ParentSourceID)})
			case r.ParentThreadID != r.ThreadID:
				p.rep.problem(Problem{Line: r.Line, ID: r.SourceID, Field: "parent", Message: fmt.Sprintf("comment %s is on another page: kept at the top level", r.ParentSourceID)})
			case r.ParentID == r.CommentID:
				p.rep.problem(Problem{Line: r.Line, ID: r.SourceID, Field: "parent", Message: "a reply to itself: kept at the top level"})
			default:
				links[r.CommentID] = r.ParentID
			}
		}
		if err := p.s.store.LinkReplies(ctx, links); err != nil {
			return fmt.Errorf("import: replies: %w", err)
		}
		p.rep.Replies += len(links)
		if len(rs) < linkPage {
			return nil
		}
	}
}

// optional are the fields an imported comment can do without: one that breaks its
// rule is dropped, with a word in the report, rather than losing the comment.
var optional = map[string]bool{"author_email": true, "author_url": true, "thread_url": true, "thread_title": true}

// convert holds an entry to the submit path's rules and builds the comment to store.
func (p *pipeline) convert(e Entry) (comment.Imported, error) {
	if e.Err != nil {
		return comment.Imported{}, e.Err
	}
	if e.SourceID == "" {
		return comment.Imported{}, comment.Invalid("id", "required: an entry without an id cannot be told apart from the others")
	}
	if !e.Status.Valid() {
		return comment.Imported{}, comment.Invalid("status", fmt.Sprintf("unknown status %q", e.Status))
	}
	if e.CreatedAt.IsZero() {
		return comment.Imported{}, comment.Invalid("date", "missing or not a date")
	}
	if e.CreatedAt.After(p.now.Add(futureSlack)) {
		return comment.Imported{}, comment.Invalid("date", fmt.Sprintf("%s is in the future", e.CreatedAt.UTC().Format(time.RFC3339)))
	}
	key, err := threadKey(e.Thread, p.req.ThreadKey)
	if err != nil {
		return comment.Imported{}, err
	}
	sub := comment.Submission{Thread: key, ThreadURL: e.Thread.URL, ThreadTitle: e.Thread.Title,
		AuthorName: e.AuthorName, AuthorEmail: e.AuthorEmail, AuthorURL: e.AuthorURL, Body: e.Body}
	sub.Normalize()
	if sub.AuthorName == "" {
		sub.AuthorName = DefaultName
	}
	err = sub.ValidateImported()
	var ve *comment.ValidationError
	if errors.As(err, &ve) {
		dropped := false
		for _, f := range sortedFields(ve) {
			if !optional[f] {
				continue
			}
			dropped = true
			if f == "thread_url" || f == "thread_title" {
				if p.urlWarned[f+"\x00"+key] {
					continue
				}
				p.urlWarned[f+"\x00"+key] = true
			}
			p.rep.problem(Problem{Line: e.Line, ID: e.SourceID, Field: f, Message: ve.Fields[f] + ": left out"})
			switch f {
			case "author_email":
				sub.AuthorEmail = ""
			case "author_url":
				sub.AuthorURL = ""
			case "thread_url":
				sub.ThreadURL = ""
			case "thread_title":
				sub.ThreadTitle = ""
			}
		}
		if dropped {
			err = sub.ValidateImported()
		}
	}
	if err != nil {
		return comment.Imported{}, err
	}
	if sub.ThreadURL != "" && len(p.site.Origins) > 0 && !p.site.AllowsURL(sub.ThreadURL) {
		if !p.urlWarned[key] {
			p.urlWarned[key] = true
			p.rep.problem(Problem{Line: e.Line, ID: e.SourceID, Field: "thread_url",
				Message: "not a page on one of the site's origins: the thread keeps no URL (add the origin to the site to keep it)"})
		}
		sub.ThreadURL = ""
	}
	rendered := p.s.sanitizer.Render(sub.Body)
	if err := comment.ValidateShown(rendered.Text); err != nil {
		return comment.Imported{}, err
	}
	ip := strings.TrimSpace(e.IP)
	if ip != "" {
		if a, err := netip.ParseAddr(ip); err != nil {
			ip = "" // an export's address field may hold anything; it is private and optional
		} else {
			ip = a.String()
		}
	}
	c := comment.Comment{
		SiteID: p.site.ID, ThreadKey: key,
		AuthorName: sub.AuthorName, AuthorEmail: sub.AuthorEmail, AuthorURL: sub.AuthorURL,
		IP: ip, UserAgent: comment.Truncate(strings.ToValidUTF8(e.UserAgent, ""), comment.MaxUserAgentLen),
		AddressKey: comment.AddressKey(p.s.secret, ip, p.s.v6bits),
		AvatarHash: comment.AvatarHash(p.s.secret, sub.AuthorEmail),
		BodySource: sub.Body, BodyHTML: rendered.HTML, Status: e.Status,
		Trained:   spam.LabelNone,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: p.now,
		PageURL: sub.ThreadURL, PageTitle: sub.ThreadTitle,
	}
	if c.CreatedAt.After(c.UpdatedAt) {
		c.UpdatedAt = c.CreatedAt
	}
	if sub.AuthorEmail != "" {
		// Reputation is kept by name and address together; without an address there
		// is nothing that tells one "Anonymous" from another.
		c.AuthorKey = comment.AuthorKey(p.s.secret, sub.AuthorName, sub.AuthorEmail)
		c.EmailKey = comment.EmailKey(p.s.secret, sub.AuthorEmail) // found by it for an erasure
	}
	if p.req.Learn {
		c.Trained = "" // learned after it is stored
	}
	if c.Status == comment.StatusApproved {
		c.PublishedAt = c.CreatedAt
	}
	thread := comment.Thread{SiteID: p.site.ID, Key: key, URL: sub.ThreadURL, Title: sub.ThreadTitle, CreatedAt: e.Thread.CreatedAt}
	return comment.Imported{Comment: c, Thread: thread, Source: string(p.req.Format),
		SourceID: e.SourceID, ParentSourceID: e.ParentSourceID, Line: e.Line}, nil
}

// threadKey is the key a page gets under choice k.
func threadKey(t Page, k ThreadKey) (string, error) {
	if t.Key != "" { // winnow's own export names its keys
		return t.Key, nil
	}
	switch k {
	case KeyID:
		if t.ID == "" {
			return "", comment.Invalid("thread", "the page has no id in the file (try --thread-key path)")
		}
		return t.ID, nil
	case KeyURL:
		if t.URL == "" {
			return "", comment.Invalid("thread", "the page has no URL in the file (try --thread-key id)")
		}
		return strings.TrimSpace(t.URL), nil
	}
	if t.URL == "" {
		return "", comment.Invalid("thread", "the page has no URL in the file to take a path from (try --thread-key id)")
	}
	u, err := url.Parse(strings.TrimSpace(t.URL))
	if err != nil {
		return "", comment.Invalid("thread", "the page's URL cannot be read (try --thread-key id)")
	}
	key := u.EscapedPath()
	if key == "" {
		key = "/"
	}
	if u.RawQuery != "" {
		key += "?" + u.RawQuery
	}
	return key, nil
}

func sortedFields(ve *comment.ValidationError) []string {
	return slices.Sorted(maps.Keys(ve.Fields))
}
