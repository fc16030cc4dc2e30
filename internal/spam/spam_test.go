package spam

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

func TestScoreRules(t *testing.T) {
	st := site.Site{MaxLinks: 2, BlockedWords: []string{"casino", "ass", "spam.example"}}
	ok := comment.Submission{AuthorName: "Ann", AuthorEmail: "ann@example.org", Body: "I enjoyed this class."}
	tests := []struct {
		name      string
		mutate    func(*Input)
		wantHold  bool
		minScore  float64
		maxScore  float64
		reasonHas string
	}{
		{"clean comment scores zero", func(*Input) {}, false, 0, 0, ""},
		{"blocked word inside a longer word does not fire", func(in *Input) { in.Submission.Body = "my class passed" }, false, 0, 0, ""},
		{"blocked word fires case-insensitively", func(in *Input) { in.Submission.Body = "Best CASINO here" }, false, 0.5, 0.7, `blocked word "casino" in body`},
		{"blocked word in the website", func(in *Input) { in.Submission.AuthorURL = "https://spam.example/x" }, false, 0.5, 0.7, "in website"},
		{"blocked word in the IP", func(in *Input) { in.IP = "casino" }, false, 0.5, 0.7, "in IP"},
		{"two blocked words add up", func(in *Input) { in.Submission.Body = "casino ass" }, false, 0.8, 0.9, ""},
		{"links at the limit hold", func(in *Input) { in.Links = 2 }, true, 0, 0, "2 links"},
		{"links under the limit pass", func(in *Input) { in.Links = 1 }, false, 0, 0, ""},
		{"link rule off at zero", func(in *Input) { in.Site.MaxLinks = 0; in.Links = 9 }, false, 0, 0, ""},
		{"honeypot is spam", func(in *Input) { in.Submission.Honeypot = "http://x" }, false, 0.99, 1, "honeypot"},
		{"akismet test author is spam", func(in *Input) { in.Submission.AuthorName = "akismet-guaranteed-spam" }, false, 0.99, 1, "akismet"},
		{"akismet's documented spam author is spam", func(in *Input) { in.Submission.AuthorName = "Viagra-Test-123" }, false, 0.99, 1, "viagra-test-123"},
		{"akismet's spam email is spam", func(in *Input) { in.Submission.AuthorEmail = "akismet-guaranteed-spam@example.com" }, false, 0.99, 1, "akismet"},
		{"author name that is a domain", func(in *Input) { in.Submission.AuthorName = "cheap-pills.com" }, false, 0.5, 0.8, "web address"},
		{"author name with spaces is a name", func(in *Input) { in.Submission.AuthorName = "Dr. Ann Lee" }, false, 0, 0, ""},
		{"bbcode links", func(in *Input) { in.Submission.Body = "[url=http://x.example]cheap[/url]" }, false, 0.8, 0.9, "BBCode"},
		{"a bare link", func(in *Input) { in.Submission.Body = "http://x.example/y"; in.Links = 1 }, false, 0.3, 0.4, "little but a link"},
		{"capitals alone do not hold", func(in *Input) { in.Submission.Body = "I REALLY LOVED THIS ARTICLE, THANK YOU" }, false, 0.1, 0.2, "capitals"},
		{"repetition", func(in *Input) { in.Submission.Body = "buy buy buy buy buy buy now" }, false, 0.1, 0.2, "repeats"},
		{"a script the site's readers do not use", func(in *Input) {
			in.Site.Scripts = []string{"Latin"}
			in.Submission.Body = "Очень интересная статья, спасибо автору"
		}, false, 0.35, 0.45, "written mostly in Cyrillic"},
		{"a site's own script", func(in *Input) {
			in.Site.Scripts = []string{"Latin", "Cyrillic"}
			in.Submission.Body = "Очень интересная статья, спасибо автору"
		}, false, 0, 0, ""},
		{"disposable email", func(in *Input) { in.Submission.AuthorEmail = "x@Mailinator.com" }, false, 0.3, 0.5, "disposable"},
		{"an author with more spam than approved", func(in *Input) { in.Author = comment.Author{Spam: 2, Approved: 1} }, false, 0.5, 0.7, "2 spam and 1 approved"},
		{"an author with a good record", func(in *Input) { in.Author = comment.Author{Spam: 1, Approved: 5} }, false, 0, 0, ""},
		{"an address that sent spam", func(in *Input) { in.AddressSpam, in.AddressApproved = 3, 1 }, false, 0.49, 0.51, "3 spam and 1 approved"},
		{"one spam from a shared address is not enough", func(in *Input) { in.AddressSpam = 1 }, false, 0, 0, ""},
		{"no form check, no form signal", func(in *Input) { in.Form = Form{} }, false, 0, 0, ""},
		{"a checked submission without a token", func(in *Input) { in.Form = Form{Checked: true} }, false, 0.19, 0.21, "no form token"},
		{"a forged token", func(in *Input) { in.Form = Form{Checked: true, Present: true} }, false, 0.49, 0.51, "does not match"},
		{"a form filled in a second", func(in *Input) { in.Form = Form{Checked: true, Present: true, Valid: true, Age: time.Second} }, false, 0.59, 0.61, "filled in 1.0 s"},
		{"a form filled in a minute", func(in *Input) { in.Form = Form{Checked: true, Present: true, Valid: true, Age: time.Minute} }, false, 0, 0, ""},
		{"a replayed token", func(in *Input) {
			in.Form = Form{Checked: true, Present: true, Valid: true, Age: time.Minute, Replayed: true}
		}, false, 0.59, 0.61, "used before"},
		{"an expired token", func(in *Input) { in.Form = Form{Checked: true, Present: true, Valid: true, Age: 25 * time.Hour} }, false, 0.29, 0.31, "expired"},
	}
	s := NewScorer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Site: st, Submission: ok}
			tt.mutate(&in)
			v := s.Score(in)
			if v.Hold != tt.wantHold || v.Score < tt.minScore || v.Score > tt.maxScore {
				t.Errorf("verdict %+v, want hold=%v score in [%v,%v]", v, tt.wantHold, tt.minScore, tt.maxScore)
			}
			if tt.reasonHas != "" && !strings.Contains(strings.Join(v.Reasons, "|"), tt.reasonHas) {
				t.Errorf("reasons %q lack %q", v.Reasons, tt.reasonHas)
			}
			if tt.reasonHas == "" && v.Score == 0 && !v.Hold && len(v.Reasons) != 0 {
				t.Errorf("reasons without a signal: %q", v.Reasons)
			}
		})
	}
}

