package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

func mustWebhook(t *testing.T, s *sqlstore.Store, site string, events ...comment.EventType) webhook.Endpoint {
	t.Helper()
	w := webhook.Endpoint{SiteID: site, URL: "https://hooks.example/" + site, Events: events, Secret: webhook.NewSecret()}
	w.Normalize()
	if err := s.CreateWebhook(context.Background(), &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func newWebhookComment(t *testing.T, s *sqlstore.Store, site string, st comment.Status) comment.Comment {
	t.Helper()
	c := comment.Comment{SiteID: site, AuthorName: "Ann", AuthorEmail: "ann.private@example.org", IP: "198.51.100.7",
		UserAgent: "PrivateUA", BodySource: "hi", BodyHTML: "<p>hi</p>", Status: st, CreatedAt: epoch, PublishedAt: publishedAt(st, epoch),
		ThreadKey: "/p"}
	if err := s.CreateComment(context.Background(), &c, comment.Thread{Key: "/p", URL: "https://blog.example/p", Title: "P"},
		notice(comment.EventFor("", st), c)); err != nil {
		t.Fatal(err)
	}
	return c
}

// notice is the webhook event t about c as a service builds it, at epoch.
func notice(t comment.EventType, c comment.Comment) comment.Notice {
	return comment.CommentNotice(t, epoch, c, "https://c.example")
}

func claimAll(t *testing.T, s *sqlstore.Store, at time.Time) []webhook.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(context.Background(), at, at.Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestOutboxRowsAreWrittenWithTheChangeThatCausesThem(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		all := mustWebhook(t, s, "blog")
		onlyUnpub := mustWebhook(t, s, "blog", comment.EventUnpublished)
		disabled := mustWebhook(t, s, "blog")
		disabled.Disabled = true
		if err := s.UpdateWebhook(ctx, disabled); err != nil {
			t.Fatal(err)
		}
		mustWebhook(t, s, "other")

		held := newWebhookComment(t, s, "blog", comment.StatusPending)
		pub := newWebhookComment(t, s, "blog", comment.StatusApproved)
		at := epoch.Add(time.Hour)
		ds := claimAll(t, s, at)
		if len(ds) != 1 || ds[0].EndpointID != all.ID || ds[0].Type != comment.EventPublished || ds[0].CommentID != pub.ID {
			t.Fatalf("after submissions: %+v", ds)
		}
		var p struct {
			Data struct {
				Thread  map[string]string `json:"thread"`
				Comment map[string]any    `json:"comment"`
			} `json:"data"`
		}
		// The new id and the thread's url and title are the row's, put in by typed field.
		body, err := ds[0].Body()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Data.Comment["id"] != float64(pub.ID) || p.Data.Thread["url"] != "https://blog.example/p" || p.Data.Thread["title"] != "P" ||
			ds[0].ThreadURL != "https://blog.example/p" || ds[0].ThreadTitle != "P" || p.Data.Comment["avatar_url"] == nil {
			t.Errorf("payload %s", body)
		}
		for _, private := range []string{"ann.private", "198.51.100.7", "PrivateUA"} {
			if strings.Contains(string(body), private) {
				t.Errorf("payload holds %q: %s", private, body)
			}
		}

		if err := s.RecordAttempt(ctx, webhook.Attempt{DeliveryID: ds[0].ID, LeaseUntil: ds[0].LeaseUntil,
			Status: webhook.DeliveryDelivered, StatusCode: 200, At: at}); err != nil {
			t.Fatal(err)
		}

		// A batch that fails part-way writes no outbox row.
		stale := held
		stale.Status = comment.StatusSpam
		err = s.ApplyTransitions(ctx, []comment.Transition{
			{Comment: pub, To: comment.StatusRejected, Notify: notice(comment.EventUnpublished, pub), Event: comment.Event{CreatedAt: epoch}},
			{Comment: stale, To: comment.StatusApproved, Notify: notice(comment.EventPublished, stale), Event: comment.Event{CreatedAt: epoch}},
		})
		if !errors.Is(err, comment.ErrConflict) {
			t.Fatalf("stale batch: %v", err)
		}
		if ds := claimAll(t, s, at.Add(time.Hour)); len(ds) != 0 {
			t.Fatalf("a failed batch wrote %+v", ds)
		}
		err = s.ApplyTransitions(ctx, []comment.Transition{{Comment: pub, To: comment.StatusRejected, Notify: notice(comment.EventUnpublished, pub), Event: comment.Event{CreatedAt: epoch}}})
		if err != nil {
			t.Fatal(err)
		}
		ds = claimAll(t, s, at.Add(2*time.Hour))
		if len(ds) != 2 || ds[0].Type != comment.EventUnpublished || ds[1].Type != comment.EventUnpublished ||
			ds[0].EndpointID+ds[1].EndpointID != all.ID+onlyUnpub.ID {
			t.Fatalf("after unpublishing: %+v", ds)
		}
	})
}

func TestClaimsKeepOrderPerCommentAndExpire(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		mustSite(t, s, "blog")
		mustWebhook(t, s, "blog")
		c := newWebhookComment(t, s, "blog", comment.StatusApproved)
		if err := s.ApplyTransitions(ctx, []comment.Transition{{Comment: c, To: comment.StatusSpam, Notify: notice(comment.EventUnpublished, c), Event: comment.Event{CreatedAt: epoch}}}); err != nil {
			t.Fatal(err)
		}
		at := epoch.Add(time.Hour)
		first := claimAll(t, s, at)
		if len(first) != 1 || first[0].Type != comment.EventPublished {
			t.Fatalf("first claim %+v: the later event must wait", first)
		}
		if again := claimAll(t, s, at.Add(time.Second)); len(again) != 0 {
			t.Fatalf("a held claim was taken again: %+v", again)
		}
		// The dispatcher died: after the lease the delivery is taken up again.
		retaken := claimAll(t, s, at.Add(2*time.Minute))
		if len(retaken) != 1 || retaken[0].ID != first[0].ID {
			t.Fatalf("after the lease: %+v", retaken)
		}
		if err := s.RecordAttempt(ctx, webhook.Attempt{DeliveryID: first[0].ID, LeaseUntil: first[0].LeaseUntil,
			Status: webhook.DeliveryDelivered, StatusCode: 200, At: at}); !errors.Is(err, comment.ErrConflict) {
			t.Fatalf("recording under a lost claim: %v", err)
		}
		err := s.RecordAttempt(ctx, webhook.Attempt{DeliveryID: retaken[0].ID, LeaseUntil: retaken[0].LeaseUntil,
			Status: webhook.DeliveryDelivered, StatusCode: 200, At: at})
		if err != nil {
			t.Fatal(err)
		}
		next := claimAll(t, s, at.Add(3*time.Minute))
		if len(next) != 1 || next[0].Type != comment.EventUnpublished {
			t.Fatalf("after delivery: %+v", next)
		}
	})
}

