package pages_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// get sends a request through the route table with the given headers.
func get(e *httpapitest.Env, method, path string, body string, headers map[string]string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	r.RemoteAddr = "192.0.2.10:1234"
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, r)
	return w
}

// TestTheWidgetCarriesEnglishAndLoadsTheRest: the served embed.js, gzipped as browsers
// get it, stays under 15 KB with every language, since it carries English only and
// names the others' catalogs, which /i18n/ serves (cached, to any page, without the
// dashboard's messages).
func TestTheWidgetCarriesEnglishAndLoadsTheRest(t *testing.T) {
	e := httpapitest.New(t)
	w := get(e, "GET", "/embed.js", "", map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("/embed.js: %d %v", w.Code, w.Header())
	}
	size := w.Body.Len()
	t.Logf("embed.js as served: %d bytes gzipped", size)
	if size >= 15*1024 {
		t.Errorf("embed.js is %d bytes gzipped, not under 15 KB", size)
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(zr)
	if bytes.Contains(js, []byte("__WINNOW_")) || !bytes.Contains(js, []byte(`"leave":"Leave a Reply"`)) {
		t.Fatal("embed.js does not carry the English catalog")
	}
	if bytes.Contains(js, []byte(`admin.`)) {
		t.Error("embed.js carries the dashboard's messages")
	}
	m := regexp.MustCompile(`var LANGS = (\{[^}]*\});`).FindSubmatch(js)
	if m == nil {
		t.Fatal("embed.js names no catalogs")
	}
	var langs map[string]string
	if err := json.Unmarshal(m[1], &langs); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "de", "fr", "es", "pt", "it", "nl", "pl", "ru", "ja", "zh", "ar", "he"} {
		u := langs[lang]
		if !strings.HasPrefix(u, "/i18n/"+lang+".") {
			t.Errorf("%s: catalog URL %q", lang, u)
			continue
		}
		w := get(e, "GET", u, "", map[string]string{"Origin": "https://blog.example"})
		var cat map[string]any
		if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			w.Header().Get("Access-Control-Allow-Origin") != "*" || json.Unmarshal(w.Body.Bytes(), &cat) != nil {
			t.Errorf("%s: %d %v", u, w.Code, w.Header())
			continue
		}
		if _, ok := cat["comments"]; !ok {
			t.Errorf("%s lacks the widget's messages", u)
		}
		for k := range cat {
			if strings.HasPrefix(k, "admin.") {
				t.Errorf("%s carries the dashboard's %q", u, k)
			}
		}
	}
	plain := get(e, "GET", "/i18n/de.json", "", nil)
	if plain.Code != http.StatusOK || plain.Header().Get("Cache-Control") != "public, max-age=300" || plain.Header().Get("ETag") == "" ||
		!strings.Contains(plain.Body.String(), "Schreibe einen Kommentar") {
		t.Fatalf("/i18n/de.json: %d %v", plain.Code, plain.Header())
	}
	if w := get(e, "GET", "/i18n/de.json", "", map[string]string{"If-None-Match": plain.Header().Get("ETag")}); w.Code != http.StatusNotModified {
		t.Errorf("revalidating /i18n/de.json: %d", w.Code)
	}
	for _, path := range []string{"/i18n/xx.json", "/i18n/de.000000000000.json", "/i18n/admin.json"} {
		if w := get(e, "GET", path, "", nil); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, w.Code)
		}
	}
}

// TestTheThreadPageSpeaksTheReadersLanguage: ?lang= first, then Accept-Language, then
// English; Arabic and Hebrew pages are right-to-left; the links and the form keep an
// asked-for language, and the form's errors are in it.
func TestTheThreadPageSpeaksTheReadersLanguage(t *testing.T) {
	e := httpapitest.New(t)
	for _, tt := range []struct {
		path, accept string
		want         []string
	}{
		{"/t/blog?thread=/p", "", []string{`<html lang="en" dir="ltr">`, "Leave a Reply", "No comments yet<", "Post Comment"}},
		{"/t/blog?thread=/p", "de-CH,de;q=0.9", []string{`<html lang="de" dir="ltr">`, "Schreibe einen Kommentar", "Noch keine Kommentare<", "Kommentar abschicken"}},
		{"/t/blog?thread=/p&lang=fr", "de", []string{`<html lang="fr" dir="ltr">`, "Laisser un commentaire", `name="lang" value="fr"`, "lang=fr"}},
		{"/t/blog?thread=/p&lang=ar", "", []string{`<html lang="ar" dir="rtl">`, "اترك تعليقًا", "لا توجد تعليقات بعد"}},
		{"/t/blog?thread=/p", "he-IL", []string{`<html lang="he" dir="rtl">`, "כתיבת תגובה", "אין עדיין תגובות"}},
		{"/t/blog?thread=/p&lang=xx", "pl", []string{`<html lang="pl" dir="ltr">`, "Dodaj komentarz"}},
		{"/t/nosuch?thread=/p", "ja", []string{`<html lang="ja" dir="ltr">`, "リンク先のサイトが存在しません"}},
	} {
		w := get(e, "GET", tt.path, "", map[string]string{"Accept-Language": tt.accept})
		body := w.Body.String()
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s (Accept-Language %q) lacks %q", tt.path, tt.accept, want)
			}
		}
		if strings.Contains(tt.path, "lang=xx") && strings.Contains(body, "lang=") && strings.Contains(body, `name="lang"`) {
			t.Errorf("%s carries a language winnow does not speak", tt.path)
		}
	}
	// A refused form says why in the page's language; a stored one goes back in it.
	w := get(e, "POST", "/t/blog", url.Values{"thread": {"/p"}, "lang": {"pl"}}.Encode(), nil)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "To pole jest wymagane.") ||
		!strings.Contains(w.Body.String(), "Popraw zaznaczone pola.") {
		t.Errorf("a refused Polish form: %d\n%s", w.Code, w.Body)
	}
	w = get(e, "POST", "/t/blog", url.Values{"thread": {"/p"}}.Encode(), map[string]string{"Accept-Language": "ru"})
	if !strings.Contains(w.Body.String(), "Это поле обязательно.") {
		t.Errorf("a refused form for a Russian browser:\n%s", w.Body)
	}
	form := url.Values{"thread": {"/p"}, "lang": {"fr"}, "author_name": {"Lectrice"}, "author_email": {"lectrice@example.org"},
		"body": {"Un commentaire réfléchi et assez long."}}.Encode()
	w = get(e, "POST", "/t/blog", form, nil)
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.Contains(loc, "lang=fr") {
		t.Fatalf("a stored French form: %d, back to %q", w.Code, loc)
	}
	back := get(e, "GET", w.Header().Get("Location"), "", nil).Body.String()
	if !strings.Contains(back, "Merci ! Votre commentaire est en attente de modération.") && !strings.Contains(back, "Votre commentaire a été publié.") {
		t.Errorf("the page after a French post:\n%s", back)
	}
}
