package comment

import (
	"errors"
	"testing"
)

// TestVisibleTextAndDirectionControls holds a name and a body to the rules for the
// text people type: NFC, something visible, no direction overrides (refused in a
// name, dropped from a body). Each case goes through Normalize and Validate, as
// every submission, author edit and form post does.
func TestVisibleTextAndDirectionControls(t *testing.T) {
	tests := []struct {
		name  string
		field string // author_name or body
		in    string
		want  string // the stored form when accepted
		err   string // the field's message when refused; "" when accepted
	}{
		// Names that show nothing.
		{"zero-width space alone", "author_name", "\u200B", "", "must contain a visible character"},
		{"Hangul filler alone", "author_name", "\u3164", "", "must contain a visible character"},
		{"Hangul choseong and jungseong fillers", "author_name", "\u115F\u1160", "", "must contain a visible character"},
		{"halfwidth Hangul filler", "author_name", "\uFFA0\uFFA0", "", "must contain a visible character"},
		{"blank Braille pattern", "author_name", "\u2800", "", "must contain a visible character"},
		{"zero-width joiner alone", "author_name", "\u200D", "", "must contain a visible character"},
		{"byte order mark", "author_name", "\uFEFF", "", "must contain a visible character"},
		{"combining grapheme joiner", "author_name", "\u034F", "", "must contain a visible character"},
		{"variation selector", "author_name", "\uFE0F", "", "must contain a visible character"},
		{"right-to-left mark alone", "author_name", "\u200F", "", "must contain a visible character"},
		{"soft hyphen and word joiner", "author_name", "\u00AD\u2060", "", "must contain a visible character"},
		{"en quad to hair space trim to nothing", "author_name", "\u2000\u2005\u200A", "", "required"},
		// Names that show something else than they are.
		{"right-to-left override", "author_name", "admin\u202Etxt.exe", "", "must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)"},
		{"left-to-right embedding", "author_name", "\u202AAnn", "", "must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)"},
		{"first strong isolate", "author_name", "Ann \u2068Lee\u2069", "", "must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)"},
		{"line separator", "author_name", "Ann\u2028Lee", "", "contains control characters"},
		// Names people have.
		{"plain", "author_name", "Ann", "Ann", ""},
		{"emoji is visible", "author_name", "🦊", "🦊", ""},
		{"emoji with a variation selector", "author_name", "\u2764\uFE0F", "\u2764\uFE0F", ""},
		{"combining mark on a letter becomes one character", "author_name", "Rene\u0301e", "Renée", ""},
		// A combining mark needs a letter to sit on: alone it is a stray accent, an
		// overlay stroke or nothing at all.
		{"a combining mark alone", "author_name", "\u0301", "", "must contain a visible character"},
		{"combining overlays alone", "author_name", "\u0336\u0336\u20DD", "", "must contain a visible character"},
		{"Khitan small script filler", "author_name", "\U00016FE4", "", "must contain a visible character"},
		{"musical augmentation dots", "author_name", "\U0001D16D\U0001D16D", "", "must contain a visible character"},
		{"musical null notehead", "author_name", "\U0001D159", "", "must contain a visible character"},
		{"Mongolian vowel separator", "author_name", "\u180E", "", "must contain a visible character"},
		{"invisible operators", "author_name", "\u2061\u2062\u2063\u2064", "", "must contain a visible character"},
		{"deprecated format characters", "author_name", "\u206A\u206F", "", "must contain a visible character"},
		{"tag characters", "author_name", "\U000E0001\U000E0041\U000E007F", "", "must contain a visible character"},
		{"variation selector supplement", "author_name", "\U000E0100", "", "must contain a visible character"},
		{"Arabic letter mark", "author_name", "\u061C", "", "must contain a visible character"},
		{"marks on a filler", "author_name", "\u3164\u0301", "", "must contain a visible character"},
		{"a mark on a letter is a letter", "author_name", "n\u0303", "ñ", ""},
		{"Thai with its marks", "author_name", "สมชาย", "สมชาย", ""},
		{"Devanagari with its marks", "author_name", "देवी", "देवी", ""},
		{"CJK", "author_name", "李小龍", "李小龍", ""},
		{"Hangul, and a filler inside a real name", "author_name", "김\u3164민준", "김\u3164민준", ""},
		{"Arabic with a right-to-left mark kept", "author_name", "محمد\u200F", "محمد\u200F", ""},
		{"Persian with a zero-width non-joiner kept", "author_name", "می\u200Cخواهم", "می\u200Cخواهم", ""},

		// Bodies that show nothing.
		{"byte order mark body", "body", "\uFEFF", "", "must contain a visible character"},
		{"blank Braille body", "body", "\u2800\u2800\n\u2800", "", "must contain a visible character"},
		{"joiners only", "body", "\u200D\u200C\u200D", "", "must contain a visible character"},
		{"Hangul filler body", "body", "\u3164", "", "must contain a visible character"},
		{"combining marks body", "body", "\u0301\u0489\n\u1AB0", "", "must contain a visible character"},
		{"null noteheads body", "body", "\U0001D159 \U0001D159", "", "must contain a visible character"},
		{"override alone is dropped, leaving nothing", "body", "\u202E", "", "required"},
		// Bodies that keep their words and lose their overrides.
		{"override stripped from a body", "body", "see admin\u202Etxt.exe", "see admintxt.exe", ""},
		{"isolates stripped from a body", "body", "\u2067שלום\u2069 world", "שלום world", ""},
		{"Arabic with a right-to-left mark keeps it", "body", "مرحبا\u200F (123)!", "مرحبا\u200F (123)!", ""},
		{"emoji family keeps its joiners", "body", "👨\u200D👩\u200D👧", "👨\u200D👩\u200D👧", ""},
		{"decomposed text is stored composed", "body", "Cafe\u0301 au lait", "Café au lait", ""},
		{"a line separator in a body is a line break", "body", "one\u2028two", "one\u2028two", ""},
		{"CR line ends are newlines", "body", "one\rtwo\r\rthree\r\n", "one\ntwo\n\nthree", ""},
		{"CJK body", "body", "写得很好。", "写得很好。", ""},
		{"invalid UTF-8 is refused, not mended by the stripping", "body", "\xff\u202Ex", "", "must be valid UTF-8"},
		{"invalid UTF-8 in a name is refused, not mended by NFC", "author_name", "e\u0301\xff", "", "must be valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Submission{Thread: "/p", AuthorName: "Ann", AuthorEmail: "ann@example.org", Body: "Hi"}
			got := &s.Body
			if tt.field == "author_name" {
				got = &s.AuthorName
			}
			*got = tt.in
			s.Normalize()
			err := s.Validate()
			var ve *ValidationError
			if tt.err == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if *got != tt.want {
					t.Errorf("stored %+q, want %+q", *got, tt.want)
				}
				return
			}
			if !errors.As(err, &ve) || ve.Fields[tt.field] != tt.err {
				t.Fatalf("err = %v, want %s: %s", err, tt.field, tt.err)
			}
			if len(ve.Fields) != 1 {
				t.Errorf("other fields refused too: %v", ve.Fields)
			}
		})
	}
}

