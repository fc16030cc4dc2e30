package comment

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on submitted fields, in characters (runes). They are generous for people and
// small enough that one comment cannot fill a disk.
const (
	MaxNameLen        = 100
	MaxEmailLen       = 254
	MaxURLLen         = 2048
	MaxBodyLen        = 10000
	MaxThreadKeyLen   = 512
	MaxThreadTitleLen = 300
	// MaxUserAgentLen bounds the stored user agent, in bytes; longer ones are cut.
	MaxUserAgentLen = 512
)

// Truncate cuts s to at most n bytes without splitting a character.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Submission is what a reader sends to post a comment, before anything is trusted.
type Submission struct {
	Thread      string `json:"thread"`
	ThreadURL   string `json:"thread_url"`
	ThreadTitle string `json:"thread_title"`
	ParentID    int64  `json:"parent_id"`
	AuthorName  string `json:"author_name"`
	AuthorEmail string `json:"author_email"`
	AuthorURL   string `json:"author_url"`
	Body        string `json:"body"`
	// Honeypot is the hidden decoy field "website": people never see it, bots fill it.
	Honeypot string `json:"website"`
	// FormToken is the signed token from GET /api/v1/sites/{site}/form.
	FormToken string `json:"form_token"`
	// NotifyReplies asks for a mail when a reply to this comment is published (the
	// "notify me of replies" box); the address is confirmed by mail first.
	NotifyReplies bool `json:"notify_replies"`
}

// Normalize trims surrounding space, puts free text in NFC and drops direction
// controls from the text shown as written (the body and the page title), and a
// title that shows nothing; it runs
// before Validate so that the stored text is what was validated. The thread key and
// the email are identifiers, compared as given: they are only trimmed.
func (s *Submission) Normalize() {
	s.Thread = strings.TrimSpace(s.Thread)
	s.ThreadURL = NormalizeLine(s.ThreadURL)
	s.ThreadTitle = normalizeText(s.ThreadTitle)
	if !hasVisible(s.ThreadTitle) {
		// A title is the page's claim, sent by the widget from document.title: one
		// that shows nothing is no title (the thread key stands in for it), not a
		// reason to refuse the reader's comment.
		s.ThreadTitle = ""
	}
	s.AuthorName = NormalizeLine(s.AuthorName)
	s.AuthorEmail = strings.TrimSpace(s.AuthorEmail)
	s.AuthorURL = WebsiteURL(NormalizeLine(s.AuthorURL))
	s.Body = NormalizeBody(s.Body)
}

// WebsiteURL completes what a reader typed in the Website field: people write
// "janes-blog.example" or "www.example.org/me", not "https://...", and a form that
// refuses it loses the comment's website or the comment. A value with a scheme
// ("http://", "mailto:", "javascript:") is left as it is, for Validate to judge, and
// so is anything whose host part has no dot (a name, a sentence, a path), which
// would not become a web address by prefixing it. The widget does the same
// (embed.js, withScheme), so a reader sees the stored address before posting.
func WebsiteURL(v string) string {
	switch {
	case v == "" || strings.Contains(v, "://"):
		return v
	case strings.HasPrefix(v, "//"):
		return "https:" + v
	case hasScheme(v):
		return v
	}
	host := v
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i] // a port
	}
	if !strings.Contains(host, ".") || strings.HasPrefix(host, ".") || strings.ContainsAny(host, " \t@") {
		return v
	}
	return "https://" + v
}

