package pages

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// TestReaderMessage: every error the thread page's form fields can get from
// comment.Submission.Validate reads as a sentence for a reader, not as the API's terse
// words; a change of those words that the page does not follow fails here.
func TestReaderMessage(t *testing.T) {
	long := strings.Repeat("a", comment.MaxNameLen+1)
	tests := []struct {
		name  string
		sub   comment.Submission
		field string
		want  string
	}{
		{"missing body", comment.Submission{AuthorName: "Ann", AuthorEmail: "a@example.org"}, "body", "This field is required."},
		{"invisible name", comment.Submission{AuthorName: "\u200b", AuthorEmail: "a@example.org", Body: "hi"}, "author_name",
			"Please write something visible: spaces and invisible characters alone do not count."},
		{"blank Braille body", comment.Submission{AuthorName: "Ann", AuthorEmail: "a@example.org", Body: "\u2800"}, "body",
			"Please write something visible: spaces and invisible characters alone do not count."},
		{"override in a name", comment.Submission{AuthorName: "a\u202eb", AuthorEmail: "a@example.org", Body: "hi"}, "author_name",
			"Contains characters that reverse the direction of the text, which are not allowed here."},
		{"invalid UTF-8", comment.Submission{AuthorName: "a\xff", AuthorEmail: "a@example.org", Body: "hi"}, "author_name",
			"Contains characters that are not allowed."},
		{"control character", comment.Submission{AuthorName: "a\x07", AuthorEmail: "a@example.org", Body: "hi"}, "author_name",
			"Contains characters that are not allowed."},
		{"long name", comment.Submission{AuthorName: long, AuthorEmail: "a@example.org", Body: "hi"}, "author_name", "At most 100 characters."},
		{"bad email", comment.Submission{AuthorName: "Ann", AuthorEmail: "ann@", Body: "hi"}, "author_email", "Please enter a valid email address."},
		{"bad website", comment.Submission{AuthorName: "Ann", AuthorEmail: "a@example.org", AuthorURL: "javascript:x", Body: "hi"}, "author_url",
			"Please enter a web address starting with http:// or https://."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.Thread = "/p"
			var ve *comment.ValidationError
			if err := tt.sub.Validate(); !errors.As(err, &ve) {
				t.Fatalf("Validate: %v, want a validation error", err)
			}
			if got := readerMessage(ve.Fields[tt.field]); got != tt.want {
				t.Errorf("%s %q reads %q, want %q", tt.field, ve.Fields[tt.field], got, tt.want)
			}
		})
	}
	if got := readerMessage("something new"); got != "something new" {
		t.Errorf("an unknown message became %q", got)
	}
}

func TestTheRateNoticeSaysHowLongToWait(t *testing.T) {
	for _, tt := range []struct {
		retry time.Duration
		want  string
	}{
		{0, "in a second"},
		{300 * time.Millisecond, "in a second"},
		{9*time.Second + time.Millisecond, "in 10 seconds"},
		{90 * time.Second, "in 90 seconds"},
		{10 * time.Minute, "in 10 minutes"},
	} {
		if got := waitNotice(tt.retry); !strings.Contains(got, tt.want) {
			t.Errorf("waitNotice(%s) = %q, want %q in it", tt.retry, got, tt.want)
		}
	}
}

func TestARefusedFormIsShownAgainAsValidText(t *testing.T) {
	got := shownAgain(comment.Submission{AuthorName: "Ann\xff", Body: "caf\xc3 ok", Thread: "/p"})
	if got.AuthorName != "Ann\uFFFD" || got.Body != "caf\uFFFD ok" || got.Thread != "/p" {
		t.Errorf("shown again as %+v", got)
	}
}
