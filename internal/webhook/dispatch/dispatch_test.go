package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/webhook"
)

func TestSignaturesVerifyWithTheReferenceLibrary(t *testing.T) {
	old, cur := webhook.NewSecret(), webhook.NewSecret()
	body := []byte(`{"type":"comment.published"}`)
	ts := time.Now().Unix()
	sig, err := Sign("msg_1", ts, body, []string{cur, old})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderID, "msg_1")
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	for _, s := range []string{cur, old} {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("verify with one of the secrets: %v", err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(webhook.NewSecret())
	if err := wh.Verify(body, h); err == nil {
		t.Error("a stranger's secret verified the signature")
	}
	if _, err := Sign("msg_1", ts, body, []string{"not-a-secret"}); err == nil {
		t.Error("a secret without whsec_ signed")
	}
}

func TestRetryableStatuses(t *testing.T) {
	cases := []struct {
		status int
		want   bool
	}{
		{500, true}, {502, true}, {503, true}, {408, true}, {409, true}, {429, true},
		{400, false}, {401, false}, {404, false}, {410, false}, {301, false},
	}
	for _, tc := range cases {
		if got := retryable(tc.status); got != tc.want {
			t.Errorf("retryable(%d) = %v, want %v", tc.status, got, tc.want)
		}
	}
}

func TestDefaultScheduleSpansADay(t *testing.T) {
	var total time.Duration
	for _, d := range DefaultSchedule() {
		total += d
	}
	if total < 20*time.Hour || total > 28*time.Hour {
		t.Errorf("the default schedule spans %s, want about a day", total)
	}
}

func TestAttemptRefusesALoopbackConsumerUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	del := webhook.Delivery{ID: 1, EventID: "msg_1", Payload: []byte(`{}`),
		Endpoint: webhook.Endpoint{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), Secret: webhook.NewSecret()}}
	a := New(nil, Options{Timeout: time.Second}).Attempt(context.Background(), del)
	if a.Status != webhook.DeliveryDead || !strings.Contains(a.Error, "not allowed") {
		t.Errorf("refused attempt %+v", a)
	}
	a = New(nil, Options{Timeout: time.Second, AllowPrivateNetworks: true}).Attempt(context.Background(), del)
	if a.Status != webhook.DeliveryDelivered || a.StatusCode != 200 {
		t.Errorf("allowed attempt %+v", a)
	}
}

func TestErrorsForTheLogCarryNoURL(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://hooks.example/services/T0/B0/SECRET", Err: errors.New("connection refused")}
	if got := withoutURL(fmt.Errorf("deliver: %w", err)); strings.Contains(got, "SECRET") || !strings.Contains(got, "connection refused") {
		t.Errorf("withoutURL = %q", got)
	}
}

// TestAttemptSendsTheBodyWithTheRowsColumns checks that the consumer gets, and the
// signature covers, the payload with the outbox row's columns set (the comment's id,
// its thread's url and title), and that a payload that cannot be read back is dead at
// once without a request.
func TestAttemptSendsTheBodyWithTheRowsColumns(t *testing.T) {
	var got []byte
	var sig, ts string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		sig, ts = r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp)
	}))
	defer srv.Close()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := comment.CommentNotice(comment.EventPublished, at, comment.Comment{SiteID: "blog", ThreadKey: "/p", CreatedAt: at}, "")
	del := webhook.Delivery{ID: 1, EventID: n.ID, Type: n.Type, CommentID: 9, Payload: n.Payload,
		ThreadURL: "https://blog.example/p", ThreadTitle: "P",
		Endpoint: webhook.Endpoint{URL: srv.URL, Secret: webhook.NewSecret()}}
	d := New(nil, Options{Timeout: time.Second, AllowPrivateNetworks: true})
	if a := d.Attempt(context.Background(), del); a.Status != webhook.DeliveryDelivered {
		t.Fatalf("attempt %+v", a)
	}
	want, err := del.Body()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) || !strings.Contains(string(got), `"id":9`) || !strings.Contains(string(got), `"url":"https://blog.example/p"`) {
		t.Errorf("sent %s, want %s", got, want)
	}
	unix, _ := strconv.ParseInt(ts, 10, 64)
	if signed, err := Sign(del.EventID, unix, want, del.Endpoint.Secrets(time.Now())); err != nil || sig != signed {
		t.Errorf("signature %q, want %q over the body (%v)", sig, signed, err)
	}
	got = nil
	del.Payload = []byte("{")
	if a := d.Attempt(context.Background(), del); a.Status != webhook.DeliveryDead || !strings.Contains(a.Error, "payload") || got != nil {
		t.Errorf("unreadable payload: attempt %+v, sent %q", a, got)
	}
}
