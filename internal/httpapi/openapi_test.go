package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"

	"github.com/winnow/winnow/internal/httpapi/httpapitest"
	"github.com/winnow/winnow/web"
)

// openAPIPaths reads the description's operations: path → lower-case methods.
func openAPIPaths(t *testing.T) map[string][]string {
	t.Helper()
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(web.OpenAPI(), &doc); err != nil {
		t.Fatalf("web/api/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("web/api/openapi.json is OpenAPI %q, want 3.1", doc.OpenAPI)
	}
	out := map[string][]string{}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				out[path] = append(out[path], method)
			}
		}
	}
	return out
}

// openAPITemplate turns a gorilla/mux path template into OpenAPI's: "{id:[0-9]+}"
// becomes "{id}" (a pattern may hold braces of its own, as in "{hash:[0-9a-f]{32}}").
func openAPITemplate(tpl string) string {
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		if tpl[i] != '{' {
			b.WriteByte(tpl[i])
			continue
		}
		depth, name, inName := 1, "", true
		for i++; i < len(tpl) && depth > 0; i++ {
			switch c := tpl[i]; {
			case c == '{':
				depth++
			case c == '}':
				depth--
			case c == ':' && depth == 1:
				inName = false
			case inName:
				name += string(c)
			}
		}
		i--
		b.WriteString("{" + name + "}")
	}
	return b.String()
}

// apiRoutes lists the route table's routes under /api/ as "METHOD /path/{param}", but
// for the CORS preflight catch-all, whose paths are every other route's.
func apiRoutes(t *testing.T, h http.Handler) []string {
	t.Helper()
	r, ok := h.(*mux.Router)
	if !ok {
		t.Fatalf("the server's handler is a %T, not the route table's *mux.Router", h)
	}
	var out []string
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(tpl, "/api/") {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return fmt.Errorf("route %s has no methods: %w", tpl, err)
		}
		if strings.Contains(tpl, "{rest:.*}") && slices.Equal(methods, []string{http.MethodOptions}) {
			return nil // the CORS preflight catch-all
		}
		for _, m := range methods {
			out = append(out, m+" "+openAPITemplate(tpl))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("only %d routes under /api/ in the route table: %v", len(out), out)
	}
	return out
}

// TestOpenAPIHasEveryRoute keeps web/api/openapi.json true to the route table
// (internal/httpapi/routes.go): every route under /api/, with each of its methods,
// is described, and the description holds no operation the table lacks.
func TestOpenAPIHasEveryRoute(t *testing.T) {
	e := httpapitest.New(t)
	doc := openAPIPaths(t)
	routes := apiRoutes(t, e.Handler)
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		if !slices.Contains(doc[path], strings.ToLower(method)) {
			t.Errorf("route %s %s (internal/httpapi/routes.go) is not described in web/api/openapi.json: add paths[%q].%s",
				method, path, path, strings.ToLower(method))
		}
	}
	for path, methods := range doc {
		for _, m := range methods {
			if !slices.Contains(routes, strings.ToUpper(m)+" "+path) {
				t.Errorf("web/api/openapi.json describes %s %s, which the route table (internal/httpapi/routes.go) does not have", strings.ToUpper(m), path)
			}
		}
	}
}

func TestOpenAPITemplate(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/comments/{id:[0-9]+}":                    "/api/v1/comments/{id}",
		"/api/v1/avatars/{hash:[0-9a-f]{32}}.svg":         "/api/v1/avatars/{hash}.svg",
		"/api/v1/sites/{site}/comments":                   "/api/v1/sites/{site}/comments",
		"/api/v1/admin/webhooks/{id:[0-9]+}/x/{d:[0-9]+}": "/api/v1/admin/webhooks/{id}/x/{d}",
	} {
		if got := openAPITemplate(in); got != want {
			t.Errorf("openAPITemplate(%q) = %q, want %q", in, got, want)
		}
	}
}

// recorder sends requests to the test server and validates each request and answer
// against web/api/openapi.json with libopenapi-validator.
type recorder struct {
	t    *testing.T
	e    *httpapitest.Env
	v    validator.Validator
	seen map[string]bool // "METHOD /path/{param}" of the operations answered
}

