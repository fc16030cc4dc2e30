package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
)

// accountView is an account as admins manage it. It has no field for the password
// hash, so no answer can carry it.
type accountView struct {
	ID         int64      `json:"id"`
	Email      string     `json:"email"`
	Role       auth.Role  `json:"role"`
	Sites      []string   `json:"sites"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

func viewAccount(u auth.User) accountView {
	return accountView{ID: u.ID, Email: u.Email, Role: u.Role, Sites: nonNil(u.Sites), CreatedAt: u.CreatedAt,
		DisabledAt: optionalTime(u.DisabledAt)}
}

// listUsers answers every account: GET /api/v1/admin/users, admins only.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.admin.Users(r.Context(), principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]accountView, len(us))
	for i, u := range us {
		out[i] = viewAccount(u)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

type newUserBody struct {
	Email    string    `json:"email"`
	Role     auth.Role `json:"role"`
	Sites    []string  `json:"sites"`
	Password string    `json:"password"`
	// Invite mails the account a link to choose its own password (mail must be on);
	// no password is answered then.
	Invite bool `json:"invite"`
}

// createUser adds an account: POST /api/v1/admin/users, admins only. Without a
// password one is generated and answered, once, as "password"; with "invite": true
// the account is mailed a link to choose one instead.
func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	if s.accounts == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	var body newUserBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Role == "" {
		body.Role = auth.RoleModerator
	}
	if body.Invite && (s.mailSettings == nil || body.Password != "") {
		s.writeError(w, r, comment.Invalid("invite", "needs a server that sends mail, and no password"))
		return
	}
	u, generated, err := s.admin.AddUser(r.Context(), principal(r), body.Email, body.Role, body.Sites, body.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := map[string]any{"user": viewAccount(u)}
	if body.Invite {
		// The account exists either way; a failure to queue the mail is told, and
		// the admin can set a password instead.
		if err := s.mailSettings.Invite(r.Context(), principal(r), u.ID); err != nil {
			s.log.Error("invitation mail", slog.Int64("user_id", u.ID), slog.String("error", err.Error()))
			out["invite_error"] = "the invitation could not be queued; set a password for the account"
		} else {
			out["invited"] = true
		}
	} else if generated != "" {
		out["password"] = generated
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
}

type userPatchBody struct {
	Role     *auth.Role `json:"role"`
	Sites    *[]string  `json:"sites"`
	Disabled *bool      `json:"disabled"`
	Password *string    `json:"password"`
}

// updateUser changes an account's role, sites, password or whether it is disabled:
// PATCH /api/v1/admin/users/{id}, admins only. The account's sessions end; when it is
// the caller's own, the caller's cookie is cleared too.
func (s *server) updateUser(w http.ResponseWriter, r *http.Request) {
	if s.accounts == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	var body userPatchBody
	if err := decodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	change := auth.UserChange{Role: body.Role, Sites: body.Sites, Disabled: body.Disabled, Password: body.Password}
	u, err := s.admin.UpdateUser(r.Context(), p, pathID(r), change)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if u.ID == p.UserID {
		if _, err := s.accounts.Authenticate(r.Context(), sessionFrom(r)); err != nil {
			s.setSession(w, r, "", -time.Second) // signed out by the change
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"user": viewAccount(u)})
}
