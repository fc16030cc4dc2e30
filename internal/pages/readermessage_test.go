package pages

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/i18n"
	"github.com/winnow/winnow/web"
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
	en := catalogs(t).Lang("en")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.Thread = "/p"
			var ve *comment.ValidationError
			if err := tt.sub.Validate(); !errors.As(err, &ve) {
				t.Fatalf("Validate: %v, want a validation error", err)
			}
			if got := readerMessage(en, ve.Fields[tt.field]); got != tt.want {
				t.Errorf("%s %q reads %q, want %q", tt.field, ve.Fields[tt.field], got, tt.want)
			}
		})
	}
	if got := readerMessage(en, "something new"); got != "something new" {
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
		if got := waitNotice(catalogs(t).Lang("en"), tt.retry); !strings.Contains(got, tt.want) {
			t.Errorf("waitNotice(%s) = %q, want %q in it", tt.retry, got, tt.want)
		}
	}
}

// TestReaderMessagesSpeakTheReadersLanguage: the same errors in other languages, with
// their plural forms.
func TestReaderMessagesSpeakTheReadersLanguage(t *testing.T) {
	cs := catalogs(t)
	for _, tt := range []struct {
		lang, msg, want string
	}{
		{"de", "required", "Dieses Feld ist erforderlich."},
		{"fr", "not a valid email address", "Veuillez saisir une adresse e-mail valide."},
		{"pl", "at most 100 characters", "Maksymalnie 100 znaków."},
		{"pl", "at most 254 characters", "Maksymalnie 254 znaki."},
		{"ru", "at most 2048 characters", "Не более 2048 символов."},
		{"ar", "must be an http or https URL", "يُرجى إدخال عنوان ويب يبدأ بـ http:// أو https://."},
		{"ja", "at most 100 characters", "100 文字以内で入力してください。"},
	} {
		if got := readerMessage(cs.Lang(tt.lang), tt.msg); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.lang, tt.msg, got, tt.want)
		}
	}
	for _, tt := range []struct {
		lang  string
		retry time.Duration
		want  string
	}{
		{"de", 30 * time.Second, "Bitte versuche es in 30 Sekunden erneut."},
		{"ru", 21 * time.Second, "через 21 секунду."},
		{"ru", 5 * time.Minute, "через 5 минут."},
		{"pl", 3 * time.Minute, "za 3 minuty."},
		{"ar", 2 * time.Second, "بعد ثانيتين."},
	} {
		if got := waitNotice(cs.Lang(tt.lang), tt.retry); !strings.HasSuffix(got, tt.want) {
			t.Errorf("%s, %s: %q, want it to end in %q", tt.lang, tt.retry, got, tt.want)
		}
	}
}

func catalogs(t *testing.T) *i18n.Catalogs {
	t.Helper()
	cs, err := i18n.Load(web.I18n())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestARefusedFormIsShownAgainAsValidText(t *testing.T) {
	got := shownAgain(comment.Submission{AuthorName: "Ann\xff", Body: "caf\xc3 ok", Thread: "/p"})
	if got.AuthorName != "Ann\uFFFD" || got.Body != "caf\uFFFD ok" || got.Thread != "/p" {
		t.Errorf("shown again as %+v", got)
	}
}
