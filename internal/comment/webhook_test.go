package comment

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEventForStatusChanges(t *testing.T) {
	cases := []struct {
		name     string
		from, to Status
		want     EventType
	}{
		{"a new approved comment is published", "", StatusApproved, EventPublished},
		{"a new held comment says nothing", "", StatusPending, ""},
		{"approving publishes", StatusPending, StatusApproved, EventPublished},
		{"not-spam publishes", StatusSpam, StatusApproved, EventPublished},
		{"rejecting a published comment unpublishes", StatusApproved, StatusRejected, EventUnpublished},
		{"spam on a published comment unpublishes", StatusApproved, StatusSpam, EventUnpublished},
		{"deleting a published comment unpublishes", StatusApproved, StatusDeleted, EventUnpublished},
		{"rejecting a held comment says nothing", StatusPending, StatusRejected, ""},
		{"no change says nothing", StatusApproved, StatusApproved, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := EventFor(tc.from, tc.to); got != tc.want {
				t.Errorf("EventFor(%q, %q) = %q, want %q", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestCommentEventCarriesPublicFieldsOnly(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Comment{ID: 7, SiteID: "blog", ParentID: 3, AuthorName: "Ann", AuthorEmail: "ann.secret@example.org",
		AuthorURL: "https://ann.example", IP: "203.0.113.9", UserAgent: "SecretUA/1", AuthorKey: "privatekey",
		AvatarHash: "abc", BodySource: "raw source", BodyHTML: "<p>hi</p>", CreatedAt: at, PublishedAt: at}
	b := CommentEvent(EventPublished, at, c, Thread{Key: "/p", URL: "https://blog.example/p", Title: "P"}, "https://c.example/")
	for _, private := range []string{"ann.secret", "203.0.113.9", "SecretUA", "privatekey", "raw source"} {
		if strings.Contains(string(b), private) {
			t.Errorf("payload holds %q: %s", private, b)
		}
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	data := p["data"].(map[string]any)
	cm := data["comment"].(map[string]any)
	if p["type"] != "comment.published" || data["site"] != "blog" || cm["avatar_url"] != "https://c.example/api/v1/avatars/abc.svg" {
		t.Errorf("payload %s", b)
	}
}

func TestWebhookRotationKeepsTheOldSecretForADay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := Webhook{Secret: "whsec_old"}
	w.Rotate("whsec_new", now)
	if got := w.Secrets(now.Add(23 * time.Hour)); len(got) != 2 || got[0] != "whsec_new" || got[1] != "whsec_old" {
		t.Errorf("during the grace period: %v", got)
	}
	if got := w.Secrets(now.Add(WebhookRotationGrace)); len(got) != 1 || got[0] != "whsec_new" {
		t.Errorf("after it: %v", got)
	}
}