func TestContainsWordHandlesNonLetterEdgesAndUnicode(t *testing.T) {
	tests := []struct {
		text, word string
		want       bool
	}{
		{"visit spam.example now", "spam.example", true},
		{"grüße aus köln", "köln", true},
		{"kölner", "köln", false},
		{"$$$ cash", "$$$", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := containsWord(strings.ToLower(tt.text), strings.ToLower(tt.word)); got != tt.want {
			t.Errorf("containsWord(%q, %q) = %v", tt.text, tt.word, got)
		}
	}
}

// BenchmarkScore scores a 600-byte comment as the service does: the rules, and the
// text models of an installation that learned the three YouTube files on top of the
// built-in seed.
func BenchmarkScore(b *testing.B) {
	st := site.Site{MaxLinks: 2, BlockedWords: []string{"casino", "viagra", "loan", "crypto", "replica"}}
	body := strings.Repeat("This is a perfectly ordinary comment about the article, with some thoughts. See https://example.org/notes for more. ", 6)[:600]
	in := Input{Site: st, Submission: comment.Submission{AuthorName: "Reader", AuthorEmail: "r@example.org", Body: body}, Links: 1}
	seed, err := BuiltinSeed()
	if err != nil {
		b.Fatal(err)
	}
	m := NewModel(nil, nil).WithSeed(seed)
	for _, v := range videos {
		m.LearnExamples(context.Background(), Shared, loadData(b, v))
	}
	s := NewModelScorer(m)
	b.ReportAllocs()
	for b.Loop() {
		s.Score(in)
	}
}
