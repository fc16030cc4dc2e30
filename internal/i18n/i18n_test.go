package i18n_test

import (
	"encoding/json"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"testing"
	"testing/fstest"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/winnow/winnow/internal/i18n"
	"github.com/winnow/winnow/web"
)

// wanted are the languages winnow promises to speak (the README's data-lang list).
var wanted = []string{"en", "de", "fr", "es", "pt", "it", "nl", "pl", "ru", "ja", "zh", "ar", "he"}

func load(t *testing.T) *i18n.Catalogs {
	t.Helper()
	cs, err := i18n.Load(web.I18n())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// raw is a catalog file as plain Go values.
func raw(t *testing.T, lang string) map[string]any {
	t.Helper()
	b, err := fsRead(lang)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var placeholders = regexp.MustCompile(`\{(\w+)\}`)

// names are the placeholders a message uses, in any of its forms.
func names(v any) map[string]bool {
	out := map[string]bool{}
	add := func(s string) {
		for _, m := range placeholders.FindAllStringSubmatch(s, -1) {
			out[m[1]] = true
		}
	}
	switch v := v.(type) {
	case string:
		add(v)
	case map[string]any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				add(s)
			}
		}
	}
	return out
}

// integerCategories are the CLDR plural categories whole numbers reach in lang (x/text's
// data); a catalog's plural message has those and "other", and may add "=0".
func integerCategories(lang string) map[string]bool {
	names := map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many"}
	out := map[string]bool{"other": true}
	tag := language.Make(lang)
	for n := 0; n <= 1000; n++ {
		out[names[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]] = true
	}
	return out
}

// TestCatalogsAreComplete fails when a catalog lacks a key English has, has a key
// English lacks, changes a message's placeholders, or gives a counted message other
// plural forms than its language's CLDR rules use.
func TestCatalogsAreComplete(t *testing.T) {
	cs := load(t)
	if got := cs.Langs(); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(wanted))) {
		t.Errorf("catalogs %v, want %v", got, wanted)
	}
	en := raw(t, "en")
	for _, lang := range wanted {
		c := raw(t, lang)
		for k, ev := range en {
			v, ok := c[k]
			if !ok {
				t.Errorf("%s.json lacks %q", lang, k)
				continue
			}
			if _, plain := ev.(string); plain {
				if _, ok := v.(string); !ok {
					t.Errorf("%s.json: %q must be a text, as in English", lang, k)
				}
			} else {
				forms, ok := v.(map[string]any)
				if !ok {
					t.Errorf("%s.json: %q must be plural forms, as in English", lang, k)
					continue
				}
				want := integerCategories(lang)
				for f := range forms {
					if !want[f] && f != "=0" {
						t.Errorf("%s.json: %q has the form %q, which %s does not use (it uses %v)", lang, k, f, lang, slices.Sorted(maps.Keys(want)))
					}
				}
				for f := range want {
					if _, ok := forms[f]; !ok {
						t.Errorf("%s.json: %q lacks the plural form %q", lang, k, f)
					}
				}
				if _, zero := ev.(map[string]any)["=0"]; zero {
					if _, ok := forms["=0"]; !ok {
						t.Errorf("%s.json: %q lacks \"=0\", as English has it", lang, k)
					}
				}
			}
			if k == "dir" {
				continue
			}
			if got, want := names(v), names(ev); !maps.Equal(got, want) {
				t.Errorf("%s.json: %q uses the placeholders %v, English %v", lang, k, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which English does not: a key no page asks for", lang, k)
			}
		}
	}
	for lang, dir := range map[string]string{"ar": "rtl", "he": "rtl", "en": "ltr", "ja": "ltr"} {
		if got := cs.Lang(lang).Dir; got != dir {
			t.Errorf("%s is written %s, the catalog says %s", lang, dir, got)
		}
	}
}

func TestMatch(t *testing.T) {
	cs := load(t)
	for _, tc := range []struct {
		prefs []string
		want  string
	}{
		{nil, "en"},
		{[]string{""}, "en"},
		{[]string{"de"}, "de"},
		{[]string{"de-CH,de;q=0.9,en;q=0.8"}, "de"},
		{[]string{"", "fr-CA,fr;q=0.9"}, "fr"},
		{[]string{"pt-BR"}, "pt"},
		{[]string{"es-419"}, "es"},
		{[]string{"zh-CN"}, "zh"},
		{[]string{"he-IL"}, "he"},
		{[]string{"ar-EG"}, "ar"},
		{[]string{"sv-SE,sv;q=0.9"}, "en"},
		{[]string{"sv,nl;q=0.5"}, "nl"},
		{[]string{"ja", "de"}, "ja"}, // the page's lang comes before the browser's
		{[]string{"not a language!!", "pl"}, "pl"},
		{[]string{"*"}, "en"},
	} {
		if got := cs.Match(tc.prefs...).Lang; got != tc.want {
			t.Errorf("Match(%q) = %s, want %s", tc.prefs, got, tc.want)
		}
	}
}

