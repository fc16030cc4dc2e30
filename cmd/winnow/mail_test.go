package main

import (
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
		in.submit("blog", submission("/hello", map[string]any{"body": "Waiting for a moderator, please.",
			"author_email": "private-reader@example.net"}), nil).must(t, http.StatusAccepted)
		in.submit("blog", submission("/hello", map[string]any{"body": "A second one, for later."}), nil).must(t, http.StatusAccepted)
		// The moderator's account comes after both comments, so that one sweep finds both.
		mod := in.do(req{method: "POST", path: "/api/v1/admin/users", token: in.token,
			body: map[string]any{"email": "mod@example.org", "role": "moderator", "sites": []string{"blog"}}}).must(t, http.StatusCreated).json(t)

		msg := smtp.WaitFor(1, 20*time.Second)[0]
		if len(msg.To) != 1 || msg.To[0] != "mod@example.org" || !strings.Contains(msg.Header.Get("Subject"), "2 comments wait") {
			t.Fatalf("mail to %v, subject %q", msg.To, msg.Header.Get("Subject"))
		}
		body := mailText(t, msg)
		if !strings.Contains(body, "Waiting for a moderator, please.") || strings.Contains(body, "private-reader") {
			t.Errorf("mail body:\n%s", body)
		}
		links := moderateLinkRe.FindAllStringSubmatch(body, -1)
		if len(links) != 4 {
			t.Fatalf("want an approve and a spam link per comment, found %d in:\n%s", len(links), body)
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
		// A link that was not made here, or whose account lost the right, opens nothing.
		bad := in.do(req{method: "GET", path: "/mail/moderate?t=1.approve.1.1.9999999999.forged"})
		if bad.status != http.StatusNotFound || !strings.Contains(string(bad.body), "not valid") {
			t.Errorf("forged link: %d\n%s", bad.status, bad.body)
		}
		in.do(req{method: "PATCH", path: "/api/v1/admin/users/" + strconv.Itoa(int(num(mod, "user", "id"))), token: in.token,
			body: map[string]any{"disabled": true}}).must(t, http.StatusOK)
		revoked := in.do(req{method: "GET", path: links[3][1]})
		if revoked.status != http.StatusForbidden || !strings.Contains(string(revoked.body), "no longer works") {
			t.Errorf("link of a disabled account: %d\n%s", revoked.status, revoked.body)
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

var readerLinkRe = regexp.MustCompile(`http://[^/\s]+(/mail/confirm\?t=\S+)`)

// TestReaderReplyMailJourney: a reader ticks "notify me of replies"; the confirmation
// mail arrives; its page asks, and the POST confirms (once); a reply is published and
// its mail arrives with RFC 8058 one-click unsubscribe headers; the one-click POST
// ends the mails. Her address is in no public answer and no log line.
func TestReaderReplyMailJourney(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		smtp := withMail(t, env)
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		form := in.do(req{method: "GET", path: "/api/v1/sites/blog/form?thread=/hello"}).must(t, http.StatusOK).json(t)
		if form["notify_replies"] != true {
			t.Errorf("the form does not offer reply mails: %v", form)
		}
		if page := in.do(req{method: "GET", path: "/t/blog?thread=/hello"}).must(t, http.StatusOK); !strings.Contains(string(page.body), `name="notify_replies"`) {
			t.Error("the no-JS page has no reply-mail box")
		}

		first := in.submit("blog", submission("/hello", map[string]any{"author_name": "Ann", "author_email": "ann@example.net",
			"notify_replies": true}), nil).must(t, http.StatusCreated).json(t)
		parentID := num(first, "comment", "id")
		if strings.Contains(string(mustJSON(t, first)), "ann@example.net") {
			t.Error("the submit answer shows the address")
		}

		msg := smtp.WaitFor(1, 20*time.Second)[0]
		if msg.To[0] != "ann@example.net" || !strings.Contains(msg.Header.Get("Subject"), "Confirm") {
			t.Fatalf("first mail to %v: %q", msg.To, msg.Header.Get("Subject"))
		}
		link := readerLinkRe.FindStringSubmatch(mailText(t, msg))
		if link == nil {
			t.Fatalf("no confirmation link in:\n%s", mailText(t, msg))
		}
		if page := in.do(req{method: "GET", path: link[1]}).must(t, http.StatusOK); !strings.Contains(string(page.body), `method="post"`) {
			t.Errorf("confirmation page:\n%s", page.body)
		}
		q, _ := url.ParseQuery(strings.TrimPrefix(link[1], "/mail/confirm?"))
		confirm := req{method: "POST", path: "/mail/confirm", body: url.Values{"t": {q.Get("t")}}.Encode(), ctype: "application/x-www-form-urlencoded"}
		in.do(confirm).must(t, http.StatusOK)
		in.do(confirm).must(t, http.StatusGone)

		in.submit("blog", submission("/hello", map[string]any{"author_name": "Bob", "author_email": "bob@example.net",
			"parent_id": parentID, "body": "A reply from Bob."}), nil).must(t, http.StatusCreated)
		msgs := smtp.WaitFor(2, 20*time.Second)
		reply := msgs[1]
		if reply.To[0] != "ann@example.net" || !strings.Contains(mailText(t, reply), "A reply from Bob.") {
			t.Fatalf("reply mail to %v:\n%s", reply.To, mailText(t, reply))
		}
		unsub := reply.Header.Get("List-Unsubscribe")
		if reply.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(unsub, "<"+in.url+"/mail/unsubscribe?t=") {
			t.Fatalf("List-Unsubscribe %q, -Post %q", unsub, reply.Header.Get("List-Unsubscribe-Post"))
		}
		// A mail client's one-click unsubscribe: a POST to the header's URL, no page.
		oneClick := strings.TrimPrefix(strings.Trim(unsub, "<>"), in.url)
		in.do(req{method: "POST", path: oneClick, body: "List-Unsubscribe=One-Click", ctype: "application/x-www-form-urlencoded"}).must(t, http.StatusOK)

		in.submit("blog", submission("/hello", map[string]any{"author_name": "Carol", "author_email": "carol@example.net",
			"parent_id": parentID, "body": "Another reply."}), nil).must(t, http.StatusCreated)
		time.Sleep(3 * time.Second) // past the sweep's settling time and several sweeps
		if n := len(smtp.Messages()); n != 2 {
			t.Errorf("%d mails after unsubscribing, want the 2 before", n)
		}
		thread := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/hello"}).must(t, http.StatusOK)
		if strings.Contains(string(thread.body), "ann@example.net") || strings.Contains(string(thread.body), "notify") {
			t.Errorf("the public thread shows the address or the wish:\n%s", thread.body)
		}
		in.stop()
		if strings.Contains(in.stderr.String(), "ann@example.net") {
			t.Error("a log line names the reader's address")
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDashboardMail: an admin opens the Mail page from the header, sets hourly digests
// for every site and none for one site, and sends a test mail that the SMTP server
// receives; the page follows it until it is sent.
func TestDashboardMail(t *testing.T) {
	ctx := browser(t)
	env := map[string]string{"WINNOW_DATA_DIR": t.TempDir()}
	smtp := withMail(t, env)
	in := start(t, env)
	in.createSite("a", nil)
	in.createSite("b", nil)
	const pw = "mail settings admin password 3"
	if _, errOut, err := in.cli(pw+"\n", "user", "add", "--email", "root@example.org", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut)
	}
	dashboardLogin(t, ctx, in, "root@example.org", pw)
	clickAway(t, ctx, "#nav-mail")
	waitJS(t, ctx, "the mail page", `return location.pathname === "/admin/mail" && document.querySelector("#mail-form");`)
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#mail-form");
		f.elements.default.value = "hourly"; document.querySelector("#mail-site-b").value = "off";
		f.querySelector("button[type=submit]").click(); }`)
	waitJS(t, ctx, "the saved settings", `return document.querySelector("#mail-status").textContent === "Saved.";`)
	s := in.login(nil, "root@example.org", pw)
	got := in.do(req{method: "GET", path: "/api/v1/admin/account/mail", headers: s.headers(false)}).must(t, http.StatusOK).json(t)
	if got["default"] != "hourly" || got["sites"].(map[string]any)["b"] != "off" || got["sites"].(map[string]any)["a"] != nil {
		t.Errorf("saved settings %v", got)
	}
	in.do(req{method: "PATCH", path: "/api/v1/admin/account/mail", headers: s.headers(true),
		body: map[string]any{"sites": map[string]string{"nope": "off"}}}).must(t, http.StatusUnprocessableEntity)

	js[chromedp.Void](t, ctx, `document.querySelector("#mail-test").click()`)
	msg := smtp.WaitFor(1, 20*time.Second)[0]
	if msg.To[0] != "root@example.org" || msg.Header.Get("Subject") != "winnow test mail" {
		t.Errorf("test mail to %v: %q", msg.To, msg.Header.Get("Subject"))
	}
	waitJS(t, ctx, "the test mail's outcome", `return document.querySelector("#mail-test-status").textContent.startsWith("Sent");`)

	// The users page adds an account with an invitation instead of a password.
	clickAway(t, ctx, "#nav-users")
	waitJS(t, ctx, "the users page", `return location.pathname === "/admin/users" && document.querySelector("#user-create input[name=invite]");`)
	js[chromedp.Void](t, ctx, `{ const f = document.querySelector("#user-create");
		f.elements.email.value = "invited@example.org"; f.querySelector('input[name=sites][value=a]').checked = true;
		f.elements.invite.checked = true; f.querySelector("button[type=submit]").click(); }`)
	waitJS(t, ctx, "the invitation", `return document.querySelector("#form-status").textContent.includes("invitation is on its way") && document.querySelector("#new-password").hidden;`)
	if ms := smtp.WaitFor(2, 20*time.Second); ms[1].To[0] != "invited@example.org" || !strings.Contains(ms[1].Header.Get("Subject"), "invited") {
		t.Errorf("second mail to %v: %q", ms[1].To, ms[1].Header.Get("Subject"))
	}
}

// TestWidgetAsksForReplyMails: with mail on, the widget shows "notify me of replies"
// once the form's answer says so; a comment posted with it ticked makes winnow ask the
// address to confirm, once the comment is published.
func TestWidgetAsksForReplyMails(t *testing.T) {
	ctx := browser(t)
	env := map[string]string{"WINNOW_DATA_DIR": t.TempDir()}
	smtp := withMail(t, env)
	in := start(t, env, "--demo")
	lifted := map[string]any{"count": 100000, "period": "1s", "burst": 100000}
	in.do(req{method: "PATCH", path: "/api/v1/admin/sites/demo", token: in.token,
		body: map[string]any{"policy": "none", "rate_limits": map[string]any{"ip": lifted, "email": lifted}}}).must(t, http.StatusOK)
	navigate(t, ctx, in.url+"/demo/")
	waitJS(t, ctx, "the reply-mail box", `const r = `+shadow+`; const b = r.querySelector("#wn-notify"); return b && !b.closest("p").hidden && r.querySelector("label[for=wn-notify]").textContent.includes("replies");`)
	fill(t, ctx, map[string]string{"author_name": "Box Ticker", "author_email": "ticker@example.net", "body": "Tell me when someone answers, please."})
	js[chromedp.Void](t, ctx, shadow+`.querySelector("#wn-notify").checked = true; `+shadow+`.querySelector(".wn-submit").click()`)
	waitJS(t, ctx, "the posted comment", `return [...`+shadow+`.querySelectorAll(".wn-body")].some(e => e.textContent.includes("Tell me when someone answers"));`)
	// Filled in faster than a person types, it may be held: a moderator approves it.
	held := in.do(req{method: "GET", path: "/api/v1/admin/comments?site=demo&status=pending", token: in.token}).must(t, http.StatusOK).json(t)
	for _, c := range list(held, "comments") {
		id := strconv.Itoa(int(c.(map[string]any)["id"].(float64)))
		in.do(req{method: "POST", path: "/api/v1/admin/comments/" + id + "/approve", token: in.token}).must(t, http.StatusOK)
	}
	for _, m := range smtp.WaitFor(1, 20*time.Second) {
		if m.To[0] == "ticker@example.net" && strings.Contains(m.Header.Get("Subject"), "Confirm") {
			return
		}
	}
	t.Errorf("no confirmation mail to the widget's reader among %d mails", len(smtp.Messages()))
}

var passwordLinkRe = regexp.MustCompile(`http://[^/\s]+/mail/password\?t=(\S+)`)

// TestInvitationAndPasswordResetMails: an admin adds an account with an invitation;
// its mail's link sets the password, once; "Forgot your password?" mails a link that
// sets a new one and signs nothing else in; an unknown address is answered alike and
// mailed nothing.
func TestInvitationAndPasswordResetMails(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		smtp := withMail(t, env)
		in := start(t, env)
		in.createSite("blog", nil)
		created := in.do(req{method: "POST", path: "/api/v1/admin/users", token: in.token,
			body: map[string]any{"email": "new@example.org", "role": "moderator", "sites": []string{"blog"}, "invite": true}}).must(t, http.StatusCreated).json(t)
		if created["invited"] != true || created["password"] != nil {
			t.Fatalf("invitation answer %v", created)
		}
		invite := smtp.WaitFor(1, 20*time.Second)[0]
		m := passwordLinkRe.FindStringSubmatch(mailText(t, invite))
		if invite.To[0] != "new@example.org" || m == nil {
			t.Fatalf("invitation to %v:\n%s", invite.To, mailText(t, invite))
		}
		setPassword := func(token, pw string) response {
			return in.do(req{method: "POST", path: "/mail/password", ctype: "application/x-www-form-urlencoded",
				body: url.Values{"t": {token}, "password": {pw}}.Encode()})
		}
		tok, _ := url.QueryUnescape(m[1])
		in.do(req{method: "GET", path: "/mail/password?t=" + url.QueryEscape(tok)}).must(t, http.StatusOK)
		setPassword(tok, "short").must(t, http.StatusUnprocessableEntity)
		setPassword(tok, "the invited moderator's pw 1").must(t, http.StatusOK)
		in.login(nil, "new@example.org", "the invited moderator's pw 1")
		setPassword(tok, "someone else's password 22").must(t, http.StatusGone)

		login := in.do(req{method: "GET", path: "/admin/login"}).must(t, http.StatusOK)
		if !strings.Contains(string(login.body), `href="/mail/reset"`) {
			t.Error("the sign-in page does not offer a reset")
		}
		ask := func(addr string) string {
			return string(in.do(req{method: "POST", path: "/mail/reset", ctype: "application/x-www-form-urlencoded",
				body: url.Values{"email": {addr}}.Encode()}).must(t, http.StatusOK).body)
		}
		if known, unknown := ask("NEW@example.org"), ask("nobody@example.org"); known != unknown {
			t.Error("the reset answer tells whether the address has an account")
		}
		reset := smtp.WaitFor(2, 20*time.Second)[1]
		m = passwordLinkRe.FindStringSubmatch(mailText(t, reset))
		if reset.To[0] != "new@example.org" || m == nil {
			t.Fatalf("reset mail to %v:\n%s", reset.To, mailText(t, reset))
		}
		tok, _ = url.QueryUnescape(m[1])
		setPassword(tok, "a brand new password 333").must(t, http.StatusOK)
		in.login(nil, "new@example.org", "a brand new password 333")
		old := in.do(req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "new@example.org", "password": "the invited moderator's pw 1"}})
		if old.status != http.StatusUnauthorized {
			t.Errorf("the old password still signs in: %d", old.status)
		}
		time.Sleep(500 * time.Millisecond)
		if n := len(smtp.Messages()); n != 2 {
			t.Errorf("%d mails, want the invitation and one reset (none for the unknown address)", n)
		}
	})
}

