package pages

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/i18n"
	"github.com/winnow/winnow/web"
)

// Cache lifetimes of the widget's files: a content-hashed URL never changes, so it is
// cached for a year; the plain names (/embed.js) that pages embed are re-checked
// after five minutes, so a new release reaches readers soon.
const (
	immutableCache = "public, max-age=31536000, immutable"
	plainCache     = "public, max-age=300"
)

// cssPlaceholder in embed.js is replaced by embed.css as a JavaScript string, so the
// widget styles its shadow root without a second request and without inline <style>.
const cssPlaceholder = `"__WINNOW_CSS__"`

// versionPlaceholder in embed.js is replaced by the widget's build (WidgetVersion), which
// the widget sends with its reports so the site page can tell an outdated copy.
const versionPlaceholder = `"__WINNOW_VERSION__"`

// enPlaceholder in embed.js is replaced by the English catalog (the widget's part of
// it), so English needs no second request and the first paint never waits.
const enPlaceholder = `"__WINNOW_EN__"`

// langsPlaceholder in embed.js is replaced by the other languages' catalogs by code,
// each under its content-hashed /i18n/ URL, which the widget loads when a page asks.
const langsPlaceholder = `"__WINNOW_LANGS__"`

// countsPlaceholder in count.js is replaced by every language's "comments" message
// (its plural forms), so the counts on a listing page speak the page's language.
const countsPlaceholder = `"__WINNOW_COUNTS__"`

// widgetKey reports whether a catalog's message is the widget's (or the thread
// page's): the dashboard's ("admin.") are not sent to readers.
func widgetKey(key string) bool { return !strings.HasPrefix(key, "admin.") }

// asset is one file served to browsers, prepared once at start: its bytes, gzipped
// bytes and content hash.
type asset struct {
	body, gz []byte
	ctype    string
	etag     string
	hashed   string // the immutable URL path, /static/embed.<hash>.js
}

// assets are the widget's and the dashboard's files by plain name and by hashed file name.
type assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
	// catalogs are the widget's messages by language, by plain file name (de.json)
	// and by hashed one (de.<hash>.json), served under /i18n/.
	catalogs, hashedCatalogs map[string]*asset
	// widgetVersion is embed.js's build: a hash of its content.
	widgetVersion string
}

// newAssets reads, hashes and compresses the widget's files. They are embedded in
// the binary, so an error is a build mistake.
func newAssets(cats *i18n.Catalogs) (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}, catalogs: map[string]*asset{}, hashedCatalogs: map[string]*asset{}}
	read := func(fsys fs.FS, name string) []byte {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(fmt.Sprintf("web asset %s: %v", name, err)) // embedded: unreachable
		}
		return b
	}
	css := read(web.Widget(), "embed.css")
	cssJS, err := json.Marshal(string(css))
	if err != nil {
		return nil, err
	}
	js := read(web.Widget(), "embed.js")
	if !bytes.Contains(js, []byte(cssPlaceholder)) {
		return nil, fmt.Errorf("embed.js lacks the CSS placeholder")
	}
	js = bytes.Replace(js, []byte(cssPlaceholder), cssJS, 1)
	langs := map[string]string{}
	counts := map[string]json.RawMessage{}
	for _, lang := range cats.Langs() {
		if counts[lang], err = cats.Lang(lang).JSON(func(k string) bool { return k == "comments" }); err != nil {
			return nil, err
		}
		body, err := cats.Lang(lang).JSON(widgetKey)
		if err != nil {
			return nil, err
		}
		if lang == i18n.Default {
			if !bytes.Contains(js, []byte(enPlaceholder)) {
				return nil, fmt.Errorf("embed.js lacks the English catalog's placeholder")
			}
			js = bytes.Replace(js, []byte(enPlaceholder), body, 1)
		}
		as, err := newAsset(body, "application/json; charset=utf-8", "/i18n/", lang+".json")
		if err != nil {
			return nil, err
		}
		a.catalogs[lang+".json"] = as
		a.hashedCatalogs[strings.TrimPrefix(as.hashed, "/i18n/")] = as
		langs[lang] = as.hashed
	}
	langsJS, err := json.Marshal(langs)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(js, []byte(langsPlaceholder)) {
		return nil, fmt.Errorf("embed.js lacks the catalogs' placeholder")
	}
	js = bytes.Replace(js, []byte(langsPlaceholder), langsJS, 1)
	count := read(web.Widget(), "count.js")
	if !bytes.Contains(count, []byte(countsPlaceholder)) {
		return nil, fmt.Errorf("count.js lacks the counts' placeholder")
	}
	countsJS, err := countWords(counts)
	if err != nil {
		return nil, err
	}
	count = bytes.Replace(count, []byte(countsPlaceholder), countsJS, 1)
	if !bytes.Contains(js, []byte(versionPlaceholder)) {
		return nil, fmt.Errorf("embed.js lacks the version placeholder")
	}
	sum := sha256.Sum256(js)
	a.widgetVersion = hex.EncodeToString(sum[:6])
	js = bytes.Replace(js, []byte(versionPlaceholder), []byte(`"`+a.widgetVersion+`"`), 1)
	for name, body := range map[string][]byte{
		"embed.js": js, "embed.css": css, "count.js": count, "page.css": read(web.Templates(), "page.css"),
		"admin.js": read(web.Admin(), "admin.js"), "admin.css": read(web.Admin(), "admin.css"),
		"favicon.svg": read(web.Admin(), "favicon.svg"),
	} {
		ctype := "text/css; charset=utf-8"
		switch {
		case strings.HasSuffix(name, ".js"):
			ctype = "text/javascript; charset=utf-8"
		case strings.HasSuffix(name, ".svg"):
			ctype = "image/svg+xml"
		}
		as, err := newAsset(body, ctype, "/static/", name)
		if err != nil {
			return nil, err
		}
		a.byName[name] = as
		a.byHashed[strings.TrimPrefix(as.hashed, "/static/")] = as
	}
	return a, nil
}