// TestPlurals: the counted messages take CLDR's forms (Polish and Russian three for
// whole numbers, Arabic six), and "=0" wins for zero.
func TestPlurals(t *testing.T) {
	cs := load(t)
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "No comments yet"},
		{"en", 1, "1 comment"},
		{"en", 2, "2 comments"},
		{"pl", 1, "1 komentarz"},
		{"pl", 2, "2 komentarze"},
		{"pl", 5, "5 komentarzy"},
		{"pl", 22, "22 komentarze"},
		{"pl", 25, "25 komentarzy"},
		{"ru", 1, "1 комментарий"},
		{"ru", 3, "3 комментария"},
		{"ru", 11, "11 комментариев"},
		{"ru", 21, "21 комментарий"},
		{"ar", 1, "تعليق واحد"},
		{"ar", 2, "تعليقان"},
		{"ar", 3, "3 تعليقات"},
		{"ar", 11, "11 تعليقًا"},
		{"ar", 100, "100 تعليق"},
		{"ja", 7, "7 件のコメント"},
		{"fr", 0, "Aucun commentaire pour l’instant"},
		{"fr", 1, "1 commentaire"},
	} {
		if got := cs.Lang(tc.lang).N("comments", tc.n); got != tc.want {
			t.Errorf("%s, %d: %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	if got := cs.Lang("de").N("tooLong", 100); got != "Höchstens 100 Zeichen." {
		t.Errorf("de tooLong: %q", got)
	}
}

func TestFallbackAndPlaceholders(t *testing.T) {
	fsys := fstest.MapFS{
		"en.json": {Data: []byte(`{"dir": "ltr", "hi": "Hello {name}", "only": "English only", "n": {"one": "{n} thing", "other": "{n} things"}}`)},
		"de.json": {Data: []byte(`{"dir": "ltr", "hi": "Hallo {name}", "n": {"one": "ein Ding", "other": "{n} Dinge"}}`)},
	}
	cs, err := i18n.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	de := cs.Lang("de")
	for got, want := range map[string]string{
		de.T("hi", "name", "Ada"): "Hallo Ada",
		de.T("only"):              "English only",
		de.T("missing"):           "missing",
		de.N("n", 1):              "ein Ding",
		de.N("n", 3):              "3 Dinge",
		de.T("hi"):                "Hallo {name}",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	for name, bad := range map[string]string{
		"no other": `{"dir": "ltr", "n": {"one": "x"}}`,
		"number":   `{"dir": "ltr", "n": 3}`,
		"no dir":   `{"x": "y"}`,
	} {
		if _, err := i18n.Load(fstest.MapFS{"en.json": {Data: []byte(bad)}}); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := i18n.Load(fstest.MapFS{"de.json": fsys["de.json"]}); err == nil {
		t.Error("loaded without English")
	}
}

func fsRead(lang string) (map[string]any, error) {
	b, err := fs.ReadFile(web.I18n(), lang+".json")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// TestEveryKeyInUseIsInEnglish: a message the widget (t.key, n("key")) or a template
// ({{t "key"}}, {{n "key"}}) asks for is in the English catalog, so none is shown as
// its key; TestCatalogsAreComplete carries it to every other language.
func TestEveryKeyInUseIsInEnglish(t *testing.T) {
	en := raw(t, "en")
	check := func(file string, keys [][]byte) {
		for _, k := range keys {
			if _, ok := en[string(k)]; !ok {
				t.Errorf("%s asks for %q, which en.json lacks", file, k)
			}
		}
	}
	js, err := fs.ReadFile(web.Widget(), "embed.js")
	if err != nil {
		t.Fatal(err)
	}
	// t is also a <template> element in safeHTML: its content and innerHTML are no keys.
	notKeys := map[string]bool{"content": true, "innerHTML": true}
	var keys [][]byte
	for _, m := range regexp.MustCompile(`\bt\.(\w+)|\.n\("(\w+)"`).FindAllSubmatch(js, -1) {
		k := append(m[1], m[2]...)
		if !notKeys[string(k)] {
			keys = append(keys, k)
		}
	}
	if len(keys) < 30 {
		t.Fatalf("found %d keys in embed.js: the pattern no longer matches how it asks", len(keys))
	}
	check("embed.js", keys)
	pages, _ := fs.Glob(web.Templates(), "*.html")
	for _, name := range pages {
		b, _ := fs.ReadFile(web.Templates(), name)
		keys = nil
		for _, m := range regexp.MustCompile(`\{\{-?\s*[tn] "([\w.]+)"`).FindAllSubmatch(b, -1) {
			keys = append(keys, m[1])
		}
		check(name, keys)
	}
}
