// Package i18n holds the message catalogs of the reader's widget, the thread page
// without JavaScript and the dashboard: one plain JSON file per language (web/i18n),
// read by the Go side here and served as they are to the widget, so a sentence is
// translated once for every front end. Languages are matched with
// golang.org/x/text/language and plurals follow CLDR's rules (x/text/feature/plural
// here, Intl.PluralRules in the widget), never rules written by hand.
//
// A message is a string, or for a number an object of CLDR plural categories
// ("zero", "one", "two", "few", "many", "other"), optionally with "=0" for the exact
// number zero. Placeholders are {name} in braces.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Default is the language every other falls back to: its catalog is complete by
// definition, and the widget carries it built in.
const Default = "en"

// Catalog is one language's messages. A key it lacks (a catalog being written) is
// said in English, and a key English lacks is shown as the key.
type Catalog struct {
	// Lang is the catalog's language code, as in its file name and a page's lang.
	Lang string
	// Dir is the direction the language is written in: "ltr" or "rtl".
	Dir      string
	tag      language.Tag
	raw      map[string]json.RawMessage
	msgs     map[string]message
	fallback *Catalog
}

// message is a plain text, or the forms of a text that counts something.
type message struct {
	text  string
	forms map[string]string
}

// Catalogs are every language winnow speaks, with a matcher over them.
type Catalogs struct {
	byLang  map[string]*Catalog
	langs   []string
	matcher language.Matcher
}

// categories are CLDR's plural categories by x/text's forms.
var categories = map[plural.Form]string{
	plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many",
}

// Load reads every NAME.json in fsys (NAME a language code such as "de" or "pt"); an
// English catalog is required. The files are embedded, so an error is a build mistake.
func Load(fsys fs.FS) (*Catalogs, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	cs := &Catalogs{byLang: map[string]*Catalog{}}
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".json")
		tag, err := language.Parse(lang)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: not a language code: %w", name, err)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		c := &Catalog{Lang: lang, tag: tag, msgs: map[string]message{}}
		if err := json.Unmarshal(b, &c.raw); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		for k, v := range c.raw {
			var m message
			if err := json.Unmarshal(v, &m.text); err != nil {
				if err := json.Unmarshal(v, &m.forms); err != nil {
					return nil, fmt.Errorf("catalog %s: %q is neither a text nor plural forms", name, k)
				}
				if _, ok := m.forms["other"]; !ok {
					return nil, fmt.Errorf("catalog %s: %q has no \"other\" form", name, k)
				}
			}
			c.msgs[k] = m
		}
		c.Dir = c.msgs["dir"].text
		if c.Dir != "ltr" && c.Dir != "rtl" {
			return nil, fmt.Errorf("catalog %s: \"dir\" must be ltr or rtl, not %q", name, c.Dir)
		}
		cs.byLang[lang] = c
	}
	en, ok := cs.byLang[Default]
	if !ok {
		return nil, fmt.Errorf("no %s.json catalog", Default)
	}
	// English first: the matcher's default.
	cs.langs = append([]string{Default}, slices.DeleteFunc(slices.Sorted(maps.Keys(cs.byLang)), func(l string) bool { return l == Default })...)
	tags := make([]language.Tag, len(cs.langs))
	for i, l := range cs.langs {
		tags[i] = cs.byLang[l].tag
		if l != Default {
			cs.byLang[l].fallback = en
		}
	}
	cs.matcher = language.NewMatcher(tags)
	return cs, nil
}

// Langs are the languages' codes, English first.
func (cs *Catalogs) Langs() []string { return slices.Clone(cs.langs) }

// Lang is the catalog of exactly the code lang ("de"), or nil.
func (cs *Catalogs) Lang(lang string) *Catalog { return cs.byLang[lang] }

// Match picks the catalog for a reader's preferences, most preferred first: a page's
// lang ("pt-BR"), an Accept-Language header ("de-CH,de;q=0.9,en;q=0.5"). Empty or
// unparsable preferences are skipped; nothing that matches gives English.
func (cs *Catalogs) Match(prefs ...string) *Catalog {
	var tags []language.Tag
	for _, p := range prefs {
		if p = strings.TrimSpace(p); p == "" || len(p) > 200 {
			continue
		}
		ts, _, err := language.ParseAcceptLanguage(p)
		if err != nil {
			continue
		}
		tags = append(tags, ts...)
	}
	_, i, conf := cs.matcher.Match(tags...)
	if conf == language.No {
		i = 0
	}
	return cs.byLang[cs.langs[i]]
}

// placeholder is {name} in a message.
var placeholder = regexp.MustCompile(`\{(\w+)\}`)

// fill puts the values of pairs (name, value, name, value ...) in for their
// placeholders; a placeholder without a value stays as it is.
func fill(s string, pairs []any) string {
	if len(pairs) < 2 || !strings.Contains(s, "{") {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		for i := 0; i+1 < len(pairs); i += 2 {
			if k, _ := pairs[i].(string); k == name {
				return fmt.Sprint(pairs[i+1])
			}
		}
		return m
	})
}

// lookup finds key here, or in English.
func (c *Catalog) lookup(key string) (message, bool) {
	if m, ok := c.msgs[key]; ok {
		return m, true
	}
	if c.fallback != nil {
		return c.fallback.lookup(key)
	}
	return message{}, false
}

// T is the text of key with the placeholders filled from pairs (name, value, ...).
func (c *Catalog) T(key string, pairs ...any) string {
	m, ok := c.lookup(key)
	if !ok {
		return key
	}
	if m.forms != nil {
		return fill(m.forms["other"], pairs)
	}
	return fill(m.text, pairs)
}

// N is the text of key for the count n, in the plural form the language's CLDR rules
// give n, with {n} and the placeholders of pairs filled in.
func (c *Catalog) N(key string, n int, pairs ...any) string {
	m, ok := c.msgs[key]
	lang := c
	if !ok && c.fallback != nil {
		m, ok, lang = c.fallback.msgs[key], true, c.fallback
	}
	if !ok {
		return key
	}
	pairs = append([]any{"n", n}, pairs...)
	if m.forms == nil {
		return fill(m.text, pairs)
	}
	if s, ok := m.forms["="+strconv.Itoa(n)]; ok {
		return fill(s, pairs)
	}
	s, ok := m.forms[lang.Category(n)]
	if !ok {
		s = m.forms["other"]
	}
	return fill(s, pairs)
}

// Category is the CLDR plural category of the whole number n in this language.
func (c *Catalog) Category(n int) string {
	i := n
	if i < 0 {
		i = -i
	}
	return categories[plural.Cardinal.MatchPlural(c.tag, i%10000000, 0, 0, 0, 0)]
}

// JSON is the catalog as the widget reads it: the messages whose keys keep accepts,
// as they are in the file.
func (c *Catalog) JSON(keep func(key string) bool) ([]byte, error) {
	out := map[string]json.RawMessage{}
	for k, v := range c.raw {
		if keep(k) {
			out[k] = v
		}
	}
	return json.Marshal(out)
}