// TestMailSurvivesAnOutageAndARestart: the mail server is down when a comment waits;
// winnow records the failed attempt and is restarted; once the server is back, the
// moderator's mail arrives, once.
func TestMailSurvivesAnOutageAndARestart(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		smtp := withMail(t, env)
		env["WINNOW_SMTP_RETRY"] = "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms"
		smtp.Stop()
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "all"})
		in.do(req{method: "POST", path: "/api/v1/admin/users", token: in.token,
			body: map[string]any{"email": "mod@example.org", "role": "moderator", "sites": []string{"blog"}}}).must(t, http.StatusCreated)
		// The submission does not wait for mail.
		in.submit("blog", submission("/p", map[string]any{"body": "Held while the mail server is down."}), nil).must(t, http.StatusAccepted)
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(in.stderr.String(), "mail failed, will retry") {
			if time.Now().After(deadline) {
				t.Fatalf("no failed attempt logged:\n%s", in.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The outage shows in the metrics, without an address.
		metrics := string(in.do(req{method: "GET", path: "/metrics"}).must(t, http.StatusOK).body)
		if !regexp.MustCompile(`(?m)^winnow_mail_oldest_pending_seconds [0-9.e+-]*[1-9]`).MatchString(metrics) ||
			!regexp.MustCompile(`(?m)^winnow_mails_total\{outcome="retry"\} [1-9]`).MatchString(metrics) || strings.Contains(metrics, "@example.org") {
			t.Errorf("metrics during the outage:\n%s", grepLines(metrics, "winnow_mail"))
		}
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		smtp.Restart()
		again := start(t, in.env)
		msgs := smtp.WaitFor(1, 20*time.Second)
		if msgs[0].To[0] != "mod@example.org" || !strings.Contains(mailText(t, msgs[0]), "Held while the mail server is down.") {
			t.Errorf("mail after the outage to %v:\n%s", msgs[0].To, mailText(t, msgs[0]))
		}
		time.Sleep(time.Second) // more sweeps and polls: still one mail
		again.stop()
		if n := len(smtp.Messages()); n != 1 {
			t.Errorf("%d mails after the outage and a restart, want 1", n)
		}
	})
}

// grepLines is the lines of text that contain sub.
func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
