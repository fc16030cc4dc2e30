package main

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/email/emailtest"
)

// withMail points env at a test SMTP server, with sweeps and polls short enough for
// a test, and returns the server.
func withMail(t *testing.T, env map[string]string) *emailtest.Server {
	srv := emailtest.Start(t, "", "")
	env["WINNOW_SMTP_HOST"] = "127.0.0.1"
	env["WINNOW_SMTP_PORT"] = strconv.Itoa(srv.Port())
	env["WINNOW_SMTP_TLS"] = "none" // STARTTLS with a test certificate: internal/email's tests
	env["WINNOW_SMTP_FROM"] = "Winnow <winnow@example.org>"
	env["WINNOW_SMTP_POLL_INTERVAL"] = "50ms"
	env["WINNOW_NOTIFICATIONS_SWEEP_INTERVAL"] = "100ms"
	return srv
}

// mailText is a message's text/plain body, decoded from quoted-printable.
func mailText(t *testing.T, m emailtest.Message) string {
	t.Helper()
	if !strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		return m.Body
	}
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Body)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var moderateLinkRe = regexp.MustCompile(`http://[^/\s]+(/mail/moderate\?t=\S+)`)

// TestModeratorMailJourney: a comment waits; its moderator's mail arrives at the SMTP
// server; the mail's approve link opens a page that changes nothing; its POST
// publishes the comment; the link does nothing a second time.
func TestModeratorMailJourney(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		smtp := withMail(t, env)
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "all"})
		in.do(req{method: "POST", path: "/api/v1/admin/users", token: in.token,
			body: map[string]any{"email": "mod@example.org", "role": "moderator", "sites": []string{"blog"}}}).must(t, http.StatusCreated)

		in.submit("blog", submission("/hello", map[string]any{"body": "Waiting for a moderator, please.",
			"author_email": "private-reader@example.net"}), nil).must(t, http.StatusAccepted)

		msg := smtp.WaitFor(1, 20*time.Second)[0]
		if len(msg.To) != 1 || msg.To[0] != "mod@example.org" || !strings.Contains(msg.Header.Get("Subject"), "1 comment waits") {
			t.Fatalf("mail to %v, subject %q", msg.To, msg.Header.Get("Subject"))
		}
		body := mailText(t, msg)
		if !strings.Contains(body, "Waiting for a moderator, please.") || strings.Contains(body, "private-reader") {
			t.Errorf("mail body:\n%s", body)
		}
		links := moderateLinkRe.FindAllStringSubmatch(body, -1)
		if len(links) != 2 {
			t.Fatalf("want an approve and a spam link, found %d in:\n%s", len(links), body)
		}
		approve := links[0][1]

		// The link opens a confirmation page: a scanner that follows it decides nothing.
		page := in.do(req{method: "GET", path: approve}).must(t, http.StatusOK)
		if !strings.Contains(string(page.body), "Approve this comment?") || !strings.Contains(string(page.body), `method="post"`) {
			t.Errorf("confirmation page:\n%s", page.body)
		}
		if strings.Contains(string(page.body), "private-reader") {
			t.Error("the confirmation page shows the commenter's address")
		}
		thread := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/hello"}).must(t, http.StatusOK).json(t)
		if n := len(list(thread, "comments")); n != 0 {
			t.Fatalf("opening the link published the comment (%d public)", n)
		}

		tok, err := url.ParseQuery(strings.TrimPrefix(approve, "/mail/moderate?"))
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"t": {tok.Get("t")}}.Encode()
		post := req{method: "POST", path: "/mail/moderate", body: form, ctype: "application/x-www-form-urlencoded"}
		done := in.do(post).must(t, http.StatusOK)
		if !strings.Contains(string(done.body), "Approved") {
			t.Errorf("after the POST:\n%s", done.body)
		}
		thread = in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/hello"}).must(t, http.StatusOK).json(t)
		if n := len(list(thread, "comments")); n != 1 {
			t.Errorf("%d public comments after approval by mail, want 1", n)
		}
		again := in.do(post)
		if again.status != http.StatusGone || !strings.Contains(string(again.body), "used already") {
			t.Errorf("second use: %d\n%s", again.status, again.body)
		}
		// The decision is in the audit log under the moderator's name, as if made in the dashboard.
		evs := in.do(req{method: "GET", path: "/api/v1/admin/events", token: in.token}).must(t, http.StatusOK).json(t)
		if e := list(evs, "events"); len(e) == 0 || !strings.Contains(e[0].(map[string]any)["actor"].(string), "mod@example.org") {
			t.Errorf("audit log %v", evs)
		}
		if n := len(smtp.Messages()); n != 1 {
			t.Errorf("%d mails, want the one", n)
		}
		in.stop()
		for _, line := range strings.Split(in.stderr.String(), "\n") {
			if strings.Contains(line, "mail") && (strings.Contains(line, "mod@example.org") || strings.Contains(line, "private-reader")) {
				t.Errorf("a log line names an address: %s", line)
			}
		}
	})
}
