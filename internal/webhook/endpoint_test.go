package webhook

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// TestDeliveryBodyFillsTheRowsColumns checks that what only the database knew when the
// outbox row was written (a new comment's id, its thread's URL and title) reaches the
// body from the row, whatever the service put in their place; and that other events
// go as stored.
func TestDeliveryBodyFillsTheRowsColumns(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := comment.CommentNotice(comment.EventUnpublished, at, comment.Comment{SiteID: "blog", ThreadKey: "/p", CreatedAt: at}, "")
	if n.Type != comment.EventUnpublished || !strings.HasPrefix(n.ID, "msg_") || !n.At.Equal(at) {
		t.Fatalf("notice %+v", n)
	}
	b, err := Delivery{Type: n.Type, CommentID: 42, Payload: n.Payload, ThreadURL: "https://blog.example/p?x=<1>", ThreadTitle: "Ti\"tle"}.Body()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Type      comment.EventType
		Timestamp time.Time
		Data      comment.CommentEventData
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != comment.EventUnpublished || !p.Timestamp.Equal(at) || p.Data.Comment.ID != 42 || p.Data.Comment.PublishedAt != nil ||
		p.Data.Thread != (comment.EventThread{Key: "/p", URL: "https://blog.example/p?x=<1>", Title: "Ti\"tle"}) {
		t.Errorf("body %s", b)
	}
	ping := PingEvent(at, Endpoint{ID: 3, SiteID: "blog"})
	if got, err := (Delivery{Type: comment.EventPing, Payload: ping}).Body(); err != nil || string(got) != string(ping) {
		t.Errorf("ping body %s (%v), want %s", got, err, ping)
	}
	if _, err := (Delivery{Type: comment.EventPublished, Payload: []byte("{")}).Body(); err == nil {
		t.Error("a broken payload gave a body")
	}
	if z := comment.CommentNotice("", at, comment.Comment{}, ""); z.Type != "" || z.Payload != nil {
		t.Errorf("no event built %+v", z)
	}
}

func TestWebhookRotationKeepsTheOldSecretForADay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := Endpoint{Secret: "whsec_old"}
	w.Rotate("whsec_new", now)
	if got := w.Secrets(now.Add(23 * time.Hour)); len(got) != 2 || got[0] != "whsec_new" || got[1] != "whsec_old" {
		t.Errorf("during the grace period: %v", got)
	}
	if got := w.Secrets(now.Add(RotationGrace)); len(got) != 1 || got[0] != "whsec_new" {
		t.Errorf("after it: %v", got)
	}
}

func TestPrivateAddressesAreNotDeliverable(t *testing.T) {
	cases := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"0.0.0.0", false}, {"::1", false},
		{"fe80::1", false}, {"fd00::1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false},
		{"64:ff9b::a9fe:a9fe", false}, {"64:ff9b::a00:1", false}, {"2002:a9fe:a9fe::1", false}, {"::7f00:1", false},
		{"2001:0:4136:e378::1", false}, {"100::1", false}, {"fec0::1", false},
		{"93.184.215.14", true}, {"2606:4700::1111", true}, {"8.8.8.8", true},
	}
	for _, tc := range cases {
		if got := DeliverableAddress(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("DeliverableAddress(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// TestWebhookURLsNamingPrivateAddressesAreRefused: a literal address that a delivery
// would refuse is refused at registration, with the field url, unless private networks
// are allowed; a name is left to the delivery-time check on what it resolves to.
func TestWebhookURLsNamingPrivateAddressesAreRefused(t *testing.T) {
	cases := []struct {
		url          string
		allowPrivate bool
		refused      bool
	}{
		{"http://127.0.0.1:8080/hook", false, true},
		{"http://127.0.0.1:8080/hook", true, false},
		{"https://10.0.0.5/hook", false, true},
		{"http://169.254.169.254/latest/meta-data", false, true},
		{"http://[::1]/hook", false, true},
		{"http://[::ffff:127.0.0.1]/hook", false, true},
		{"http://[fe80::1%25eth0]/hook", false, true},
		{"http://0.0.0.0/", false, true},
		{"https://93.184.215.14/hook", false, false},
		{"https://[2606:4700::1111]/hook", false, false},
		{"https://hooks.example/winnow", false, false},
		{"http://localhost/hook", false, false}, // a name: judged at delivery, on its address
	}
	for _, tc := range cases {
		w := Endpoint{SiteID: "blog", URL: tc.url, Secret: NewSecret()}
		w.Normalize()
		err := w.Validate(tc.allowPrivate)
		var ve *comment.ValidationError
		switch {
		case tc.refused && (!errors.As(err, &ve) || ve.Fields["url"] == "" || len(ve.Fields) != 1):
			t.Errorf("%s (allow private %v): %v, want a refusal of url", tc.url, tc.allowPrivate, err)
		case !tc.refused && err != nil:
			t.Errorf("%s (allow private %v): %v", tc.url, tc.allowPrivate, err)
		}
	}
}

func TestCommentEventCarriesPublicFieldsOnly(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := comment.Comment{ID: 7, SiteID: "blog", ParentID: 3, AuthorName: "Ann", AuthorEmail: "ann.secret@example.org",
		AuthorURL: "https://ann.example", IP: "203.0.113.9", UserAgent: "SecretUA/1", AuthorKey: "privatekey",
		AvatarHash: "abc", BodySource: "raw source", BodyHTML: "<p>hi</p>", CreatedAt: at, PublishedAt: at}
	c.ThreadKey = "/p"
	n := comment.CommentNotice(comment.EventPublished, at, c, "https://c.example/")
	d := Delivery{Type: n.Type, EventID: n.ID, CommentID: 7, Payload: n.Payload, ThreadURL: "https://blog.example/p", ThreadTitle: "P"}
	b, err := d.Body()
	if err != nil {
		t.Fatal(err)
	}
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
	th := data["thread"].(map[string]any)
	if p["type"] != "comment.published" || data["site"] != "blog" || cm["avatar_url"] != "https://c.example/api/v1/avatars/abc.svg" ||
		cm["id"] != float64(7) || cm["parent_id"] != float64(3) || cm["published_at"] != "2026-01-02T03:04:05Z" ||
		th["key"] != "/p" || th["url"] != "https://blog.example/p" || th["title"] != "P" {
		t.Errorf("payload %s", b)
	}
}
