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
}

// Normalize trims surrounding space and canonical line endings; it runs before Validate
// so that the stored text is what was validated.
func (s *Submission) Normalize() {
	s.Thread = strings.TrimSpace(s.Thread)
	s.ThreadURL = strings.TrimSpace(s.ThreadURL)
	s.ThreadTitle = strings.TrimSpace(s.ThreadTitle)
	s.AuthorName = strings.TrimSpace(s.AuthorName)
	s.AuthorEmail = strings.TrimSpace(s.AuthorEmail)
	s.AuthorURL = strings.TrimSpace(s.AuthorURL)
	s.Body = NormalizeBody(s.Body)
}

// NormalizeBody trims a comment text and makes its line endings canonical: the form it
// is validated, sanitized and stored in, whoever wrote it.
func NormalizeBody(body string) string {
	return strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
}

// ValidateBody checks a normalized comment text alone, by the rules Validate applies
// to a submission's body, so a moderator's edit or reply is held to the same limits
// and answered with the same field error ("body").
func ValidateBody(body string) error {
	f := fieldErrors{}
	text(f, "body", body, MaxBodyLen, true)
	return f.err()
}

// Validate reports every wrong field at once.
func (s Submission) Validate() error {
	f := fieldErrors{}
	text(f, "thread", s.Thread, MaxThreadKeyLen, true)
	text(f, "thread_title", s.ThreadTitle, MaxThreadTitleLen, false)
	text(f, "author_name", s.AuthorName, MaxNameLen, true)
	text(f, "author_email", s.AuthorEmail, MaxEmailLen, true)
	text(f, "author_url", s.AuthorURL, MaxURLLen, false)
	text(f, "thread_url", s.ThreadURL, MaxURLLen, false)
	text(f, "body", s.Body, MaxBodyLen, true)
	text(f, "form_token", s.FormToken, 200, false)
	if _, bad := f["author_email"]; !bad && !ValidEmail(s.AuthorEmail) {
		f.add("author_email", "not a valid email address")
	}
	if _, bad := f["author_url"]; !bad && s.AuthorURL != "" && !webURL(s.AuthorURL) {
		f.add("author_url", "must be an http or https URL")
	}
	if _, bad := f["thread_url"]; !bad && s.ThreadURL != "" && !webURL(s.ThreadURL) {
		f.add("thread_url", "must be an http or https URL")
	}
	if s.ParentID < 0 {
		f.add("parent_id", "must be a comment id")
	}
	return f.err()
}

// text checks presence, encoding, control characters and length of one field.
func text(f fieldErrors, field, v string, max int, required bool) {
	switch {
	case v == "" && required:
		f.add(field, "required")
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "at most %d characters", max)
	case hasControl(v, field == "body"):
		f.add(field, "contains control characters")
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
		if unicode.IsControl(r) {
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
