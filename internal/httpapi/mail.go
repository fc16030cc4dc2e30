package httpapi

import (
	"context"
	"net/http"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/email"
	"github.com/winnow/winnow/internal/notify"
)

// MailSettings keeps how each account hears of waiting comments (notify.Service).
type MailSettings interface {
	Preferences(ctx context.Context, userID int64) (map[string]notify.Mode, error)
	SetPreferences(ctx context.Context, p auth.Principal, def *notify.Mode, sites map[string]notify.Mode) error
	SendTest(ctx context.Context, p auth.Principal) (email.Mail, error)
	TestMail(ctx context.Context, p auth.Principal, id int64) (email.Mail, error)
	Invite(ctx context.Context, p auth.Principal, userID int64) error
}

// testMailView is a test mail as the dashboard follows it: never its text or address.
type testMailView struct {
	ID        int64        `json:"id"`
	Status    email.Status `json:"status"`
	Attempts  int          `json:"attempts"`
	LastError string       `json:"last_error"`
}

func viewTestMail(m email.Mail) map[string]any {
	return map[string]any{"mail": testMailView{ID: m.ID, Status: m.Status, Attempts: m.Attempts, LastError: m.LastError}}
}

// sendTestMail queues a test mail to the signed-in admin: POST /api/v1/admin/mail/test.
func (s *server) sendTestMail(w http.ResponseWriter, r *http.Request) {
	if s.mailSettings == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	m, err := s.mailSettings.SendTest(r.Context(), principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, viewTestMail(m))
}

// getTestMail says what became of a test mail: GET /api/v1/admin/mail/test/{id}.
func (s *server) getTestMail(w http.ResponseWriter, r *http.Request) {
	if s.mailSettings == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	m, err := s.mailSettings.TestMail(r.Context(), principal(r), pathID(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, viewTestMail(m))
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

// patchMailSettings changes the signed-in account's mail modes: PATCH
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
	if err := s.mailSettings.SetPreferences(r.Context(), p, body.Default, body.Sites); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.getMailSettings(w, r)
}