// countWords is count.js's table: by language, the plural forms of "comments" without
// "=0" (a listing says "0 comments", not the thread's "No comments yet").
func countWords(byLang map[string]json.RawMessage) ([]byte, error) {
	out := map[string]map[string]string{}
	for lang, b := range byLang {
		var m struct {
			Comments map[string]string `json:"comments"`
		}
		if err := json.Unmarshal(b, &m); err != nil || m.Comments == nil {
			return nil, fmt.Errorf("catalog %s: \"comments\" must be plural forms", lang)
		}
		delete(m.Comments, "=0")
		out[lang] = m.Comments
	}
	return json.Marshal(out)
}

// newAsset gzips and hashes one file; its immutable URL is dir + name with the hash
// before the extension.
func newAsset(body []byte, ctype, dir, name string) (*asset, error) {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:6])
	base, ext, _ := strings.Cut(name, ".")
	return &asset{body: body, gz: gz.Bytes(), ctype: ctype, etag: `"` + hash + `"`, hashed: dir + base + "." + hash + "." + ext}, nil
}

// url is the immutable URL of a plain name.
func (a *assets) url(name string) string { return a.byName[name].hashed }

// plain serves a file under its plain name with a short cache; a Link header names
// the immutable URL.
func (a *assets) plain(name string) http.HandlerFunc {
	as := a.byName[name]
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+as.hashed+">; rel=canonical")
		serveAsset(w, r, as, plainCache)
	}
}

// static serves /static/{file} where the file name carries the content hash; a stale
// or made-up hash is a 404, never another version under a year-long cache.
func (a *assets) static(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		as, ok := a.byHashed[mux.Vars(r)["file"]]
		if !ok {
			httpx.WriteError(log, w, r, &httpx.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such file"})
			return
		}
		serveAsset(w, r, as, immutableCache)
	}
}

// catalog serves /i18n/{file}: a language's catalog for the widget, as de.json with
// a short cache and an ETag, or under its hashed name (de.<hash>.json, which embed.js
// asks for) for a year. Any page may read it: it is public text.
func (a *assets) catalog(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		file := mux.Vars(r)["file"]
		cache := plainCache
		as, ok := a.catalogs[file]
		if !ok {
			as, ok = a.hashedCatalogs[file]
			cache = immutableCache
		}
		if !ok {
			httpx.WriteError(log, w, r, &httpx.Error{Status: http.StatusNotFound, Code: "not_found", Message: "no catalog for that language"})
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		serveAsset(w, r, as, cache)
	}
}

func serveAsset(w http.ResponseWriter, r *http.Request, as *asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", as.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if httpx.ETagMatches(r.Header.Get("If-None-Match"), as.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := as.body
	if httpx.AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
