package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
)

func (s *server) listSites(w http.ResponseWriter, r *http.Request) {
	sites, err := s.store.Sites(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	out := []siteView{}
	for _, site := range sites {
		if p.CanSite(site.ID) {
			out = append(out, viewSite(site))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": out})
}

func (s *server) getSite(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["site"]
	if err := principal(r).See(id); err != nil {
		s.writeError(w, r, err)
		return
	}
	site, err := s.store.Site(r.Context(), id)
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
		if *b.SpamSeed == "" {
			return comment.Invalid("spam_seed", "must be fold or hold")
		}
		site.SpamSeed = *b.SpamSeed
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
	site.CreatedAt = s.now().UTC()
	if err == nil {
		err = s.saveSite(r, &site, s.store.CreateSite)
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
	site, err := s.store.Site(r.Context(), mux.Vars(r)["site"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	err = body.applyTo(&site)
	if err == nil {
		err = s.saveSite(r, &site, s.store.UpdateSite)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.sites.forget(site.ID)
	writeJSON(w, http.StatusOK, map[string]any{"site": viewSite(site)})
}

// saveSite normalizes and validates site in place, so the answer shows what is stored.
func (s *server) saveSite(r *http.Request, site *comment.Site, save func(context.Context, comment.Site) error) error {
	site.Normalize()
	if err := site.Validate(); err != nil {
		return err
	}
	return save(r.Context(), *site)
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
	for _, id := range body.Sites {
		if _, err := s.store.Site(r.Context(), id); err != nil {
			s.writeError(w, r, comment.Invalid("sites", "no site "+id))
			return
		}
	}
	emails, err := s.userEmails(r.Context()) // before the token exists, which is shown once
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, plain, err := auth.NewToken(body.Name, body.Role, body.Sites, s.now().UTC())
	if err == nil {
		// The token belongs to the account behind the request, so that it ends with
		// that account's admin rights; a token made with a token is its account's too.
		t.CreatedBy = principal(r).Account()
		err = s.store.CreateToken(r.Context(), &t)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewToken(t, emails)
	v.Token = plain
	writeJSON(w, http.StatusCreated, map[string]any{"token": v})
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.store.Tokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	emails, err := s.userEmails(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]tokenView, len(ts))
	for i, t := range ts {
		out[i] = viewToken(t, emails)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.store.RevokeToken(r.Context(), pathID(r), s.now().UTC()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// userEmails maps account ids to emails, to name the creators of tokens.
func (s *server) userEmails(ctx context.Context) (map[int64]string, error) {
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	emails := make(map[int64]string, len(us))
	for _, u := range us {
		emails[u.ID] = u.Email
	}
	return emails, nil
}
