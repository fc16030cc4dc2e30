package moderation_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

// Zelda's private and public data: none of it may be anywhere in the database after
// her erasure. Each string is unique to her comments.
var zeldaMarks = []string{"Zelda Quux", "zelda@erase.example", "ZELDA@ERASE.EXAMPLE", "zelda-site.example",
	"203.0.113.77", "ZeldaBrowser", "xylophonic", "marmaladeous"}

// rawDB opens the test's database beside the store, to look at every table directly.
func rawDB(t *testing.T, engine, dsn string) *sql.DB {
	t.Helper()
	driver, source := "postgres", dsn
	if engine == "sqlite" {
		driver, source = "sqlite", strings.TrimPrefix(dsn, "sqlite:")
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tables lists the schema's tables.
func tables(t *testing.T, db *sql.DB, engine string) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if engine == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if len(out) < 10 || !slices.Contains(out, "comments") || !slices.Contains(out, "spam_tokens") {
		t.Fatalf("tables %v", out)
	}
	return out
}

// findMarks returns "table: value" for every column value in every table that holds
// one of marks.
func findMarks(t *testing.T, db *sql.DB, engine string, marks []string) []string {
	t.Helper()
	var found []string
	for _, table := range tables(t, db, engine) {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var text string
				switch v := v.(type) {
				case []byte:
					text = string(v)
				case string:
					text = v
				default:
					continue
				}
				for _, m := range marks {
					if strings.Contains(strings.ToLower(text), strings.ToLower(m)) {
						found = append(found, fmt.Sprintf("%s.%s: %q", table, cols[i], text))
					}
				}
			}
		}
		rows.Close()
	}
	return found
}

func TestEraseCommenter(t *testing.T) {
	for _, e := range sqlstoretest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			s := sqlstoretest.Open(t, dsn)
			db := rawDB(t, e.Name, dsn)
			testErase(t, s, db, e.Name)
		})
	}
}

