package intake

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/winnow/winnow/internal/comment"
)

// TestCheckJudgesAndStoresNothing judges other systems' comments with the submit
// pipeline's judging step: the store is read (the author's record) and never written
// (the fake fails a test that writes), nothing is required, and Akismet's test author
// is spam while a reader's comment is not.
func TestCheckJudgesAndStoresNothing(t *testing.T) {
	reads := 0
	st := fakeStore{t: t, author: func(string) (comment.Author, error) { reads++; return comment.Author{}, nil }}
	s := newService(st)
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		sub      comment.Submission
		min, max float64
	}{
		{"a reader's comment", comment.Submission{Thread: "/p", AuthorName: "Ann", AuthorEmail: "ann@example.org", Body: "Thanks, this helped."}, 0, 0.5},
		{"Akismet's test author", comment.Submission{Thread: "/p", AuthorName: "viagra-test-123", Body: "Hello."}, 0.99, 1},
		{"no text, no email (a sign-up)", comment.Submission{AuthorName: "Ann"}, 0, 0.5},
		{"a honeypot filled in", comment.Submission{Thread: "/p", AuthorName: "Bot", Body: "Nice.", Honeypot: "http://x.example"}, 0.99, 1},
		{"a text longer than winnow's limit", comment.Submission{Thread: "/p", AuthorName: "Ann", Body: strings.Repeat("word ", 5000)}, 0, 1},
	} {
		v, err := s.Check(ctx, blogSite, tt.sub, Meta{IP: "203.0.113.5", UserAgent: "Mozilla/5.0"})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if v.Score < tt.min || v.Score > tt.max {
			t.Errorf("%s: score %.2f, want %.2f..%.2f (%v)", tt.name, v.Score, tt.min, tt.max, v.Reasons)
		}
	}
	if reads != 5 {
		t.Errorf("the author's record was read %d times for 5 checks", reads)
	}
}

// TestForeign cuts another system's comment to winnow's limits and drops what is not
// text, refusing nothing.
func TestForeign(t *testing.T) {
	sub := Foreign(comment.Submission{
		AuthorName: " " + strings.Repeat("n", 300) + " ", AuthorEmail: "a\xffb@example.org",
		Body: strings.Repeat("é", comment.MaxBodyLen+10), ThreadURL: "https://blog.example/p",
	})
	if n := utf8.RuneCountInString(sub.AuthorName); n != comment.MaxNameLen {
		t.Errorf("name of %d characters, want %d", n, comment.MaxNameLen)
	}
	if sub.AuthorEmail != "ab@example.org" {
		t.Errorf("email %q, want the invalid byte dropped", sub.AuthorEmail)
	}
	if n := utf8.RuneCountInString(sub.Body); n != comment.MaxBodyLen || !utf8.ValidString(sub.Body) {
		t.Errorf("body of %d characters (valid: %v), want %d", n, utf8.ValidString(sub.Body), comment.MaxBodyLen)
	}
	if sub.ThreadURL != "https://blog.example/p" {
		t.Errorf("thread URL %q changed", sub.ThreadURL)
	}
}
