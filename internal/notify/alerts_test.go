package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/notify"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

// TestAdminsHearOfDeadDeliveries: deliveries that used up their retries make one mail
// per endpoint to each admin who has not turned mail off, naming the endpoint by its
// host only, and the next sweep says nothing more.
func TestAdminsHearOfDeadDeliveries(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		r := newRig(t, s)
		r.user("admin@example.org", auth.RoleAdmin)
		quiet := r.user("quiet@example.org", auth.RoleAdmin)
		r.user("mod@example.org", auth.RoleModerator, "blog")
		off := notify.Off
		must(t, r.svc.SetPreferences(r.ctx, principal(quiet), &off, nil))
		if _, err := r.svc.SweepDeadDeliveries(r.ctx); err != nil { // starts the position now
			t.Fatal(err)
		}
		ep := webhook.Endpoint{SiteID: "blog", URL: "https://hooks.example/services/T0/SECRET-PATH?token=s3", Secret: webhook.NewSecret()}
		ep.Normalize()
		must(t, s.CreateWebhook(r.ctx, &ep))
		for i := range 2 {
			r.now = r.now.Add(time.Second)
			d := webhook.Delivery{EndpointID: ep.ID, EventID: "msg_" + itoa(int64(i)), Type: comment.EventPublished, CommentID: int64(i + 1),
				Payload: []byte(`{}`), CreatedAt: r.now}
			must(t, s.EnqueueDelivery(r.ctx, &d))
			ds, err := s.ClaimDeliveries(r.ctx, r.now, r.now.Add(time.Minute), 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("claim: %v %v", ds, err)
			}
			must(t, s.RecordAttempt(r.ctx, webhook.Attempt{DeliveryID: d.ID, LeaseUntil: ds[0].LeaseUntil, Status: webhook.DeliveryDead,
				StatusCode: 410, Error: "HTTP 410", At: r.now}))
		}
		r.now = r.now.Add(5 * time.Second)
		before := r.lastMailID()
		n, err := r.svc.SweepDeadDeliveries(r.ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep queued %d (%v), want 1: the admin's", n, err)
		}
		m, err := s.Mail(r.ctx, before+1)
		if err != nil {
			t.Fatal(err)
		}
		if m.To != "admin@example.org" || m.Kind != email.KindAlert || !strings.Contains(m.Body, "2 webhook deliveries") ||
			!strings.Contains(m.Body, "HTTP 410") || !strings.Contains(m.Body, "/admin/sites/blog/webhooks/"+itoa(ep.ID)) {
			t.Errorf("alert to %s:\n%s", m.To, m.Body)
		}
		if strings.Contains(m.Body+m.Subject, "SECRET") || strings.Contains(m.Body+m.Subject, "s3") {
			t.Errorf("the alert shows the endpoint's path or query:\n%s", m.Body)
		}
		if n, err := r.svc.SweepDeadDeliveries(r.ctx); err != nil || n != 0 {
			t.Errorf("a second sweep queued %d (%v)", n, err)
		}
	})
}
