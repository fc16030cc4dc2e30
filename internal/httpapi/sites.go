package httpapi

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
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
	ID           string          `json:"id"`
	Name         *string         `json:"name"`
	Origins      *[]string       `json:"origins"`
	Policy       *comment.Policy `json:"policy"`
	MaxLinks     *int            `json:"max_links"`
	BlockedWords *[]string       `json:"blocked_words"`
	// SpamSeed says how far the built-in spam seed may act alone: fold or hold.
	SpamSeed *comment.SeedAction `json:"spam_seed"`
	// Scripts name the writing systems the site's readers use (comment.Scripts).
	Scripts *[]string `json:"scripts"`
	// RateLimits override limits by scope; a null scope returns it to the default.
	RateLimits map[string]*rateLimit `json:"rate_limits"`
}

func (b siteBody) applyTo(site *comment.Site) error {
	if b.Name != nil {
		site.Name = *b.Name
	}
	if b.Origins != nil {
		site.Origins = *b.Origins
	}
	if b.Policy != nil {
		site.Policy = *b.Policy
	}
	if b.MaxLinks != nil {
		site.MaxLinks = *b.MaxLinks
	}
	if b.BlockedWords != nil {
		site.BlockedWords = *b.BlockedWords
	}
	if b.SpamSeed != nil {
		if *b.SpamSeed == "" { // Normalize would read it as the default
			return comment.Invalid("spam_seed", "must be fold or hold")
		}
		site.SpamSeed = *b.SpamSeed
	}
	if b.Scripts != nil {
		site.Scripts = *b.Scripts
	}
	scopes := rateScopes(&site.Limits)
	for name, r := range b.RateLimits {
		field := "rate_limits." + name
		p, ok := scopes[name]
		switch {
		case !ok:
			return comment.Invalid(field, "must be ip, email, thread or site")
		case r == nil:
			*p = comment.Rate{}
		default:
			period, err := time.ParseDuration(r.Period)
			if err != nil {
				return comment.Invalid(field, `period must be a duration like "1m" or "30s"`)
			}
			*p = comment.Rate{Count: r.Count, Period: period, Burst: r.Burst}
		}
	}
	return nil
}

func (s *server) createSite(w http.ResponseWriter, r *http.Request) {
	var body siteBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	site := comment.NewSite(body.ID, "")
	err := body.applyTo(&site)
	if err == nil {
		site, err = s.admin.CreateSite(r.Context(), principal(r), site)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"site": viewSite(site)})
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