func newRecorder(t *testing.T, e *httpapitest.Env) *recorder {
	t.Helper()
	doc, err := libopenapi.NewDocument(web.OpenAPI())
	if err != nil {
		t.Fatalf("web/api/openapi.json: %v", err)
	}
	// Security is left out: the journeys send requests without credentials on purpose,
	// to record the 401s.
	v, errs := validator.NewValidator(doc, config.WithoutSecurityValidation(),
		config.WithBodyDecoder("application/jsonl", jsonLines), config.WithBodyDecoder("application/x-ndjson", jsonLines))
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, ve := range verrs {
			t.Errorf("web/api/openapi.json is not valid OpenAPI: %s", ve.Error())
		}
		t.FailNow()
	}
	return &recorder{t: t, e: e, v: v, seen: map[string]bool{}}
}

// jsonLines reads a JSON Lines body (an export, an import of one) for the validator:
// each line must be one JSON value; the description calls the whole a string.
var jsonLines = content.DecoderFunc(func(in *content.DecodeInput) (any, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			return nil, fmt.Errorf("line %d is not JSON: %.80q", i+1, line)
		}
	}
	return string(b), nil
})

// call is one request of a journey.
type call struct {
	caller       httpapitest.Caller
	method, path string
	body, ctype  string
	header       map[string]string
	want         int
	// badRequest marks a request that breaks the description on purpose (to record the
	// error answer): only the answer is validated.
	badRequest bool
}

