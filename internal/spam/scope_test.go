package spam

import (
	"context"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// TestSiteViewsAddToTheSharedCounts checks the scoping the service scores with: a
// lesson in one site's view moves that site's score alone, and one in the shared
// counts moves every site's.
func TestSiteViewsAddToTheSharedCounts(t *testing.T) {
	shared := NewClassifier()
	for range 10 {
		shared.Learn(Tokens("subscribe to my channel for free money"), true, 1)
		shared.Learn(Tokens("what a lovely song, the chorus is great"), false, 1)
	}
	a, b := newView(shared), newView(shared)
	probe := Tokens("discounted widgetcoin tokens at coinpump exchange")
	score := func(c *Classifier) float64 { p, _ := c.Score(probe); return p }
	if pa, pb := score(a), score(b); pa != 0.5 || pb != 0.5 {
		t.Fatalf("before any lesson: a %.2f, b %.2f; want 0.5 (no clue)", pa, pb)
	}
	if sp, hm := a.Documents(); sp != 10 || hm != 10 {
		t.Fatalf("a's view counts %d/%d documents, want the shared 10/10", sp, hm)
	}

	for range 3 {
		a.Learn(Tokens("widgetcoin tokens discounted on coinpump exchange"), true, 1)
	}
	if p := score(a); p < 0.9 {
		t.Errorf("after site a's lessons a scores %.2f, want spam", p)
	}
	if p := score(b); p != 0.5 {
		t.Errorf("site a's lessons moved site b's score to %.2f", p)
	}
	if sp, hm := b.Documents(); sp != 10 || hm != 10 {
		t.Errorf("b's view counts %d/%d documents after a's lessons", sp, hm)
	}

	shared.Learn(Tokens("coinpump exchange is a scam, free money"), true, 1)
	if p := score(b); p <= 0.5 {
		t.Errorf("a shared lesson left site b at %.2f", p)
	}

	// Negative site counts (a decision learned in the shared scope, unlearned in the
	// site's) take back from the sum and never below zero.
	a.set([]TokenCounts{{Token: "coinpump", Spam: -5}, {Token: "", Spam: -100, Ham: 0}})
	if sp, _ := a.Documents(); sp != 0 {
		t.Errorf("documents summed below zero: %d", sp)
	}
	if p, _ := a.Score(Tokens("coinpump")); p != 0.5 {
		t.Errorf("a token the site took back scores %.2f, want 0.5", p)
	}
}

// TestScorerFindsTheSiteView checks that the service's scorer reads the submission's
// site scope.
func TestScorerFindsTheSiteView(t *testing.T) {
	m := NewModel(nil, nil)
	for range 10 {
		m.shared.Learn(Tokens("subscribe to my channel for free money"), true, 1)
		m.shared.Learn(Tokens("what a lovely song, the chorus is great"), false, 1)
	}
	for range 5 {
		m.scope("a").Learn(Tokens("widgetcoin tokens discounted on coinpump exchange"), true, 1)
	}
	s := NewModelScorer(m)
	body := "Discounted widgetcoin tokens at coinpump exchange"
	tests := []struct {
		site    string
		flagged bool
	}{{"a", true}, {"b", false}}
	for _, tt := range tests {
		v := s.Score(Input{Site: site.NewSite(tt.site, tt.site), Submission: comment.Submission{AuthorName: "R", Body: body}})
		if Caught(v) != tt.flagged {
			t.Errorf("site %s: verdict %+v, want caught %v", tt.site, v, tt.flagged)
		}
	}
}

// BenchmarkScoreSiteView is BenchmarkScore through a site's view: the shared counts
// hold the seed data and the site's hold a few hundred lessons of its own.
func BenchmarkScoreSiteView(b *testing.B) {
	st := site.Site{ID: "a", MaxLinks: 2, BlockedWords: []string{"casino", "viagra", "loan", "crypto", "replica"}}
	body := strings.Repeat("This is a perfectly ordinary comment about the article, with some thoughts. See https://example.org/notes for more. ", 6)[:600]
	in := Input{Site: st, Submission: comment.Submission{AuthorName: "Reader", AuthorEmail: "r@example.org", Body: body}, Links: 1}
	seed, err := BuiltinSeed()
	if err != nil {
		b.Fatal(err)
	}
	m := NewModel(nil, nil).WithSeed(seed)
	m.LearnExamples(context.Background(), Shared, append(loadData(b, videos[0]), loadData(b, videos[1])...))
	m.LearnExamples(context.Background(), "a", loadData(b, videos[2]))
	s := NewModelScorer(m)
	b.ReportAllocs()
	for b.Loop() {
		s.Score(in)
	}
}
