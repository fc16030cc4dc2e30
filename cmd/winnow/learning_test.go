package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
)

// TestModeratorsTeachTheClassifier is the online-learning journey: a campaign the seed
// data never saw gets through, moderators mark a handful as spam, and the next one is
// held; and the mirror: comments the seed data makes look spammy are held until
// moderators say "not spam", after which the next one is published.
func TestModeratorsTeachTheClassifier(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		seed := func() {
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"spam", "train", "../../../shared/data/spam/youtube/Youtube01-Psy.csv",
				"../../../shared/data/spam/youtube/Youtube02-KatyPerry.csv"}, func(k string) string { return env[k] }, &out, &errb)
			if err != nil {
				t.Fatalf("spam train: %v\n%s", err, errb.String())
			}
		}
		seed()
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		post := func(i int, body string) response {
			return in.submit("blog", submission("/p", map[string]any{"author_name": fmt.Sprintf("Reader %d", i),
				"author_email": fmt.Sprintf("r%d@example.org", i), "body": body}), nil)
		}
		campaign := []string{
			"Grab discounted widgetcoin tokens at coinpump exchange today",
			"Discounted widgetcoin tokens waiting at coinpump exchange",
			"Coinpump exchange lists widgetcoin tokens discounted now",
			"Widgetcoin tokens discounted on coinpump exchange this week",
			"Get widgetcoin tokens cheap via coinpump exchange",
		}
		first := post(0, campaign[0]).must(t, http.StatusCreated).json(t)
		ids := []int64{int64(num(first, "comment", "id"))}
		for i, body := range campaign[1:4] {
			a := post(i+1, body).json(t)
			ids = append(ids, int64(num(a, "comment", "id")))
		}
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
			body: map[string]any{"ids": ids, "action": "spam"}}).must(t, http.StatusOK)
		post(9, campaign[4]).must(t, http.StatusAccepted)

		// The mirror case: talk of channels and subscribing reads as spam to a model
		// seeded on YouTube comments, until moderators say otherwise.
		legit := []string{
			"My favourite channel for gardening tips is linked on the about page, worth a subscribe",
			"The gardening channel on the about page is worth a subscribe for tips",
			"Worth a subscribe: the gardening tips channel from the about page",
			"Subscribe to the gardening channel on the about page for tips",
			"That gardening tips channel from the about page deserves a subscribe",
		}
		var held []int64
		for i, body := range legit[:4] {
			a := post(20+i, body)
			if a.status == http.StatusAccepted {
				held = append(held, int64(num(a.json(t), "comment", "id")))
			}
		}
		if len(held) == 0 {
			t.Fatal("the seed data flagged none of the legitimate comments; the mirror case tests nothing")
		}
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
			body: map[string]any{"ids": held, "action": "not-spam"}}).must(t, http.StatusOK)
		post(30, legit[4]).must(t, http.StatusCreated)
	})
}