// TestAnInvisibleTitleIsNoTitle: the page title is an optional claim; one that
// shows nothing is dropped rather than published or held against the comment.
func TestAnInvisibleTitleIsNoTitle(t *testing.T) {
	for in, want := range map[string]string{
		"\u200B\u3164": "", "\u202E": "", "\u2800 ": "", "A post\u202E": "A post", "\u3164Ann": "\u3164Ann",
	} {
		s := Submission{Thread: "/p", ThreadTitle: in, AuthorName: "Ann", AuthorEmail: "ann@example.org", Body: "Hi"}
		s.Normalize()
		if err := s.Validate(); err != nil || s.ThreadTitle != want {
			t.Errorf("title %+q: stored %+q (%v), want %+q", in, s.ThreadTitle, err, want)
		}
	}
}

// TestModeratorTextFollowsTheBodyRules: a moderator's edit and reply go through
// NormalizeBody and ValidateBody, the body rules of a submission.
func TestModeratorTextFollowsTheBodyRules(t *testing.T) {
	for in, want := range map[string]string{
		"\uFEFF":                     "must contain a visible character",
		"\u2800":                     "must contain a visible character",
		"\u202E\u2066":               "required",
		"fine \u202Eexe.txt":         "",
		"ok\r\n\u2067שלום\u2069\r\n": "",
	} {
		body := NormalizeBody(in)
		err := ValidateBody(body)
		var ve *ValidationError
		switch {
		case want == "" && err != nil:
			t.Errorf("%+q refused: %v", in, err)
		case want == "" && hasBidiControl(body):
			t.Errorf("%+q kept its direction controls: %+q", in, body)
		case want != "" && (!errors.As(err, &ve) || ve.Fields["body"] != want):
			t.Errorf("%+q: err = %v, want body: %s", in, err, want)
		}
	}
}
