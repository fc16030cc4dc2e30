package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
)

// TestTheDashboardSpeaksTheModeratorsLanguage: the chrome (navigation, headings,
// filters, buttons, statuses) follows the browser's Accept-Language, English when
// winnow does not speak it, and Arabic lays out right to left.
func TestTheDashboardSpeaksTheModeratorsLanguage(t *testing.T) {
	e := httpapitest.New(t)
	open := func(path, accept string, signedIn bool) string {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = "192.0.2.11:1234"
		if accept != "" {
			r.Header.Set("Accept-Language", accept)
		}
		if signedIn {
			r.AddCookie(&http.Cookie{Name: "winnow_session", Value: e.SessionID})
		}
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, w.Code)
		}
		if !strings.Contains(w.Header().Get("Vary"), "Accept-Language") {
			t.Errorf("%s does not vary by Accept-Language", path)
		}
		return w.Body.String()
	}
	for _, tt := range []struct {
		path, accept string
		signedIn     bool
		want         []string
	}{
		{"/admin/?status=all", "", true, []string{`<html lang="en" dir="ltr">`, "<title>Queue · winnow</title>", ">Sign out<", ">Approve<", `>pending<`, ">all<", ">Audit log<"}},
		{"/admin/?status=all", "sv-SE,sv;q=0.9", true, []string{`<html lang="en" dir="ltr">`, ">Queue<"}},
		{"/admin/?status=all", "de-DE,de;q=0.9,en;q=0.5", true, []string{`<html lang="de" dir="ltr">`, "<title>Warteschlange · winnow</title>",
			">Abmelden<", ">Freigeben<", ">Kein Spam<", ">wartend<", ">Protokoll<", ">Tastenkürzel<", `data-template="{n} ausgewählt">0 ausgewählt<`}},
		{"/admin/?status=all", "ar", true, []string{`<html lang="ar" dir="rtl">`, ">قائمة الانتظار<", ">قبول<", ">تسجيل الخروج<"}},
		{"/admin/?status=pending&q=nothing-matches-this", "pl", true, []string{"Nie ma tu nic do moderowania."}},
		{"/admin/sites", "ja", true, []string{"<title>サイト · winnow</title>", "<h2>新しいサイト</h2>"}},
		{"/admin/users", "ru", true, []string{"<h2>Пользователи</h2>", "<h2>Новый пользователь</h2>"}},
		{"/admin/login", "fr-FR", false, []string{`<html lang="fr" dir="ltr">`, "<title>Se connecter · winnow</title>", "Mot de passe", "Connectez-vous pour modérer les commentaires."}},
	} {
		body := open(tt.path, tt.accept, tt.signedIn)
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s (Accept-Language %q) lacks %q", tt.path, tt.accept, want)
			}
		}
	}
}
