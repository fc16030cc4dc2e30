package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

func (s *server) listSites(w http.ResponseWriter, r *http.Request) {
	sites, err := s.admin.Sites(r.Context(), principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []siteView{}
	for _, site := range sites {
		out = append(out, viewSite(site))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": out})
}

func (s *server) getSite(w http.ResponseWriter, r *http.Request) {
	site, err := s.admin.Site(r.Context(), principal(r), mux.Vars(r)["site"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"site": viewSite(site)})
}

// siteBody is a site as a client sends it; nil fields are left as they are.
type siteBody struct {
	ID           string       `json:"id"`
	Name         *string      `json:"name"`
	Origins      *[]string    `json:"origins"`
	Policy       *site.Policy `json:"policy"`
	MaxLinks     *int         `json:"max_links"`
	BlockedWords *[]string    `json:"blocked_words"`
	// SpamSeed says how far the built-in spam seed may act alone: fold or hold.
	SpamSeed *site.SeedAction `json:"spam_seed"`
	// Scripts name the writing systems the site's readers use (site.Scripts).
	Scripts *[]string `json:"scripts"`
	// RateLimits override limits by scope; a null scope returns it to the default.
	RateLimits map[string]*rateLimit `json:"rate_limits"`
	// CDNCache sets how long a CDN may keep the site's public reads ({"s_maxage": "5s",
	// "stale_while_revalidate": "30s"}); null returns the site to the server's lifetimes,
	// and leaving it out leaves them as they are (raw, to tell the two apart).
	CDNCache jsontext.Value `json:"cdn_cache"`
}

func (b siteBody) applyTo(st *site.Site) error {
	if b.Name != nil {
		st.Name = *b.Name
	}
	if b.Origins != nil {
		st.Origins = *b.Origins
	}
	if b.Policy != nil {
		st.Policy = *b.Policy
	}
	if b.MaxLinks != nil {
		st.MaxLinks = *b.MaxLinks
	}
	if b.BlockedWords != nil {
		st.BlockedWords = *b.BlockedWords
	}
	if b.SpamSeed != nil {
		if *b.SpamSeed == "" { // Normalize would read it as the default
			return comment.Invalid("spam_seed", "must be fold or hold")
		}
		st.SpamSeed = *b.SpamSeed
	}
	if b.Scripts != nil {
		st.Scripts = *b.Scripts
	}
	if b.CDNCache != nil {
		cdn, err := decodeCDNCache(b.CDNCache)
		if err != nil {
			return err
		}
		st.CDN = cdn
	}
	scopes := rateScopes(&st.Limits)
	for name, r := range b.RateLimits {
		field := "rate_limits." + name
		p, ok := scopes[name]
		switch {
		case !ok:
			return comment.Invalid(field, "must be ip, email, thread or site")
		case r == nil:
			*p = site.Rate{}
		default:
			period, err := time.ParseDuration(r.Period)
			if err != nil {
				return comment.Invalid(field, `period must be a duration like "1m" or "30s"`)
			}
			*p = site.Rate{Count: r.Count, Period: period, Burst: r.Burst}
		}
	}
	return nil
}

// decodeCDNCache reads a site's cdn_cache member: nil for null, else both lifetimes.
func decodeCDNCache(raw jsontext.Value) (*site.CDNCache, error) {
	if raw.Kind() == 'n' {
		return nil, nil
	}
	var body cdnCache
	if err := decodeJSONBody(bytes.NewReader(raw), &body); err != nil {
		return nil, comment.Invalid("cdn_cache", `must be {"s_maxage": "5s", "stale_while_revalidate": "30s"} or null`)
	}
	var c site.CDNCache
	for _, f := range []struct {
		name, v string
		d       *time.Duration
	}{{"s_maxage", body.SMaxAge, &c.SMaxAge}, {"stale_while_revalidate", body.StaleWhileRevalidate, &c.StaleWhileRevalidate}} {
		d, err := time.ParseDuration(f.v)
		if err != nil {
			return nil, comment.Invalid("cdn_cache."+f.name, `must be a duration like "5s" or "1m"`)
		}
		*f.d = d
	}
	return &c, nil
}

func (s *server) createSite(w http.ResponseWriter, r *http.Request) {
	var body siteBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	st := site.NewSite(body.ID, "")
	err := body.applyTo(&st)
	if err == nil {
		st, err = s.admin.CreateSite(r.Context(), principal(r), st)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"site": viewSite(st)})
}

func (s *server) updateSite(w http.ResponseWriter, r *http.Request) {
	var body siteBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	site, err := s.admin.UpdateSite(r.Context(), principal(r), mux.Vars(r)["site"], body.applyTo)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sites.Forget(site.ID)
	writeJSON(w, http.StatusOK, map[string]any{"site": viewSite(site)})
}

type tokenBody struct {
	Name  string    `json:"name"`
	Role  auth.Role `json:"role"`
	Sites []string  `json:"sites"`
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request) {
	var body tokenBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Role == "" {
		body.Role = auth.RoleModerator
	}
	t, plain, err := s.admin.CreateToken(r.Context(), principal(r), admin.TokenRequest{Name: body.Name, Role: body.Role, Sites: body.Sites})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewToken(t)
	v.Token = plain
	writeJSON(w, http.StatusCreated, map[string]any{"token": v})
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.admin.Tokens(r.Context(), principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]tokenView, len(ts))
	for i, t := range ts {
		out[i] = viewToken(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.admin.RevokeToken(r.Context(), principal(r), pathID(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// issueAkismetKey gives a site a new key for the Akismet-compatible API, replacing
// the one it had, and answers it: the only time it is shown.
func (s *server) issueAkismetKey(w http.ResponseWriter, r *http.Request) {
	key, err := s.admin.IssueAkismetKey(r.Context(), principal(r), mux.Vars(r)["site"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]string{"key": key})
}

// revokeAkismetKey revokes a site's Akismet key.
func (s *server) revokeAkismetKey(w http.ResponseWriter, r *http.Request) {
	if err := s.admin.RevokeAkismetKey(r.Context(), principal(r), mux.Vars(r)["site"]); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
