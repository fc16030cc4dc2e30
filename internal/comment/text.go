package comment

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file holds the rules for the text people type: one canonical form (NFC), and
// no text that shows nothing or shows something else than it says.

// NormalizeLine is the stored form of one line of free text (a name, a title, a web
// address): trimmed and in Unicode Normalization Form C, so "é" typed as one character
// or as "e" and a combining accent is the same text to every comparison, limit and
// block list after it. Text that is not valid UTF-8 is left as it is, for validation
// to refuse: normalizing it would replace the bad bytes and hide them.
func NormalizeLine(s string) string {
	if !utf8.ValidString(s) {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

// normalizeText is normalizeLine for text shown as written (a body, a page title):
// its explicit direction controls are dropped too (see isBidiControl).
func normalizeText(s string) string {
	if !utf8.ValidString(s) {
		return strings.TrimSpace(s)
	}
	if strings.IndexFunc(s, isBidiControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isBidiControl(r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

// isBidiControl reports the explicit directional embeddings, overrides and isolates
// (U+202A-U+202E, U+2066-U+2069). They reorder the text around them on screen, so
// "admin\u202Etxt.exe" reads "adminexe.txt": a name may not hold them, and a body
// or title loses them.
//
// The implicit marks U+200E LRM, U+200F RLM and U+061C ALM are kept, in names and
// bodies alike: they are how right-to-left writers place a neutral character (a
// bracket, a number, a full stop) on the right side of a run, they never reverse a
// run of letters, and removing them would garble legitimate Arabic and Hebrew text.
// They count as no visible character, so they cannot make a name or body by
// themselves.
func isBidiControl(r rune) bool {
	return ('\u202A' <= r && r <= '\u202E') || ('\u2066' <= r && r <= '\u2069')
}

// RemovedFromBody reports the characters no rendered body shows: the direction
// controls a body loses (see isBidiControl) and the control characters it may not
// hold, but for line feed and tab. Validation keeps them out of a body's source; the
// sanitizer drops them from the HTML it renders, where a character reference
// ("&#x202E;", "&#27;") would otherwise bring them back.
func RemovedFromBody(r rune) bool {
	return isBidiControl(r) || unicode.IsControl(r) && r != '\n' && r != '\t'
}

func hasBidiControl(s string) bool {
	return strings.IndexFunc(s, isBidiControl) >= 0
}

// hasVisible reports whether s holds at least one character that shows by itself: a
// letter, number, punctuation or symbol that is not a format character (Cf: zero-width
// space and joiners, the byte order mark, direction marks) nor one of the characters
// that pass unicode.IsGraphic but draw nothing (see isBlank). A name or a body made
// only of such characters would publish an empty-looking comment. Combining marks
// (M) count only with a base character to sit on: alone they draw nothing at all
// (U+16FE4 KHITAN SMALL SCRIPT FILLER, U+1D16D), or a stray accent or overlay
// stroke that no reader can tell from an empty name.
func hasVisible(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) && !isBlank(r) {
			return true
		}
	}
	return false
}

// isBlank reports the letters and symbols that render as nothing: the Hangul
// fillers (U+115F, U+1160, U+3164, U+FFA0) and the other default-ignorable code points
// (U+034F combining grapheme joiner, U+17B4 and U+17B5 Khmer inherent vowels), the
// variation selectors, the blank Braille pattern U+2800 and the musical null notehead
// U+1D159, an empty space the width of a note. (The space separators U+2000-U+200A,
// U+3000 and the like are not letters or symbols at all.)
func isBlank(r rune) bool {
	return r == '\u2800' || r == '\U0001D159' ||
		unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// CheckName checks a name someone is known by (an author's, a site's, which signs its
// moderators' replies): free text of at most max characters that shows a visible
// character and holds no direction controls. Those are refused, not quietly removed,
// since the name would no longer be the one its owner typed.
func CheckName(f FieldErrors, field, v string, max int) {
	CheckText(f, field, v, max, true)
	if _, bad := f[field]; !bad && hasBidiControl(v) {
		f.Add(field, "must not contain text direction controls (U+202A-U+202E, U+2066-U+2069)")
	} else if !bad && !hasVisible(v) {
		f.Add(field, "must contain a visible character")
	}
}
