package pages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/notify"
)

// MailLinks carries out the signed links in winnow's mails (notify.Service). Each
// link opens a page that changes nothing and asks for a POST: mail scanners and
// previews follow links, and must not approve a comment or end a subscription.
type MailLinks interface {
	// Decision is what a moderator's link would do; Decide does it, once.
	Decision(ctx context.Context, token string) (notify.Decision, error)
	Decide(ctx context.Context, token string) (notify.Decision, error)
}

// mailPage is the page a mail's link opens: a question and a button, or an outcome.
var mailPage = template.Must(template.New("mail").Funcs(template.FuncMap{
	// body_html is bluemonday's output, sanitized when the comment was stored.
	"trusted": func(h string) template.HTML { return template.HTML(h) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.CSS}}">
</head>
<body>
<main class="wn wn-auto">
<h1>{{.Title}}</h1>
{{if .Message}}<p class="wn-status" role="status">{{.Message}}</p>{{end}}
{{with .Comment}}
<article class="wn-comment">
<p><strong>{{.Author}}</strong> on {{.Page}} ({{.Site}})</p>
<p>Spam score {{.Score}}{{if .Reasons}}: {{.Reasons}}{{end}}</p>
<div class="wn-body">{{trusted .HTML}}</div>
</article>
{{end}}
{{if .Button}}
<form method="post" action="{{.Action}}">
{{if .Token}}<input type="hidden" name="t" value="{{.Token}}">{{end}}
{{if .Password}}<p class="wn-field"><label for="wn-password">New password <small>(at least {{.Password}} characters)</small></label>
<input type="password" id="wn-password" name="password" minlength="{{.Password}}" autocomplete="new-password" required></p>{{end}}
{{if .AskEmail}}<p class="wn-field"><label for="wn-email">Your account's email address</label>
<input type="email" id="wn-email" name="email" autocomplete="username" required></p>{{end}}
<button type="submit" class="wn-submit">{{.Button}}</button>
</form>
{{end}}
{{if .Next}}<p><a href="{{.Next}}">{{.NextText}}</a></p>{{end}}
</main>
</body>
</html>
`))

type mailPageData struct {
	Title, Message, CSS   string
	Button, Action, Token string
	// Password asks for a new password of at least that many characters; AskEmail
	// for an account's address.
	Password       int
	AskEmail       bool
	Next, NextText string
	Comment        *mailComment
}

// mailComment is what a moderator's page shows of a comment: its public words and
// the moderation signals, never the author's address.
type mailComment struct {
	Author, Page, Site, Score, Reasons string
	HTML                               string
}

func (p *Pages) mailPage(w http.ResponseWriter, r *http.Request, status int, d mailPageData) {
	d.CSS = p.assets.url("embed.css")
	httpx.WriteHTML(p.log, w, r, status, p.csp, func(buf *bytes.Buffer) error { return mailPage.Execute(buf, d) })
}

// verbs are the words of each moderator action on its page.
var verbs = map[string][3]string{
	"approve": {"Approve this comment?", "Approve", "Approved: the comment is published."},
	"spam":    {"Mark this comment as spam?", "Mark as spam", "Marked as spam: the comment stays hidden."},
}

// ModerateLink is GET /mail/moderate?t=TOKEN: the comment and one button.
func (p *Pages) ModerateLink(w http.ResponseWriter, r *http.Request) {
	if p.mail == nil {
		p.mailOff(w, r)
		return
	}
	token := r.URL.Query().Get("t")
	d, err := p.mail.Decision(r.Context(), token)
	if err != nil {
		p.mailRefused(w, r, d, err)
		return
	}
	v := verbs[string(d.Action)]
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: v[0], Button: v[1], Action: "/mail/moderate", Token: token, Comment: shown(d)})
}

// ModerateLinkPost is POST /mail/moderate: the decision, once. The token in the form
// is the credential; no cookie is involved, so no other site can make a browser use
// one it does not know.
func (p *Pages) ModerateLinkPost(w http.ResponseWriter, r *http.Request) {
	if p.mail == nil {
		p.mailOff(w, r)
		return
	}
	d, err := p.mail.Decide(r.Context(), r.PostFormValue("t"))
	if err != nil {
		p.mailRefused(w, r, d, err)
		return
	}
	v := verbs[string(d.Action)]
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: v[1], Message: v[2], Comment: shown(d)})
}

// mailOff answers a mail's link while this server sends no mail.
func (p *Pages) mailOff(w http.ResponseWriter, r *http.Request) {
	p.mailPage(w, r, http.StatusNotFound, mailPageData{Title: "Link not usable", Message: "This server sends no mail, so its mail links do nothing."})
}

// mailRefused answers a link that cannot do what it says, with why.
func (p *Pages) mailRefused(w http.ResponseWriter, r *http.Request, d notify.Decision, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; try again in a moment."
	switch {
	case errors.Is(err, notify.ErrLinkUsed):
		status, msg = http.StatusGone, "This link has been used already: each works once."
	case errors.Is(err, notify.ErrLinkExpired):
		status, msg = http.StatusGone, "This link has expired: links in mails work for 7 days. The comment is in the queue."
	case errors.Is(err, notify.ErrLinkRevoked):
		status, msg = http.StatusForbidden, "This link no longer works: the account it was sent to may not moderate this site any more."
	case errors.Is(err, notify.ErrDecided):
		status, msg = http.StatusConflict, "Someone has decided this comment already: it is now "+string(d.Comment.Status)+"."
	case errors.Is(err, notify.ErrLinkInvalid):
		status, msg = http.StatusNotFound, "This link is not valid. Copy the whole link from the mail."
	case errors.Is(err, comment.ErrNotFound):
		status, msg = http.StatusNotFound, "This comment no longer exists."
	default:
		p.log.Error("mail link", slog.String("error", err.Error()))
	}
	p.mailPage(w, r, status, mailPageData{Title: "Link not usable", Message: msg})
}

func shown(d notify.Decision) *mailComment {
	c := d.Comment
	page := c.PageTitle
	if page == "" {
		page = c.ThreadKey
	}
	site := d.Site.Name
	if site == "" {
		site = c.SiteID
	}
	return &mailComment{Author: c.AuthorName, Page: page, Site: site, Score: strconv.FormatFloat(c.Score, 'f', 2, 64),
		Reasons: strings.Join(c.Reasons, ", "), HTML: c.BodyHTML}
}

// SubscriptionLinks carries out readers' links (notify.Readers): the confirmation of
// reply mails (once) and the unsubscription (any number of times).
type SubscriptionLinks interface {
	CheckSubscriptionLink(ctx context.Context, token string) (notify.SubscriptionLink, error)
	FollowSubscriptionLink(ctx context.Context, token string) (notify.SubscriptionLink, error)
}

// subscriptionWords are the words of each reader link: question, button, outcome.
var subscriptionWords = map[string][3]string{
	"confirm":     {"Get reply mails from %s?", "Yes, mail me replies", "Confirmed: you will get a mail when someone replies to your comments on %s that asked for it."},
	"unsubscribe": {"Stop reply mails from %s?", "Stop these mails", "Done: %s will send you no more reply mails."},
}

// SubscriptionLink is GET /mail/confirm and GET /mail/unsubscribe: a question and a
// button; nothing changes until the POST.
func (p *Pages) SubscriptionLink(w http.ResponseWriter, r *http.Request) {
	if p.subs == nil {
		p.mailOff(w, r)
		return
	}
	token := r.URL.Query().Get("t")
	l, err := p.subs.CheckSubscriptionLink(r.Context(), token)
	if err != nil {
		p.subscriptionRefused(w, r, err)
		return
	}
	v := subscriptionWords[l.Purpose]
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: fmt.Sprintf(v[0], l.SiteName), Button: v[1], Action: r.URL.Path, Token: token})
}

// SubscriptionLinkPost is POST /mail/confirm and POST /mail/unsubscribe: the
// change. The token comes from the form, or from the query for a mail client's
// one-click unsubscribe (RFC 8058), which POSTs List-Unsubscribe=One-Click to the
// List-Unsubscribe URL itself.
func (p *Pages) SubscriptionLinkPost(w http.ResponseWriter, r *http.Request) {
	if p.subs == nil {
		p.mailOff(w, r)
		return
	}
	l, err := p.subs.FollowSubscriptionLink(r.Context(), r.FormValue("t"))
	if err != nil {
		p.subscriptionRefused(w, r, err)
		return
	}
	v := subscriptionWords[l.Purpose]
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: v[1], Message: fmt.Sprintf(v[2], l.SiteName)})
}

func (p *Pages) subscriptionRefused(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; try again in a moment."
	switch {
	case errors.Is(err, notify.ErrLinkUsed):
		status, msg = http.StatusGone, "This link has been used already."
	case errors.Is(err, notify.ErrLinkExpired):
		status, msg = http.StatusGone, "This link has expired. Tick the box again with your next comment to get a new one."
	case errors.Is(err, notify.ErrLinkRevoked):
		status, msg = http.StatusNotFound, "There is nothing to change: the address is no longer known here."
	case errors.Is(err, notify.ErrLinkInvalid):
		status, msg = http.StatusNotFound, "This link is not valid. Copy the whole link from the mail."
	default:
		p.log.Error("subscription link", slog.String("error", err.Error()))
	}
	p.mailPage(w, r, status, mailPageData{Title: "Link not usable", Message: msg})
}

// PasswordLinks carries out the links that set an account's password (notify.Service):
// a reset asked for on the sign-in page, or an admin's invitation.
type PasswordLinks interface {
	RequestReset(ctx context.Context, email string) error
	CheckPasswordLink(ctx context.Context, token string) error
	SetPasswordByLink(ctx context.Context, token, password string) error
}

// ResetRequest is GET /mail/reset: the form that asks for a reset mail.
func (p *Pages) ResetRequest(w http.ResponseWriter, r *http.Request) {
	if p.passwords == nil {
		p.mailOff(w, r)
		return
	}
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: "Forgot your password?", Message: "We mail the account a link to choose a new one.",
		Button: "Mail me a link", Action: "/mail/reset", AskEmail: true, Next: "/admin/login", NextText: "Back to sign in"})
}

// ResetRequestPost is POST /mail/reset: it says the same whether or not the address
// has an account, so that nobody learns which do.
func (p *Pages) ResetRequestPost(w http.ResponseWriter, r *http.Request) {
	if p.passwords == nil {
		p.mailOff(w, r)
		return
	}
	if err := p.passwords.RequestReset(r.Context(), r.PostFormValue("email")); err != nil {
		p.log.Error("password reset request", slog.String("error", err.Error()))
		p.mailPage(w, r, http.StatusInternalServerError, mailPageData{Title: "Forgot your password?", Message: "Something went wrong; try again in a moment."})
		return
	}
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: "Look in your mailbox",
		Message: "If an account has this address, a mail with a link to choose a new password is on its way. The link works for an hour.",
		Next:    "/admin/login", NextText: "Back to sign in"})
}

// PasswordLink is GET /mail/password?t=TOKEN: the form for the new password.
func (p *Pages) PasswordLink(w http.ResponseWriter, r *http.Request) {
	if p.passwords == nil {
		p.mailOff(w, r)
		return
	}
	token := r.URL.Query().Get("t")
	if err := p.passwords.CheckPasswordLink(r.Context(), token); err != nil {
		p.passwordRefused(w, r, err)
		return
	}
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: "Choose your password", Button: "Set password", Action: "/mail/password",
		Token: token, Password: notify.MinPassword})
}

// PasswordLinkPost is POST /mail/password: the new password, once.
func (p *Pages) PasswordLinkPost(w http.ResponseWriter, r *http.Request) {
	if p.passwords == nil {
		p.mailOff(w, r)
		return
	}
	token := r.PostFormValue("t")
	err := p.passwords.SetPasswordByLink(r.Context(), token, r.PostFormValue("password"))
	var ve *comment.ValidationError
	if errors.As(err, &ve) {
		p.mailPage(w, r, http.StatusUnprocessableEntity, mailPageData{Title: "Choose your password", Message: ve.Fields["password"],
			Button: "Set password", Action: "/mail/password", Token: token, Password: notify.MinPassword})
		return
	}
	if err != nil {
		p.passwordRefused(w, r, err)
		return
	}
	p.mailPage(w, r, http.StatusOK, mailPageData{Title: "Password set", Message: "Your password is set, and every other sign-in has ended.",
		Next: "/admin/login", NextText: "Sign in"})
}

func (p *Pages) passwordRefused(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; try again in a moment."
	switch {
	case errors.Is(err, notify.ErrLinkUsed):
		status, msg = http.StatusGone, "This link has been used already, or the password changed since it was sent."
	case errors.Is(err, notify.ErrLinkExpired):
		status, msg = http.StatusGone, "This link has expired. Ask for a new one from the sign-in page."
	case errors.Is(err, notify.ErrLinkRevoked):
		status, msg = http.StatusForbidden, "This account cannot sign in any more."
	case errors.Is(err, notify.ErrLinkInvalid):
		status, msg = http.StatusNotFound, "This link is not valid. Copy the whole link from the mail."
	default:
		p.log.Error("password link", slog.String("error", err.Error()))
	}
	p.mailPage(w, r, status, mailPageData{Title: "Link not usable", Message: msg, Next: "/mail/reset", NextText: "Ask for a new link"})
}