func testErase(t *testing.T, s *sqlstore.Store, db *sql.DB, engine string) {
	r := newRig(t, s)
	ctx := r.ctx
	secret := []byte("secret")
	people := newCommenters(s, r.model, secret)

	at := epoch
	write := func(name, email, body string, parent int64, keyed bool) comment.Comment {
		t.Helper()
		at = at.Add(time.Minute)
		c := comment.Comment{SiteID: "blog", ParentID: parent, AuthorName: name, AuthorEmail: email,
			AuthorKey: comment.AuthorKey(secret, name, email), AvatarHash: comment.AvatarHash(secret, email),
			BodySource: body, BodyHTML: "<p>" + body + "</p>", Status: comment.StatusPending, Reasons: []string{"first comment"},
			CreatedAt: at, ThreadKey: "/p", PageURL: "https://blog.example/p", PageTitle: "A post"}
		if strings.HasPrefix(name, "Zelda") {
			c.AuthorURL, c.IP, c.UserAgent = "https://zelda-site.example/", "203.0.113.77", "ZeldaBrowser/1.0"
			c.IdempotencyKey = "idem-" + body
		}
		if keyed { // comments written before email keys have none: the erasure keys them first
			c.EmailKey = comment.EmailKey(secret, email)
		}
		if err := s.CreateComment(ctx, &c, comment.Thread{Key: "/p", URL: "https://blog.example/p"}, comment.Notice{}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	zelda := func(body string, parent int64, keyed bool) comment.Comment {
		return write("Zelda Quux", "zelda@erase.example", body, parent, keyed)
	}

	a := zelda("xylophonic marmaladeous thoughts on the post", 0, true) // Bob replies: stays as a stub
	bob := write("Bob", "bob@example.org", "I disagree with the parent, kindly", a.ID, true)
	b := zelda("xylophonic second comment", 0, false)
	c := write("Zelda Quux", "ZELDA@ERASE.EXAMPLE", "xylophonic cheap pills marmaladeous", 0, false) // spam
	d := zelda("xylophonic pending words", 0, true)
	g := zelda("xylophonic thread opener", 0, true)
	h := zelda("xylophonic answering myself", g.ID, true) // only her own reply: both go
	bob2 := write("Bob", "bob@example.org", "a reply to Zelda's reply", bob.ID, true)
	r.apply(mod, moderation.Approve, a.ID, bob.ID, b.ID, g.ID, h.ID, bob2.ID)
	r.apply(mod, moderation.Spam, c.ID)
	if _, err := r.svc.Apply(ctx, moderation.Request{Actor: mod, Action: moderation.Reject, IDs: []int64{d.ID}, Note: "Zelda Quux again"}); err != nil {
		t.Fatal(err)
	}
	if sp, ham := r.documents(); sp != 2 || ham != 6 {
		t.Fatalf("before: the classifier knows %d spam and %d ham documents", sp, ham)
	}

	// Access (art. 15): everything, with the private fields, by any spelling of the address.
	data, err := people.Export(ctx, moderation.CommenterRequest{Email: " Zelda@Erase.example "})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, x := range data.Comments {
		got = append(got, x.ID)
		if x.AuthorEmail == "" || x.Body == "" {
			t.Errorf("exported %+v", x)
		}
	}
	if want := []int64{a.ID, b.ID, c.ID, d.ID, g.ID, h.ID}; !slices.Equal(got, want) {
		t.Errorf("exported comments %v, want %v", got, want)
	}
	if len(data.Reputation) != 1 || data.Reputation[0].Approved != 4 || data.Reputation[0].Spam != 1 {
		t.Errorf("exported reputation %+v", data.Reputation)
	}
	if data.Comments[0].IP != "203.0.113.77" || data.Comments[0].UserAgent != "ZeldaBrowser/1.0" {
		t.Errorf("export lacks the address: %+v", data.Comments[0])
	}
	if _, err := people.Export(ctx, moderation.CommenterRequest{Email: "zelda@erase.example", Sites: []string{"nope"}}); err == nil {
		t.Error("an unknown site was accepted")
	}
	// Her reply subscription and a mail to her (the notifications' tables) go too.
	for _, q := range []string{
		`INSERT INTO reply_subscriptions (site_id, email, status, asked_at, updated_at) VALUES ('blog', 'zelda@erase.example', 'confirmed', 1, 1)`,
		`INSERT INTO mails (kind, dedupe_key, recipient, message_id, subject, body, status, next_attempt_at, created_at, updated_at)
			VALUES ('reply', 'erase-test', 'zelda@erase.example', '<m@winnow>', 'A reply', 'Bob replied', 'sent', 1, 1, 1)`,
		// Mails to others that carry her text: a reply mail about her comment, waiting, and
		// a moderator's list of the site's waiting comments.
		fmt.Sprintf(`INSERT INTO mails (kind, dedupe_key, recipient, message_id, subject, body, status, next_attempt_at, created_at, updated_at)
			VALUES ('reply', '%s', 'bob@example.org', '<r@winnow>', 'A reply', 'Zelda Quux wrote: xylophonic thoughts', 'pending', 1, 1, 1)`, email.ReplyKey(h.ID)),
		fmt.Sprintf(`INSERT INTO mails (kind, dedupe_key, recipient, message_id, subject, body, status, next_attempt_at, created_at, updated_at)
			VALUES ('moderator', '%s', 'mod@example.org', '<d@winnow>', 'Waiting', 'Zelda Quux: xylophonic pending words', 'sent', 1, 1, 1)`, email.ModeratorKey(1, "blog", d.ID)),
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if found := findMarks(t, db, engine, zeldaMarks); len(found) == 0 {
		t.Fatal("the marks are not in the database before the erasure: the search cannot fail")
	}
	version := r.thread().Version

	// Erasure (art. 17).
	res, err := people.Erase(ctx, moderation.CommenterRequest{Email: "zelda@erase.example", Actor: mod})
	if err != nil {
		t.Fatal(err)
	}
	if res.Comments != 6 || res.Stubs != 1 || res.Deleted != 5 || res.Unpublished != 4 || !slices.Equal(res.Sites, []string{"blog"}) {
		t.Errorf("result %+v", res)
	}
	if found := findMarks(t, db, engine, zeldaMarks); len(found) > 0 {
		t.Errorf("Zelda's data is still in the database:\n%s", strings.Join(found, "\n"))
	}
	// A request about an address with no comment left still clears the mail outbox of it.
	if _, err := db.ExecContext(ctx, `INSERT INTO reply_subscriptions (site_id, email, status, asked_at, updated_at) VALUES ('blog', 'zelda@erase.example', 'pending', 2, 2)`); err != nil {
		t.Fatal(err)
	}
	if again, err := people.Erase(ctx, moderation.CommenterRequest{Email: "Zelda@erase.example", Actor: mod}); err != nil || again.Comments != 0 {
		t.Fatalf("erasing again: %+v %v", again, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM reply_subscriptions WHERE email = 'zelda@erase.example'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d subscriptions after erasing an address with no comments (%v)", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM authors WHERE key = $1`, a.AuthorKey).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d reputation rows of hers (%v)", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM authors WHERE key = $1`, bob.AuthorKey).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d reputation rows of Bob's (%v)", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM comments WHERE id IN ($1, $2, $3, $4, $5)`, b.ID, c.ID, d.ID, g.ID, h.ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d of her comments without replies are still there (%v)", n, err)
	}
	var ip, ua, email, key, status, trained string
	if err := db.QueryRow(`SELECT ip, user_agent, author_email, email_key, status, trained FROM comments WHERE id = $1`, a.ID).
		Scan(&ip, &ua, &email, &key, &status, &trained); err != nil || ip != "" || ua != "" || email != "" || key != "" || status != "deleted" || trained != spam.LabelNone {
		t.Errorf("stub row: %q %q %q %q %s %q (%v)", ip, ua, email, key, status, trained, err)
	}

	// Replies keep their place under the stub, in the thread as readers see it.
	th := r.thread()
	if th.ApprovedCount != 2 || th.Version <= version {
		t.Errorf("thread %+v (version was %d)", th, version)
	}
	cs, err := s.ApprovedComments(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cs, err = httpx.WithStubs(ctx, cs, s.CommentsByID); err != nil {
		t.Fatal(err)
	}
	tree := httpx.Tree("", cs)
	if len(tree) != 1 || tree[0].ID != a.ID || tree[0].AuthorName != comment.ErasedText || tree[0].BodyHTML != "<p>[deleted]</p>" ||
		len(tree[0].Replies) != 1 || tree[0].Replies[0].ID != bob.ID || len(tree[0].Replies[0].Replies) != 1 {
		b, _ := json.Marshal(tree)
		t.Errorf("public thread %s", b)
	}
	if got := r.get(bob.ID); got.ParentID != a.ID || got.Status != comment.StatusApproved {
		t.Errorf("Bob's reply %+v", got)
	}

	// Webhooks: the published ones are unpublished, with nothing of hers; nothing else
	// about her comments is left in the outbox.
	var unpublished []int64
	for _, dl := range r.outbox() {
		if dl.CommentID == bob.ID || dl.CommentID == bob2.ID {
			continue
		}
		if dl.Type != comment.EventUnpublished || dl.Status != webhook.DeliveryPending {
			t.Errorf("delivery %d: %s %s about comment %d", dl.ID, dl.Type, dl.Status, dl.CommentID)
			continue
		}
		body, err := dl.Body()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range zeldaMarks {
			if strings.Contains(strings.ToLower(string(body)), strings.ToLower(m)) {
				t.Errorf("event carries %q: %s", m, body)
			}
		}
		if !strings.Contains(string(body), `"author_name":"[deleted]"`) {
			t.Errorf("event %s", body)
		}
		unpublished = append(unpublished, dl.CommentID)
	}
	slices.Sort(unpublished)
	if want := []int64{a.ID, b.ID, g.ID, h.ID}; !slices.Equal(unpublished, want) {
		t.Errorf("unpublished events about %v, want %v", unpublished, want)
	}

	// The classifier counts Bob's two approvals and nothing of hers.
	if sp, ham := r.documents(); sp != 0 || ham != 2 {
		t.Errorf("after: the classifier knows %d spam and %d ham documents, want 0 and 2", sp, ham)
	}

	// The audit log says an erasure happened; the stub's record ends with it.
	es, _, err := s.ListEvents(ctx, comment.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	erasures := 0
	for _, ev := range es {
		if ev.Action == moderation.ActionErase {
			erasures++
		}
	}
	if erasures != 2 {
		t.Errorf("%d erase events, want one for the stub and one for the site", erasures)
	}
	if ev := r.events(a.ID); ev[len(ev)-1] != mod+" erase approved>deleted" {
		t.Errorf("stub's audit log %q", ev)
	}
	if _, err := r.undo(mod, a.ID); err == nil {
		t.Error("the approval of an erased comment was undone")
	}

	// Once more: nothing left to find.
	if res, err := people.Erase(ctx, moderation.CommenterRequest{Email: "zelda@erase.example", Actor: mod}); err != nil || res.Comments != 0 {
		t.Errorf("second erasure %+v, %v", res, err)
	}
	if _, err := people.Erase(ctx, moderation.CommenterRequest{Email: "not an address", Actor: mod}); err == nil {
		t.Error("a malformed address was accepted")
	}
}

// newCommenters is the service as cmd/winnow wires it.
func newCommenters(s *sqlstore.Store, m *spam.Model, secret []byte) *moderation.Commenters {
	return moderation.NewCommenters(s, m, secret, "", slog.New(slog.NewTextHandler(io.Discard, nil)),
		func() time.Time { return epoch.Add(time.Hour) })
}
