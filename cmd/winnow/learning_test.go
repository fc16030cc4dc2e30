package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
			err := run(context.Background(), []string{"spam", "train", "../../internal/spam/testdata/youtube/Youtube01-Psy.csv",
				"../../internal/spam/testdata/youtube/Youtube02-KatyPerry.csv"}, func(k string) string { return env[k] }, &out, &errb)
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

// TestSitesLearnApart is the multi-site journey: two sites on one installation start
// from the same seed; moderators of site a mark a new campaign as spam until site a
// holds it, while the same text on site b gets the verdict it got before, so no
// site's moderators, careless or hostile, decide another site's verdicts. Then
// `spam train --site` seeds site b's own scope, and b holds the campaign too.
func TestSitesLearnApart(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		getenv := func(k string) string { return env[k] }
		train := func(args ...string) error {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"spam", "train"}, args...), getenv, &out, &errb)
			if err != nil {
				return fmt.Errorf("%w\n%s", err, errb.String())
			}
			return nil
		}
		if err := train("../../internal/spam/testdata/youtube/Youtube01-Psy.csv", "../../internal/spam/testdata/youtube/Youtube02-KatyPerry.csv"); err != nil {
			t.Fatalf("spam train: %v", err)
		}
		in := start(t, env)
		in.createSite("a", map[string]any{"policy": "none"})
		in.createSite("b", map[string]any{"policy": "none"})
		reader := 0
		post := func(in *instance, site, body string) response {
			reader++
			return in.submit(site, submission("/p", map[string]any{"author_name": fmt.Sprintf("Reader %d", reader),
				"author_email": fmt.Sprintf("r%d@example.org", reader), "body": body}), nil)
		}
		// verdict is a comment's score and reasons, as a moderator reads them.
		verdict := func(in *instance, site string, id int64) string {
			page := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=all&site=" + site, token: in.token}).must(t, http.StatusOK).json(t)
			for _, c := range list(page, "comments") {
				if c := c.(map[string]any); int64(c["id"].(float64)) == id {
					return fmt.Sprint(c["status"], c["score"], c["reasons"])
				}
			}
			t.Fatalf("comment %d not listed on site %s", id, site)
			return ""
		}
		campaign := []string{
			"Grab discounted widgetcoin tokens at coinpump exchange today",
			"Discounted widgetcoin tokens waiting at coinpump exchange",
			"Coinpump exchange lists widgetcoin tokens discounted now",
			"Widgetcoin tokens discounted on coinpump exchange this week",
			"Get widgetcoin tokens cheap via coinpump exchange",
		}
		probe := campaign[4]
		onB := int64(num(post(in, "b", probe).must(t, http.StatusCreated).json(t), "comment", "id"))
		before := verdict(in, "b", onB)

		var ids []int64
		for _, body := range campaign[:4] {
			ids = append(ids, int64(num(post(in, "a", body).json(t), "comment", "id")))
		}
		in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
			body: map[string]any{"ids": ids, "action": "spam"}}).must(t, http.StatusOK)
		held := int64(num(post(in, "a", probe).must(t, http.StatusAccepted).json(t), "comment", "id"))
		if v := verdict(in, "a", held); !strings.Contains(v, "classifier") {
			t.Errorf("site a held the campaign, but not for the classifier: %s", v)
		}

		again := int64(num(post(in, "b", probe).must(t, http.StatusCreated).json(t), "comment", "id"))
		if after := verdict(in, "b", again); after != before {
			t.Errorf("site a's lessons changed site b's verdict:\nbefore %s\nafter  %s", before, after)
		}

		// Seeding one site's scope: an unknown site is an error, a known one learns.
		if err := train("--site", "nosuch", "../../internal/spam/testdata/youtube/Youtube01-Psy.csv"); err == nil || !strings.Contains(err.Error(), `no site "nosuch"`) {
			t.Errorf("spam train --site nosuch: %v", err)
		}
		labeled := filepath.Join(t.TempDir(), "b.txt")
		var lines []string
		for _, body := range campaign[:4] {
			lines = append(lines, "spam\t"+body)
		}
		if err := os.WriteFile(labeled, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := train("--site", "b", labeled); err != nil {
			t.Fatalf("spam train --site b: %v", err)
		}
		// A restarted server loads the new counts at once (a running one within its sync period).
		token := in.token
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
		in = start(t, env)
		in.token = token
		post(in, "b", probe).must(t, http.StatusAccepted)
	})
}
