package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// fakeStore is a Store made of function fields; unset fields fail the test if called.
type fakeStore struct {
	t             *testing.T
	author        func(key string) (comment.Author, error)
	get           func(id int64) (comment.Comment, error)
	byIdempotency func(key string) (comment.Comment, error)
	create        func(c *comment.Comment, th comment.Thread) error
	bans          func(keys comment.BanKeys) ([]comment.BanKind, error)
	address       func(addressKey string) // the key an address's record is read by
	statuses      comment.StatusCounts    // the address's recent comments, by status
	edit          func(e comment.Edit) error
	transitions   func(ts []comment.Transition) error
}

func (f fakeStore) Site(_ context.Context, id string) (site.Site, error) {
	if id != blogSite.ID {
		return site.Site{}, comment.ErrNotFound
	}
	return blogSite, nil
}

func (f fakeStore) EditComment(_ context.Context, e comment.Edit) error {
	if f.edit == nil {
		f.t.Fatal("unexpected EditComment")
	}
	return f.edit(e)
}

func (f fakeStore) ApplyTransitions(_ context.Context, ts []comment.Transition) error {
	if f.transitions == nil {
		f.t.Fatal("unexpected ApplyTransitions")
	}
	return f.transitions(ts)
}

func (f fakeStore) Record(_ context.Context, siteID, key, addressKey, idempotencyKey string, parentID int64, keys comment.BanKeys, _, _ time.Time) (comment.Record, error) {
	r := comment.Record{Address: f.statuses}
	var err error
	if f.address != nil {
		f.address(addressKey)
	}
	if parentID != 0 && f.get != nil {
		if p, err := f.get(parentID); err == nil && p.SiteID == siteID {
			r.ParentThread, r.ParentStatus = p.ThreadKey, p.Status
		}
	}
	if idempotencyKey != "" && f.byIdempotency != nil {
		c, err := f.byIdempotency(idempotencyKey)
		if err != nil && !errors.Is(err, comment.ErrNotFound) {
			return r, err
		}
		r.Replay = c.ID
	}
	if f.author != nil {
		r.Author, err = f.author(key)
	}
	if f.bans != nil && err == nil {
		r.Banned, err = f.bans(keys)
	}
	return r, err
}

func (f fakeStore) Comment(_ context.Context, id int64) (comment.Comment, error) {
	if f.get == nil {
		return comment.Comment{}, comment.ErrNotFound
	}
	return f.get(id)
}

func (f fakeStore) CommentByIdempotencyKey(_ context.Context, _, key string) (comment.Comment, error) {
	if f.byIdempotency == nil {
		return comment.Comment{}, comment.ErrNotFound
	}
	return f.byIdempotency(key)
}

func (f fakeStore) CreateComment(_ context.Context, c *comment.Comment, th comment.Thread, _ comment.Notice) error {
	if f.create == nil {
		f.t.Fatal("unexpected CreateComment")
	}
	return f.create(c, th)
}

var (
	secret   = []byte("test-secret")
	now      = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	blogSite = site.Site{ID: "blog", Name: "Blog", Origins: []string{"https://blog.example"}, Policy: site.PolicyFirstTime, MaxLinks: 2}
	valid    = comment.Submission{Thread: "/p", ThreadURL: "https://blog.example/p", AuthorName: " Ann ", AuthorEmail: "ann@example.org", Body: "Hi *there*\r\n"}
)

func newService(st Store) *Service {
	return NewService(st, localCounters(ratelimit.NewLocal(now)), sanitize.New(), spam.NewScorer(), secret, comment.DefaultIPv6Prefix, "", now)
}

// localCounters keeps limits, nonces and campaign counts on one in-process limiter.
func localCounters(l *ratelimit.Local) Counters {
	return Counters{Limits: l, Nonces: ratelimit.NewNonces(l), Distinct: ratelimit.NewDistinct(l)}
}

