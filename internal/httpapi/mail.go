package httpapi

import (
	"context"
	"net/http"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/notify"
)

// MailSettings keeps how each account hears of waiting comments (notify.Service).
type MailSettings interface {
	Preferences(ctx context.Context, userID int64) (map[string]notify.Mode, error)
	SetPreference(ctx context.Context, p auth.Principal, site string, mode notify.Mode) error
}

// mailSettingsView is an account's mail modes: its default for every site and one
// per site it chose one for.
type mailSettingsView struct {
	Default notify.Mode            `json:"default"`
	Sites   map[string]notify.Mode `json:"sites"`
}

func (s *server) mailSettingsOf(r *http.Request) (mailSettingsView, error) {
	ps, err := s.mailSettings.Preferences(r.Context(), principal(r).UserID)
	if err != nil {
		return mailSettingsView{}, err
	}
	v := mailSettingsView{Default: notify.DefaultMode, Sites: map[string]notify.Mode{}}
	for site, m := range ps {
		if site == "" {
			v.Default = m
		} else {
			v.Sites[site] = m
		}
	}
	return v, nil
}

// getMailSettings answers the signed-in account's mail modes: GET
// /api/v1/admin/account/mail.
func (s *server) getMailSettings(w http.ResponseWriter, r *http.Request) {
	if s.mailSettings == nil || principal(r).UserID == 0 {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	v, err := s.mailSettingsOf(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
}

// mailSettingsBody changes modes: default for every site, sites per site (a mode of
// "" there forgets the site's own and takes the default again).
type mailSettingsBody struct {
	Default *notify.Mode           `json:"default"`
	Sites   map[string]notify.Mode `json:"sites"`
}

// putMailSettings changes the signed-in account's mail modes: PATCH
// /api/v1/admin/account/mail. Each change is checked before any is stored.
func (s *server) patchMailSettings(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if s.mailSettings == nil || p.UserID == 0 {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	var body mailSettingsBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Default != nil && !body.Default.Valid() {
		s.writeError(w, r, comment.Invalid("default", "must be instant, hourly or off"))
		return
	}
	for site, m := range body.Sites {
		if site == "" || (m != "" && !m.Valid()) || p.See(site) != nil {
			s.writeError(w, r, comment.Invalid("sites", "each must be one of your sites, with instant, hourly, off or \"\""))
			return
		}
	}
	if body.Default != nil {
		if err := s.mailSettings.SetPreference(r.Context(), p, "", *body.Default); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	for site, m := range body.Sites {
		if err := s.mailSettings.SetPreference(r.Context(), p, site, m); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.getMailSettings(w, r)
}