func (rec *recorder) request(c call) *http.Request {
	var rd io.Reader
	if c.body != "" {
		rd = strings.NewReader(c.body)
	}
	r := httptest.NewRequest(c.method, c.path, rd)
	r.RemoteAddr = "192.0.2.9:1234"
	if c.body != "" {
		ctype := c.ctype
		if ctype == "" {
			ctype = "application/json"
		}
		r.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	switch c.caller {
	case httpapitest.Session:
		r.AddCookie(&http.Cookie{Name: "winnow_session", Value: rec.e.SessionID})
		r.Header.Set("X-CSRF-Token", rec.e.CSRF)
	case httpapitest.Token:
		r.Header.Set("Authorization", "Bearer "+rec.e.Token)
	}
	return r
}

// do sends c, checks its status, validates the pair and returns the answer's body.
func (rec *recorder) do(c call) []byte {
	rec.t.Helper()
	w := httptest.NewRecorder()
	rec.e.Handler.ServeHTTP(w, rec.request(c))
	res := w.Result()
	body := w.Body.Bytes()
	name := fmt.Sprintf("%s %s (%v)", c.method, c.path, c.caller)
	if res.StatusCode != c.want {
		rec.t.Errorf("%s: %d, want %d\n%s", name, res.StatusCode, c.want, body)
	}
	// The validator reads the bodies: it gets a copy of the request and the answer.
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	var ok bool
	var errs []*validatorError
	if c.badRequest {
		ok, errs = wrapErrs(rec.v.ValidateHttpResponse(rec.request(c), res))
	} else {
		ok, errs = wrapErrs(rec.v.ValidateHttpRequestResponse(rec.request(c), res))
	}
	if !ok {
		for _, err := range errs {
			rec.t.Errorf("%s -> %d does not match web/api/openapi.json: %s", name, res.StatusCode, err)
		}
		rec.t.Logf("answer: %s", body)
	}
	rec.seen[c.method+" "+c.path] = true
	return body
}

type validatorError struct{ msg string }

func (e *validatorError) String() string { return e.msg }

// wrapErrs flattens the validator's errors with their schema failures, for messages.
func wrapErrs[E interface {
	Error() string
}](ok bool, errs []E) (bool, []*validatorError) {
	out := make([]*validatorError, 0, len(errs))
	for _, e := range errs {
		out = append(out, &validatorError{msg: e.Error()})
	}
	return ok, out
}

// jsonField decodes body and returns the value at a dotted path of object keys.
func jsonField(t *testing.T, body []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func jsonID(t *testing.T, body []byte, path string) string {
	t.Helper()
	f, ok := jsonField(t, body, path).(float64)
	if !ok {
		t.Fatalf("no number at %s in %s", path, body)
	}
	return fmt.Sprint(int64(f))
}

// TestOpenAPIJourneys drives the API's main journeys through the route table, a
// reader's, an author's, a moderator's and an admin's, with some of their errors, and
// validates every request and answer against web/api/openapi.json.
func TestOpenAPIJourneys(t *testing.T) {
	e := httpapitest.New(t)
	rec := newRecorder(t, e)
	const (
		N = httpapitest.Nobody
		S = httpapitest.Session
		T = httpapitest.Token
	)
	do := func(c call) []byte { t.Helper(); return rec.do(c) }

	// The description itself.
	do(call{caller: N, method: "GET", path: "/api/openapi.json", want: 200})
	do(call{caller: N, method: "HEAD", path: "/api/openapi.json", want: 200})

	// A reader: a form token, a submission, the thread, counts, an avatar.
	form := do(call{caller: N, method: "GET", path: "/api/v1/sites/blog/form?thread=/journey", want: 200})
	token, _ := jsonField(t, form, "form_token").(string)
	sub := fmt.Sprintf(`{"thread": "/journey", "thread_url": "https://blog.example/journey", "thread_title": "A journey",
		"author_name": "Walker", "author_email": "walker@example.org", "author_url": "https://walker.example",
		"body": "A *walk* through the API.", "form_token": %q}`, token)
	posted := do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/comments", body: sub,
		header: map[string]string{"Idempotency-Key": "journey-1"}, want: 202})
	id := jsonID(t, posted, "comment.id")
	editToken, _ := jsonField(t, posted, "edit_token").(string)
	do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/comments", ctype: "application/x-www-form-urlencoded",
		body: "thread=%2Fjourney&author_name=Form&author_email=form%40example.org&body=Posted+as+a+form.&thread_url=https%3A%2F%2Fblog.example%2Fjourney",
		want: 303})
	do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/comments", body: `{"thread": "/journey", "author_name": "X"}`, want: 422, badRequest: true})
	do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/comments", body: `{"thread": "/journey"`, want: 400, badRequest: true})
	do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/comments", ctype: "text/plain", body: "hello", want: 415, badRequest: true})
	do(call{caller: N, method: "POST", path: "/api/v1/sites/nosuch/comments", body: sub, want: 404})

	do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/widget-reports", ctype: "text/plain",
		body: `{"page": "https://blog.example/journey", "version": "1"}`, header: map[string]string{"Origin": "https://blog.example"}, want: 204})

	// The author edits, within the window.
	do(call{caller: N, method: "PATCH", path: "/api/v1/comments/" + id, body: `{"body": "A *walk* through the API, edited."}`,
		header: map[string]string{"X-Edit-Token": editToken}, want: 200})
	do(call{caller: N, method: "PATCH", path: "/api/v1/comments/" + id, body: `{"body": "x"}`,
		header: map[string]string{"X-Edit-Token": "wrong"}, want: 404})
	do(call{caller: N, method: "OPTIONS", path: "/api/v1/comments/" + id,
		header: map[string]string{"Origin": "https://blog.example", "Access-Control-Request-Method": "PATCH"}, want: 204})

	// A moderator's session: sign in, look, decide, edit, reply, undo.
	do(call{caller: N, method: "POST", path: "/api/v1/auth/login", body: `{"email": "admin@example.org", "password": "wrong password"}`, want: 401})
	do(call{caller: N, method: "POST", path: "/api/v1/auth/login", body: `{"email": "admin@example.org", "password": "a long enough password"}`, want: 200})
	do(call{caller: S, method: "GET", path: "/api/v1/auth/session", want: 200})
	do(call{caller: T, method: "GET", path: "/api/v1/auth/session", want: 200})
	do(call{caller: N, method: "GET", path: "/api/v1/admin/comments", want: 401})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/comments?status=all&sort=score&limit=5", want: 200})
	do(call{caller: T, method: "GET", path: "/api/v1/admin/comments?status=maybe", want: 400, badRequest: true})
	do(call{caller: T, method: "GET", path: "/api/v1/admin/comments/" + id, want: 200})
	do(call{caller: S, method: "POST", path: "/api/v1/admin/comments/" + id + "/approve", body: `{"note": "fine"}`, want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/comments/" + id + "/approve", want: 200})
	do(call{caller: N, method: "GET", path: "/api/v1/sites/blog/comments?thread=/journey&sort=newest&limit=10", want: 200})
	thread := httptest.NewRecorder()
	e.Handler.ServeHTTP(thread, httptest.NewRequest("GET", "/api/v1/sites/blog/comments?thread=/journey", nil))
	do(call{caller: N, method: "GET", path: "/api/v1/sites/blog/comments?thread=/journey",
		header: map[string]string{"If-None-Match": thread.Header().Get("ETag")}, want: 304})
	do(call{caller: N, method: "HEAD", path: "/api/v1/sites/blog/comments?thread=/journey", want: 200})
	do(call{caller: N, method: "GET", path: "/api/v1/sites/blog/comments", want: 400, badRequest: true})
	do(call{caller: N, method: "GET", path: "/api/v1/sites/blog/counts?thread=/journey&thread=/p&thread=/none", want: 200})
	do(call{caller: N, method: "HEAD", path: "/api/v1/sites/blog/counts?thread=/journey", want: 200})
	avatar, _ := jsonField(t, posted, "comment.avatar_url").(string)
	avatar = strings.TrimPrefix(avatar, httpapitest.BaseURL)
	do(call{caller: N, method: "GET", path: avatar, want: 200})
	do(call{caller: N, method: "HEAD", path: avatar, want: 200})

	do(call{caller: T, method: "PATCH", path: "/api/v1/admin/comments/" + id, body: `{"body": "Edited by a moderator.", "note": "typo"}`, want: 200})
	reply := do(call{caller: S, method: "POST", path: "/api/v1/admin/comments/" + id + "/reply", body: `{"body": "Thanks!"}`, want: 201})
	replyID := jsonID(t, reply, "comment.id")
	do(call{caller: T, method: "POST", path: "/api/v1/admin/comments/" + fmt.Sprint(e.Comment) + "/spam", want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/comments/undo", body: fmt.Sprintf(`{"ids": [%d]}`, e.Comment), want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/comments/undo", body: fmt.Sprintf(`{"ids": [%d]}`, e.Comment), want: 409})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/comments/bulk", body: fmt.Sprintf(`{"ids": [%d], "action": "approve", "note": "bulk"}`, e.Comment), want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/comments/bulk", body: `{"ids": [], "action": "approve"}`, want: 422})
	do(call{caller: T, method: "DELETE", path: "/api/v1/admin/comments/" + replyID, want: 200})
	do(call{caller: T, method: "GET", path: "/api/v1/admin/comments/999999", want: 404})
	do(call{caller: T, method: "GET", path: "/api/v1/admin/events?site=blog&limit=3", want: 200})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/events?comment=" + id, want: 200})

	// Bans.
	ban := do(call{caller: T, method: "POST", path: "/api/v1/admin/bans", body: `{"site": "blog", "kind": "domain", "value": "spam.example", "duration": "24h", "note": "campaign"}`, want: 201})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/bans", body: fmt.Sprintf(`{"site": "blog", "kind": "email", "comment_id": %d}`, e.Comment), want: 201})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/bans", body: `{"site": "blog", "kind": "laser"}`, want: 422, badRequest: true})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/bans?site=blog", want: 200})
	do(call{caller: T, method: "DELETE", path: "/api/v1/admin/bans/" + jsonID(t, ban, "ban.id"), want: 204})

	// Sites, tokens, accounts.
	do(call{caller: T, method: "GET", path: "/api/v1/admin/sites", want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/sites", body: `{"id": "docs", "name": "Docs", "origins": ["https://docs.example"], "policy": "first_time",
		"rate_limits": {"ip": {"count": 10, "period": "1m", "burst": 5}}, "cdn_cache": {"s_maxage": "10s", "stale_while_revalidate": "1m"}}`, want: 201})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/sites", body: `{"id": "docs", "name": "Docs"}`, want: 409})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/sites/docs", want: 200})
	do(call{caller: S, method: "PATCH", path: "/api/v1/admin/sites/docs", body: `{"blocked_words": ["casino"], "cdn_cache": null, "rate_limits": {"ip": null}, "spam_seed": "hold"}`, want: 200})
	do(call{caller: T, method: "PATCH", path: "/api/v1/admin/sites/docs", body: `{"policy": "sometimes"}`, want: 422, badRequest: true})
	export := do(call{caller: T, method: "GET", path: "/api/v1/admin/sites/blog/export", want: 200})
	do(call{caller: T, method: "GET", path: "/api/v1/admin/sites/blog/export?format=wxr&private=false", want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/sites/docs/import?format=winnow&strict=true", ctype: "application/x-ndjson",
		body: strings.ReplaceAll(string(export), `"site":"blog"`, `"site":"docs"`), want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/sites/docs/import?format=wxr&strict=true", ctype: "application/xml",
		body: "<rss><channel><item><wp:comment>broken", want: 422})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/sites/docs/akismet-key", want: 201})
	do(call{caller: T, method: "DELETE", path: "/api/v1/admin/sites/docs/akismet-key", want: 204})
	tok := do(call{caller: T, method: "POST", path: "/api/v1/admin/tokens", body: `{"name": "ci", "role": "moderator", "sites": ["docs"]}`, want: 201})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/tokens", want: 200})
	do(call{caller: T, method: "DELETE", path: "/api/v1/admin/tokens/" + jsonID(t, tok, "token.id"), want: 204})
	user := do(call{caller: T, method: "POST", path: "/api/v1/admin/users", body: `{"email": "mod@example.org", "sites": ["blog"]}`, want: 201})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/users", want: 200})
	do(call{caller: T, method: "PATCH", path: "/api/v1/admin/users/" + jsonID(t, user, "user.id"), body: `{"role": "moderator", "sites": ["blog", "docs"], "disabled": true}`, want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/auth/sessions/revoke", body: `{"user_id": ` + jsonID(t, user, "user.id") + `}`, want: 204})

	// Webhooks.
	hook := do(call{caller: T, method: "POST", path: "/api/v1/admin/webhooks", body: `{"site": "blog", "url": "http://127.0.0.1:9/journey", "events": ["comment.published"], "description": "journey"}`, want: 201})
	hookID := jsonID(t, hook, "webhook.id")
	do(call{caller: T, method: "POST", path: "/api/v1/admin/webhooks", body: `{"site": "blog", "url": "ftp://x"}`, want: 422})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/webhooks?site=blog", want: 200})
	do(call{caller: T, method: "GET", path: "/api/v1/admin/webhooks/" + hookID, want: 200})
	do(call{caller: T, method: "PATCH", path: "/api/v1/admin/webhooks/" + hookID, body: `{"events": ["comment.published", "comment.unpublished"], "disabled": false}`, want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/webhooks/" + hookID + "/rotate", want: 200})
	ping := do(call{caller: T, method: "POST", path: "/api/v1/admin/webhooks/" + hookID + "/ping", want: 202})
	do(call{caller: T, method: "GET", path: fmt.Sprintf("/api/v1/admin/webhooks/%d/deliveries", e.Webhook), want: 200})
	do(call{caller: S, method: "GET", path: "/api/v1/admin/webhooks/" + hookID + "/deliveries?status=pending&limit=10", want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/webhooks/" + hookID + "/deliveries/" + jsonID(t, ping, "delivery.id") + "/redeliver", want: 202})
	do(call{caller: T, method: "DELETE", path: "/api/v1/admin/webhooks/" + hookID, want: 204})

	// A commenter's data, exported and erased.
	do(call{caller: T, method: "POST", path: "/api/v1/admin/commenters/export", body: `{"email": "walker@example.org"}`, want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/commenters/erase", body: `{"email": "walker@example.org", "sites": ["blog"]}`, want: 200})
	do(call{caller: T, method: "POST", path: "/api/v1/admin/commenters/erase", body: `{"email": ""}`, want: 422})

	// The author's deletion (a fresh comment: the one above is erased), and sign-out.
	posted = do(call{caller: N, method: "POST", path: "/api/v1/sites/blog/comments", body: strings.Replace(sub, "journey-1", "journey-2", 1), want: 202})
	editToken, _ = jsonField(t, posted, "edit_token").(string)
	do(call{caller: N, method: "DELETE", path: "/api/v1/comments/" + jsonID(t, posted, "comment.id"), header: map[string]string{"X-Edit-Token": editToken}, want: 204})
	do(call{caller: S, method: "POST", path: "/api/v1/auth/logout", want: 204})

	// Which described operations no journey answered, for whoever adds a route.
	var missed []string
	for path, methods := range openAPIPaths(t) {
		for _, m := range methods {
			if !rec.answered(strings.ToUpper(m), path) {
				missed = append(missed, strings.ToUpper(m)+" "+path)
			}
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Logf("described operations no journey here answered: %v", missed)
	}
}

// answered reports whether a request matching the described operation was sent.
func (rec *recorder) answered(method, path string) bool {
	for sent := range rec.seen {
		m, p, _ := strings.Cut(sent, " ")
		p, _, _ = strings.Cut(p, "?")
		if m == method && matchTemplate(path, p) {
			return true
		}
	}
	return false
}

// matchTemplate matches a concrete path against an OpenAPI template segment by segment.
func matchTemplate(tpl, path string) bool {
	ts, ps := strings.Split(tpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") {
			if suffix := ts[i][strings.Index(ts[i], "}")+1:]; !strings.HasSuffix(ps[i], suffix) {
				return false
			}
			continue
		}
		if ts[i] != ps[i] {
			return false
		}
	}
	return true
}