// hasScheme reports whether v starts with a URL scheme ("mailto:", "javascript:"),
// as opposed to a host and a port ("example.org:8080").
func hasScheme(v string) bool {
	for i, r := range v {
		switch {
		case r == ':':
			// A scheme's colon is not followed by a port number.
			return i > 0 && !(i+1 < len(v) && v[i+1] >= '0' && v[i+1] <= '9')
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return false
}

// NormalizeBody puts a comment text in the form it is validated, sanitized and stored
// in, whoever wrote it: canonical line endings, NFC, no direction controls
// (U+202A-U+202E, U+2066-U+2069), trimmed. A lone CR (classic Mac OS line ends, or a
// client that sends them) is a line end as the renderer reads it, not a control
// character that refuses the whole body.
func NormalizeBody(body string) string {
	if strings.IndexByte(body, '\r') >= 0 { // a Replacer copies even when nothing matches
		body = lineEnds.Replace(body)
	}
	return normalizeText(body)
}

var lineEnds = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// ValidateBody checks a normalized comment text alone, by the rules Validate applies
// to a submission's body, so a moderator's edit or reply is held to the same limits
// and answered with the same field error ("body").
func ValidateBody(body string) error {
	f := FieldErrors{}
	validateBody(f, body)
	return f.Err()
}

// ValidateShown checks what a valid body shows once rendered (its text without the
// markup, as the sanitizer reports it) by the rule its source is held to: it must
// show a visible character. Markup and character references can make visible source
// render as nothing ("&#8203;", "&#x3164;", "# ", "> ", "[](https://x.example)"), which
// would publish an empty-looking comment. Every path that renders a body (submission,
// author edit, moderator edit and reply) calls it after rendering.
func ValidateShown(text string) error {
	if !hasVisible(text) {
		return Invalid("body", "must contain a visible character")
	}
	return nil
}

func validateBody(f FieldErrors, body string) {
	CheckText(f, "body", body, MaxBodyLen, true)
	if _, bad := f["body"]; !bad && !hasVisible(body) {
		f.Add("body", "must contain a visible character")
	}
}

// Validate reports every wrong field at once.
func (s Submission) Validate() error { return s.validate(true) }

// ValidateImported is Validate for a comment read from another system's export (an
// importer): the same rules, but for the author's email, which an export may not hold
// (Disqus gives none for guests, WordPress none for pingbacks). An address that is
// there must still be valid.
func (s Submission) ValidateImported() error { return s.validate(false) }

func (s Submission) validate(requireEmail bool) error {
	f := FieldErrors{}
	CheckText(f, "thread", s.Thread, MaxThreadKeyLen, true)
	CheckText(f, "thread_title", s.ThreadTitle, MaxThreadTitleLen, false)
	CheckName(f, "author_name", s.AuthorName, MaxNameLen)
	CheckText(f, "author_email", s.AuthorEmail, MaxEmailLen, requireEmail)
	CheckText(f, "author_url", s.AuthorURL, MaxURLLen, false)
	CheckText(f, "thread_url", s.ThreadURL, MaxURLLen, false)
	validateBody(f, s.Body)
	CheckText(f, "form_token", s.FormToken, 200, false)
	// What names an author or a page is refused with direction controls, not
	// quietly changed: the text would no longer be what the author is known by.
	for field, v := range map[string]string{"thread": s.Thread,
		"author_email": s.AuthorEmail, "author_url": s.AuthorURL, "thread_url": s.ThreadURL} {
		if _, bad := f[field]; !bad && hasBidiControl(v) {
			f.Add(field, "must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)")
		}
	}
	if _, bad := f["author_email"]; !bad && (requireEmail || s.AuthorEmail != "") && !ValidEmail(s.AuthorEmail) {
		f.Add("author_email", "not a valid email address")
	}
	if _, bad := f["author_url"]; !bad && s.AuthorURL != "" && !webURL(s.AuthorURL) {
		f.Add("author_url", "must be an http or https URL")
	}
	if _, bad := f["thread_url"]; !bad && s.ThreadURL != "" && !webURL(s.ThreadURL) {
		f.Add("thread_url", "must be an http or https URL")
	}
	if s.ParentID < 0 {
		f.Add("parent_id", "must be a comment id")
	}
	return f.Err()
}

// ThreadKeyRule says what ValidThreadKey asks of a key, for an answer that names the field.
const ThreadKeyRule = "required, at most 512 characters"

// ValidThreadKey reports whether key can name a thread in a request that reads or
// shows one (a thread's comments, its page, a form posted from it): present, and at
// most MaxThreadKeyLen bytes, so an unbounded key never reaches a query or a page.
func ValidThreadKey(key string) bool {
	return key != "" && len(key) <= MaxThreadKeyLen
}

// text checks presence, encoding, control characters and length of one field.
// CheckText checks one free-text field: present when required, valid UTF-8, at most
// max characters, no control characters (a body may hold newlines and tabs).
func CheckText(f FieldErrors, field, v string, max int, required bool) {
	switch {
	case v == "" && required:
		f.Add(field, "required")
	case !utf8.ValidString(v):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		f.Add(field, "at most %d characters", max)
	case hasControl(v, field == "body"):
		f.Add(field, "contains control characters")
	}
}

func hasControl(v string, multiline bool) bool {
	for _, r := range v {
		if r == '\n' || r == '\t' {
			if multiline {
				continue
			}
			return true
		}
		// Line and paragraph separators (U+2028, U+2029) break a line as a newline
		// does: one-line fields refuse them; a body is text of many lines.
		if unicode.IsControl(r) || !multiline && (r == '\u2028' || r == '\u2029') {
			return true
		}
	}
	return false
}

// ValidEmail accepts a bare address (no display name) with a dotted domain.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// webURL accepts absolute http and https URLs with a host.
func webURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}