func TestSubmitStoresASanitizedJudgedComment(t *testing.T) {
	var stored comment.Comment
	var thread comment.Thread
	st := fakeStore{t: t, create: func(c *comment.Comment, th comment.Thread) error {
		c.ID = 7
		stored, thread = *c, th
		return nil
	}}
	res, err := newService(st).Submit(context.Background(), blogSite, valid, Meta{IP: "192.0.2.1", UserAgent: "UA"})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Comment
	if c.ID != 7 || c.Status != comment.StatusPending || c.AuthorName != "Ann" || c.BodySource != "Hi *there*" {
		t.Errorf("comment %+v", c)
	}
	if !strings.Contains(c.BodyHTML, "<em>there</em>") || c.IP != "192.0.2.1" || c.UserAgent != "UA" {
		t.Errorf("html %q ip %q ua %q", c.BodyHTML, c.IP, c.UserAgent)
	}
	if c.AuthorKey != comment.AuthorKey(secret, "Ann", "ann@example.org") || c.AvatarHash == "" || c.EditTokenHash != hashToken(res.EditToken) {
		t.Error("keys and token hash")
	}
	if thread.Key != "/p" || thread.URL != "" || thread.Title != "" || stored.ThreadKey != "/p" || !c.PublishedAt.IsZero() {
		t.Errorf("thread %+v", thread)
	}
}

func TestSubmitPublishesATrustedAuthorUnderFirstTime(t *testing.T) {
	st := fakeStore{t: t,
		author: func(key string) (comment.Author, error) { return comment.Author{Approved: 1}, nil },
		create: func(c *comment.Comment, th comment.Thread) error { return nil },
	}
	res, err := newService(st).Submit(context.Background(), blogSite, valid, Meta{})
	if err != nil || res.Comment.Status != comment.StatusApproved || !res.Comment.PublishedAt.Equal(now()) {
		t.Fatalf("res %+v err %v", res.Comment, err)
	}
}

func TestSubmitRejectsWithoutStoring(t *testing.T) {
	approvedElsewhere := comment.Comment{ID: 3, SiteID: "blog", ThreadKey: "/other", Status: comment.StatusApproved}
	pendingHere := comment.Comment{ID: 4, SiteID: "blog", ThreadKey: "/p", Status: comment.StatusPending}
	tests := []struct {
		name  string
		sub   comment.Submission
		meta  Meta
		field string
	}{
		{"invalid fields", comment.Submission{Thread: "/p"}, Meta{}, "body"},
		{"thread url off the site", func() comment.Submission { s := valid; s.ThreadURL = "https://evil.example/"; return s }(), Meta{}, "thread_url"},
		{"long idempotency key", valid, Meta{IdempotencyKey: strings.Repeat("k", MaxIdempotencyKey+1)}, "Idempotency-Key"},
		{"parent on another thread", func() comment.Submission { s := valid; s.ParentID = 3; return s }(), Meta{}, "parent_id"},
		{"parent not published", func() comment.Submission { s := valid; s.ParentID = 4; return s }(), Meta{}, "parent_id"},
		{"parent missing", func() comment.Submission { s := valid; s.ParentID = 5; return s }(), Meta{}, "parent_id"},
		{"an invisible name", func() comment.Submission { s := valid; s.AuthorName = "\u200B\u3164"; return s }(), Meta{}, "author_name"},
		{"a name with a direction override", func() comment.Submission { s := valid; s.AuthorName = "admin\u202Etxt.exe"; return s }(), Meta{}, "author_name"},
		{"an invisible body", func() comment.Submission { s := valid; s.Body = "\u2800"; return s }(), Meta{}, "body"},
		// Visible source that renders as nothing: a character reference, empty markup.
		{"a zero-width space by reference", func() comment.Submission { s := valid; s.Body = "&#8203;&#x3164;"; return s }(), Meta{}, "body"},
		{"an empty heading and quote", func() comment.Submission { s := valid; s.Body = "#\n\n>"; return s }(), Meta{}, "body"},
		{"a link with no text", func() comment.Submission { s := valid; s.Body = "[](https://spam.example/)"; return s }(), Meta{}, "body"},
	}
	st := fakeStore{t: t, get: func(id int64) (comment.Comment, error) {
		switch id {
		case 3:
			return approvedElsewhere, nil
		case 4:
			return pendingHere, nil
		}
		return comment.Comment{}, comment.ErrNotFound
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newService(st).Submit(context.Background(), blogSite, tt.sub, tt.meta)
			var ve *comment.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tt.field] == "" {
				t.Errorf("err = %v, want a validation error on %s", err, tt.field)
			}
		})
	}
}