// TestConcurrentClaimsNeverShareADelivery has many dispatchers claim at once.
func TestConcurrentClaimsNeverShareADelivery(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		mustSite(t, s, "blog")
		mustWebhook(t, s, "blog")
		for range 200 {
			newWebhookComment(t, s, "blog", comment.StatusApproved)
		}
		var (
			mu   sync.Mutex
			seen = map[int64]int{}
			wg   sync.WaitGroup
		)
		at := epoch.Add(time.Hour)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ds, err := s.ClaimDeliveries(context.Background(), at, at.Add(time.Minute), 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Errorf("%d deliveries claimed, want 200", len(seen))
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("delivery %d claimed %d times", id, n)
			}
		}
	})
}

// TestDeliveryThreadMigrationKeepsOldBodies migrates an outbox written before its rows
// held the thread's url and title in columns: the columns take the values the payload
// holds, so the body the dispatcher sends does not change; a ping is left alone.
func TestDeliveryThreadMigrationKeepsOldBodies(t *testing.T) {
	for _, engine := range sqlstoretest.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			ctx := context.Background()
			s, err := sqlstore.Open(ctx, engine.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := sqlstore.MigrateTo(ctx, s, 18); err != nil {
				t.Fatal(err)
			}
			db := sqlstore.WriteDB(s)
			// The site as schema 18 holds it: the store's CreateSite writes today's columns.
			if _, err := db.ExecContext(ctx, `INSERT INTO sites (id, name, policy, created_at) VALUES ('blog', 'Blog', 'none', 1)`); err != nil {
				t.Fatal(err)
			}
			w := mustWebhook(t, s, "blog")
			old := `{"type":"comment.published","timestamp":"2026-01-02T03:04:05Z","data":{"site":"blog",` +
				`"thread":{"key":"/p","url":"https://blog.example/p","title":"A \"post\""},"comment":{"id":41,"parent_id":0,` +
				`"author_name":"Ann","author_url":"","avatar_url":"/api/v1/avatars/a.svg","body_html":"<p>hi</p>",` +
				`"created_at":"2026-01-02T03:04:05Z","published_at":"2026-01-02T03:04:05Z"}}}`
			ping := `{"type":"webhook.ping","timestamp":"2026-01-02T03:04:05Z","data":{"endpoint_id":1,"site":"blog"}}`
			for _, row := range []struct {
				typ, payload string
				commentID    int64
			}{{"comment.published", old, 41}, {"webhook.ping", ping, 0}} {
				if _, err := db.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, comment_id,
					payload, status, next_attempt_at, created_at, updated_at) VALUES ($1, 'msg_old', $2, $3, $4, 'pending', 1, 1, 1)`,
					w.ID, row.typ, row.commentID, row.payload); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ds := claimAll(t, s, epoch.Add(time.Hour))
			if len(ds) != 2 || ds[0].ThreadURL != "https://blog.example/p" || ds[0].ThreadTitle != `A "post"` || ds[1].ThreadURL != "" {
				t.Fatalf("after migrating: %+v", ds)
			}
			for i, want := range []string{old, ping} {
				body, err := ds[i].Body()
				if err != nil {
					t.Fatal(err)
				}
				var got, was any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(want), &was); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, was) {
					t.Errorf("body %s, want %s", body, want)
				}
			}
		})
	}
}
