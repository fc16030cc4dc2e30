package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// campaignTexts are one new campaign's variants, which the YouTube seed data never saw.
var campaignTexts = []string{
	"Cheap lumenfoil shares listed on quorbit market today",
	"Lumenfoil shares going cheap at quorbit market",
	"Quorbit market has lumenfoil shares cheap right now",
	"Buy lumenfoil shares cheap through quorbit market",
}

// campaignProbe is one more variant, posted to see the verdict.
const campaignProbe = "Lumenfoil shares are cheap on quorbit market this week"

// trainYouTube seeds the shared scope with two of the YouTube sets through the CLI.
func trainYouTube(t *testing.T, env map[string]string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"spam", "train", "../../internal/spam/testdata/youtube/Youtube01-Psy.csv",
		"../../internal/spam/testdata/youtube/Youtube02-KatyPerry.csv"}, func(k string) string { return env[k] }, &out, &errb)
	if err != nil {
		t.Fatalf("spam train: %v\n%s", err, errb.String())
	}
}

// prober posts the probe text under a new author each time, so that no rule about
// repeated authors or texts decides, and reports the answer's status and reasons.
type prober struct {
	t *testing.T
	n int
}

func (p *prober) post(in *instance, site string) (int, string) {
	p.t.Helper()
	p.n++
	r := in.submit(site, submission(fmt.Sprintf("/probe%d", p.n), map[string]any{"author_name": fmt.Sprintf("Prober %d", p.n),
		"author_email": fmt.Sprintf("prober%d@example.org", p.n), "body": campaignProbe}), nil)
	if r.status != http.StatusCreated && r.status != http.StatusAccepted {
		p.t.Fatalf("probe: status %d: %s", r.status, r.body)
	}
	id := int64(num(r.json(p.t), "comment", "id"))
	page := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/comments/%d", id), token: in.token}).must(p.t, http.StatusOK).json(p.t)
	c, _ := page["comment"].(map[string]any)
	return r.status, fmt.Sprint(c["reasons"])
}

// markCampaignSpam posts the campaign to site on in and marks it spam there.
func markCampaignSpam(t *testing.T, in *instance, site string) {
	t.Helper()
	var ids []int64
	for i, body := range campaignTexts {
		r := in.submit(site, submission("/p", map[string]any{"author_name": fmt.Sprintf("Campaigner %d", i),
			"author_email": fmt.Sprintf("c%d@example.org", i), "body": body}), nil)
		ids = append(ids, int64(num(r.json(t), "comment", "id")))
	}
	in.do(req{method: "POST", path: "/api/v1/admin/comments/bulk", token: in.token,
		body: map[string]any{"ids": ids, "action": "spam"}}).must(t, http.StatusOK)
}

// pollUntil probes until the status is want, failing after 30 s, and returns how long
// it took and the reasons of the last verdict.
func pollUntil(t *testing.T, p *prober, in *instance, site string, want int) (time.Duration, string) {
	t.Helper()
	began := time.Now()
	for {
		status, reasons := p.post(in, site)
		if status == want {
			return time.Since(began), reasons
		}
		if time.Since(began) > 30*time.Second {
			t.Fatalf("after 30 s the probe still gets %d (%s), want %d", status, reasons, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicasLearnFromEachOthersDecisions runs two replicas on one PostgreSQL: a
// campaign marked spam by a moderator on replica a is held when posted to replica b,
// for the classifier, within moments (PostgreSQL notifies b's model of the lesson).
func TestReplicasLearnFromEachOthersDecisions(t *testing.T) {
	env := map[string]string{"WINNOW_DATABASE_URL": postgresDSN(t), "WINNOW_DATA_DIR": t.TempDir()}
	trainYouTube(t, env)
	a := start(t, env)
	envB := map[string]string{}
	for k, v := range env {
		envB[k] = v
	}
	b := start(t, envB)
	b.token = a.token
	a.createSite("blog", map[string]any{"policy": "none"})
	p := &prober{t: t}
	if status, reasons := p.post(b, "blog"); status != http.StatusCreated {
		t.Fatalf("before any decision replica b holds the probe: %s", reasons)
	}
	markCampaignSpam(t, a, "blog")
	polled := p.n
	delay, reasons := pollUntil(t, p, b, "blog", http.StatusAccepted)
	if !strings.Contains(reasons, "classifier") {
		t.Errorf("replica b held the probe, but not for the classifier: %s", reasons)
	}
	t.Logf("a decision on replica a changed replica b's verdict within %v of the decision's answer (%d probes)",
		delay.Round(time.Millisecond), p.n-polled)
}

// TestSpamResetReachesTheRunningServer resets one site's model with the CLI while the
// server runs: what its moderators taught is gone from the server's verdicts within the
// sync period, and the shared training stays.
func TestSpamResetReachesTheRunningServer(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		trainYouTube(t, env)
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		p := &prober{t: t}
		markCampaignSpam(t, in, "blog")
		if status, reasons := p.post(in, "blog"); status != http.StatusAccepted || !strings.Contains(reasons, "classifier") {
			t.Fatalf("after the moderators' lessons the probe gets %d: %s", status, reasons)
		}
		getenv := func(k string) string { return env[k] }
		reset := func(args ...string) (string, error) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"spam", "reset"}, args...), getenv, &out, &errb)
			return out.String(), err
		}
		for _, args := range [][]string{nil, {"--site", "blog", "--shared"}, {"--site", "nosuch"}} {
			if _, err := reset(args...); err == nil {
				t.Errorf("spam reset %v succeeded", args)
			}
		}
		out, err := reset("--site", "blog")
		if err != nil || !strings.Contains(out, "site blog") {
			t.Fatalf("spam reset --site blog: %v %q", err, out)
		}
		delay, _ := pollUntil(t, p, in, "blog", http.StatusCreated)
		t.Logf("the running server forgot the site's lessons within %v", delay.Round(time.Millisecond))
		// What the shared scope learned stays: a YouTube-style comment still scores.
		r := in.submit("blog", submission("/yt", map[string]any{"author_name": "Viewer", "author_email": "v@example.org",
			"body": "Check out my channel and subscribe please, free gift cards"}), nil)
		id := int64(num(r.json(t), "comment", "id"))
		c := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/comments/%d", id), token: in.token}).must(t, http.StatusOK).json(t)["comment"].(map[string]any)
		if !strings.Contains(fmt.Sprint(c["reasons"]), "classifier") {
			t.Errorf("after resetting a site the shared training is gone too: %v", c["reasons"])
		}
	})
}