func TestSubmitReplaysAnIdempotentRetry(t *testing.T) {
	var stored comment.Comment
	st := fakeStore{t: t,
		byIdempotency: func(key string) (comment.Comment, error) {
			if stored.ID == 0 || stored.IdempotencyKey != key {
				return comment.Comment{}, comment.ErrNotFound
			}
			return stored, nil
		},
		create: func(c *comment.Comment, _ comment.Thread) error { c.ID = 9; stored = *c; return nil },
	}
	svc := newService(st)
	first, err := svc.Submit(context.Background(), blogSite, valid, Meta{IdempotencyKey: "k1"})
	if err != nil || first.Replayed {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := svc.Submit(context.Background(), blogSite, valid, Meta{IdempotencyKey: "k1"})
	if err != nil || !again.Replayed || again.Comment.ID != 9 || again.EditToken != first.EditToken {
		t.Fatalf("replay %+v, %v", again, err)
	}
	// Approved by a moderator since: the replay still gives the first answer, held.
	stored.Status, stored.PublishedAt = comment.StatusApproved, stored.CreatedAt.Add(time.Hour)
	if r, _ := svc.Submit(context.Background(), blogSite, valid, Meta{IdempotencyKey: "k1"}); r.Comment.Status != comment.StatusPending {
		t.Errorf("replay status %s, want the first answer's pending", r.Comment.Status)
	}
	other := valid
	other.Body = "someone else's words"
	_, err = svc.Submit(context.Background(), blogSite, other, Meta{IdempotencyKey: "k1"})
	var ve *comment.ValidationError
	if !errors.As(err, &ve) || ve.Fields["Idempotency-Key"] == "" {
		t.Fatalf("a different submission with a used key: %v", err)
	}
}

func TestSubmitAnswersTheWinnerOfAnIdempotencyRace(t *testing.T) {
	calls := 0
	st := fakeStore{t: t,
		byIdempotency: func(string) (comment.Comment, error) {
			calls++
			if calls == 1 {
				return comment.Comment{}, comment.ErrNotFound
			}
			c := comment.Comment{ID: 11, IdempotencyKey: "k"}
			tok, _ := newService(nil).editToken(blogSite.ID, func() comment.Submission { s := valid; s.Normalize(); return s }(), "k")
			c.EditTokenHash = hashToken(tok)
			return c, nil
		},
		create: func(*comment.Comment, comment.Thread) error { return comment.ErrConflict },
	}
	res, err := newService(st).Submit(context.Background(), blogSite, valid, Meta{IdempotencyKey: "k"})
	if err != nil || res.Comment.ID != 11 || !res.Replayed {
		t.Fatalf("res %+v err %v", res, err)
	}
}

// TestSubmitReplaysARetryBeforeTheLimits: the Idempotency-Key is found in the
// submission's one read, which with a key comes before the limits, so a client
// retrying a submission that got through is answered, not refused and not counted.
func TestSubmitReplaysARetryBeforeTheLimits(t *testing.T) {
	var stored comment.Comment
	st := fakeStore{t: t,
		byIdempotency: func(key string) (comment.Comment, error) {
			if stored.ID == 0 || stored.IdempotencyKey != key {
				return comment.Comment{}, comment.ErrNotFound
			}
			return stored, nil
		},
		create: func(c *comment.Comment, _ comment.Thread) error { c.ID = 5; stored = *c; return nil },
	}
	svc := newService(st)
	limited := blogSite
	limited.Limits.IP = site.Rate{Count: 1, Period: time.Hour, Burst: 1}
	meta := Meta{IP: "198.51.100.9", IdempotencyKey: "retry-1"}
	if _, err := svc.Submit(context.Background(), limited, valid, meta); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		res, err := svc.Submit(context.Background(), limited, valid, meta)
		if err != nil || !res.Replayed || res.Comment.ID != 5 {
			t.Fatalf("retry %d: %+v, %v", i, res, err)
		}
	}
	fresh := meta
	fresh.IdempotencyKey = "retry-2"
	_, err := svc.Submit(context.Background(), limited, valid, fresh)
	var rl *comment.RateLimitedError
	if !errors.As(err, &rl) || rl.Scope != "ip" {
		t.Fatalf("a new submission over the limit: %v", err)
	}
}

