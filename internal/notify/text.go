package notify

import (
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/site"
)

// moderatorText is the body of a moderator's mail. Mail is plain text: a comment's
// words are shown as written, which in HTML would be an attacker's markup.
var moderatorText = template.Must(template.New("moderator").Parse(`{{.Count}} waiting on {{.Site}}:
{{range .Comments}}
------------------------------------------------------------
{{.Author}} on {{.Page}}, {{.When}}
Spam score {{.Score}}{{if .Reasons}} ({{.Reasons}}){{end}}

{{.Text}}

Approve:   {{.Approve}}
Mark spam: {{.Spam}}
{{end}}
------------------------------------------------------------
Each link opens a page that asks you to confirm, works once, and
only until {{.Expires}}.

The queue: {{.Queue}}
How often these mails come (at once, hourly, never), per site:
{{.Settings}}
`))

type listedComment struct {
	Author, Page, When, Score, Reasons, Text, Approve, Spam string
}

// excerpt is at most n runes of text, cut at a word where it can be.
func excerpt(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)[:n]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \n"); i > n/2 {
		cut = cut[:i]
	}
	return cut + " …"
}

// quote indents every line of text as a mail quote.
func quote(text string) string {
	return "> " + strings.ReplaceAll(text, "\n", "\n> ")
}

// linkURL is the page a signed link opens.
func (s *Service) linkURL(path string, l Link) string {
	return s.opts.BaseURL + path + "?t=" + url.QueryEscape(signLink(s.opts.Secret, l))
}

// moderatorMail is the mail telling u of the waiting comments cs on site.
func (s *Service) moderatorMail(u auth.User, ws site.Site, cs []comment.Comment, now time.Time) (email.Mail, error) {
	expires := now.Add(LinkLife).Truncate(time.Second)
	data := struct {
		Count, Site, Expires, Queue, Settings string
		Comments                              []listedComment
	}{
		Site: siteName(ws), Expires: expires.Format("Mon 2 Jan 2006 15:04 MST"),
		Queue:    s.opts.BaseURL + "/admin/?site=" + url.QueryEscape(ws.ID) + "&status=pending",
		Settings: s.opts.BaseURL + "/admin/mail",
	}
	if len(cs) == 1 {
		data.Count = "1 comment is"
	} else {
		data.Count = fmt.Sprintf("%d comments are", len(cs))
	}
	for _, c := range cs {
		// The page is named by its key, the site's own; a title is what the comment
		// claims (held comments may make one up) and is marked as such, since it sits
		// above links a moderator trusts.
		page := fmt.Sprintf("%q", c.ThreadKey)
		if c.PageTitle != "" {
			page += fmt.Sprintf(" (the comment calls it %q)", c.PageTitle)
		}
		lc := listedComment{
			Author: c.AuthorName, Page: page, When: c.CreatedAt.UTC().Format("2 Jan 15:04 MST"),
			Score: fmt.Sprintf("%.2f", c.Score), Reasons: strings.Join(c.Reasons, ", "),
			Text:    quote(excerpt(c.BodySource, 600)),
			Approve: s.linkURL("/mail/moderate", Link{Purpose: "approve", Subject: c.ID, Account: u.ID, Expires: expires}),
			Spam:    s.linkURL("/mail/moderate", Link{Purpose: "spam", Subject: c.ID, Account: u.ID, Expires: expires}),
		}
		data.Comments = append(data.Comments, lc)
	}
	var b strings.Builder
	if err := moderatorText.Execute(&b, data); err != nil {
		return email.Mail{}, fmt.Errorf("notify: moderator mail: %w", err)
	}
	subject := fmt.Sprintf("[%s] %d comment waits for moderation", siteName(ws), len(cs))
	if len(cs) > 1 {
		subject = fmt.Sprintf("[%s] %d comments wait for moderation", siteName(ws), len(cs))
	}
	return email.Mail{Kind: email.KindModerator, To: u.Email, MessageID: email.NewMessageID(s.opts.From),
		Subject: subject, Body: b.String(), CreatedAt: now}, nil
}

func siteName(ws site.Site) string {
	if ws.Name != "" {
		return ws.Name
	}
	return ws.ID
}