func TestSubmitRefusesOverTheLimitWithoutStoring(t *testing.T) {
	stored := 0
	st := fakeStore{t: t, create: func(*comment.Comment, comment.Thread) error { stored++; return nil }}
	svc := newService(st)
	limited := blogSite
	limited.Limits.IP = site.Rate{Count: 1, Period: time.Hour, Burst: 2}
	meta := Meta{IP: "198.51.100.7"}
	for i := range 2 {
		if _, err := svc.Submit(context.Background(), limited, valid, meta); err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
	}
	_, err := svc.Submit(context.Background(), limited, valid, meta)
	var rl *comment.RateLimitedError
	if !errors.As(err, &rl) || rl.Scope != "ip" || rl.RetryAfter <= 0 || stored != 2 {
		t.Fatalf("third submission: %v (stored %d)", err, stored)
	}
	other := meta
	other.IP = "198.51.100.8"
	if _, err := svc.Submit(context.Background(), limited, func() comment.Submission { s := valid; s.AuthorEmail = "b@example.org"; return s }(), other); err != nil {
		t.Errorf("another address and author were refused: %v", err)
	}
}

func TestSubmitJudgesABannedAuthorSpam(t *testing.T) {
	var stored comment.Comment
	st := fakeStore{t: t,
		bans: func(keys comment.BanKeys) ([]comment.BanKind, error) {
			if keys.Email == comment.EmailKey(secret, "ann@example.org") && keys.IPs[0] == comment.IPKey(secret, "192.0.2.1") &&
				len(keys.Domains) == 2 && keys.Domains[0] == "example.org" && keys.Domains[1] == "ann.example" {
				return []comment.BanKind{comment.BanEmail}, nil
			}
			return nil, nil
		},
		create: func(c *comment.Comment, _ comment.Thread) error { stored = *c; return nil },
	}
	sub := valid
	sub.AuthorURL = "https://www.ann.example/about"
	if _, err := newService(st).Submit(context.Background(), blogSite, sub, Meta{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if stored.Status != comment.StatusSpam || !strings.Contains(strings.Join(stored.Reasons, ","), "banned email") {
		t.Errorf("a banned author's comment: %s %v", stored.Status, stored.Reasons)
	}
}

// TestAddressHistoryCountsByStatus: the store counts an address's recent comments by
// status; what those count for (spam against it, approved for it, the rest nothing) is
// the domain's rule, applied before the scorer sees them.
func TestAddressHistoryCountsByStatus(t *testing.T) {
	for _, tt := range []struct {
		statuses comment.StatusCounts
		bad      bool
	}{
		{comment.StatusCounts{comment.StatusSpam: 3, comment.StatusPending: 5, comment.StatusRejected: 4}, true},
		{comment.StatusCounts{comment.StatusSpam: 3, comment.StatusApproved: 3}, false},
		{comment.StatusCounts{comment.StatusRejected: 9, comment.StatusDeleted: 9}, false},
	} {
		var stored comment.Comment
		st := fakeStore{t: t, statuses: tt.statuses, create: func(c *comment.Comment, _ comment.Thread) error { stored = *c; return nil }}
		if _, err := newService(st).Submit(context.Background(), blogSite, valid, Meta{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		reasons := strings.Join(stored.Reasons, "|")
		if got := strings.Contains(reasons, "address sent"); got != tt.bad {
			t.Errorf("address history %v: reasons %q, want a bad address %v", tt.statuses, reasons, tt.bad)
		}
	}
}

func TestSubmitNoticesACampaign(t *testing.T) {
	var stored []comment.Comment
	st := fakeStore{t: t, create: func(c *comment.Comment, _ comment.Thread) error { stored = append(stored, *c); return nil }}
	svc := newService(st)
	body := "Earn real money from home with this one simple trick that banks hate, visit our page now"
	for i, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		sub := valid
		sub.Body, sub.AuthorEmail, sub.Thread = body, email, fmt.Sprintf("/p%d", i%2)
		if _, err := svc.Submit(context.Background(), blogSite, sub, Meta{IP: fmt.Sprintf("192.0.2.%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	reasons := strings.Join(stored[2].Reasons, "|")
	if !strings.Contains(reasons, "same text posted by 3 authors") {
		t.Errorf("third copy: %q", reasons)
	}
	if strings.Contains(strings.Join(stored[1].Reasons, "|"), "same text") {
		t.Errorf("the second copy is no campaign yet: %q", stored[1].Reasons)
	}
	// Short, common texts are never a campaign.
	for i := range 4 {
		sub := valid
		sub.Body, sub.AuthorEmail = "Great post, thanks!", fmt.Sprintf("x%d@example.org", i)
		svc.Submit(context.Background(), blogSite, sub, Meta{})
	}
	if strings.Contains(strings.Join(stored[len(stored)-1].Reasons, "|"), "same text") {
		t.Error("a short common comment counted as a campaign")
	}
}

func TestPublicAddressIgnoresProxiesAndLoopback(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.7": "203.0.113.7", "2001:db8::1": "2001:db8::1", "127.0.0.1": "", "10.1.2.3": "",
		"192.168.0.9": "", "fe80::1": "", "::1": "", "": "", "junk": "",
	} {
		if got := publicAddress(ip); got != want {
			t.Errorf("publicAddress(%q) = %q, want %q", ip, got, want)
		}
	}
}

// TestReputationIsKeptByTheClientsNetwork: a comment stores the key of its client's
// network (an IPv6 /64, an IPv4 address), which the address's record is read by; a
// private address, most likely an unconfigured proxy's, has no record read.
func TestReputationIsKeptByTheClientsNetwork(t *testing.T) {
	var stored []comment.Comment
	var looked []string
	st := fakeStore{t: t, create: func(c *comment.Comment, _ comment.Thread) error { stored = append(stored, *c); return nil },
		address: func(key string) { looked = append(looked, key) }}
	svc := newService(st)
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::2", "2001:db8:1:3::1", "203.0.113.9", "10.0.0.1"} {
		sub := valid
		sub.AuthorEmail = fmt.Sprintf("r%d@example.org", i)
		if _, err := svc.Submit(context.Background(), blogSite, sub, Meta{IP: ip}); err != nil {
			t.Fatal(err)
		}
	}
	k := func(i int) string { return stored[i].AddressKey }
	if k(0) == "" || k(0) != k(1) || k(2) == k(0) || k(3) != comment.IPKey(secret, "203.0.113.9") || k(4) == "" {
		t.Errorf("address keys %q", []string{k(0), k(1), k(2), k(3), k(4)})
	}
	if len(looked) != 5 || looked[0] != k(0) || looked[3] != k(3) || looked[4] != "" {
		t.Errorf("records read by %q", looked)
	}
	if stored[0].IP != "2001:db8:1:2::1" {
		t.Errorf("the comment keeps its own address for moderators: %q", stored[0].IP)
	}
}
