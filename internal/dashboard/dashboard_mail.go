package dashboard

import (
	"context"
	"net/http"

	"github.com/winnow/winnow/internal/notify"
)

// MailSettings reads how an account hears of waiting comments (notify.Service).
type MailSettings interface {
	Preferences(ctx context.Context, userID int64) (map[string]notify.Mode, error)
}

// modeChoice is one site's (or the default's) select on the mail page.
type modeChoice struct {
	ID, Name string
	// Mode is the chosen mode; "" on a site means "as the default".
	Mode string
}

// mailView is what admin_mail.html shows.
type mailView struct {
	layoutView
	Default modeChoice
	Sites   []modeChoice
}

// MailPage is the signed-in account's mail settings: how it hears of each site's
// waiting comments (at once, an hourly digest, never) and, for admins, a button that
// sends a test mail. GET /admin/mail; admin.js saves through
// /api/v1/admin/account/mail. An API token has no account, and so no page.
func (d *Dashboard) MailPage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, false)
	if !ok {
		return
	}
	if d.mail == nil || p.UserID == 0 {
		d.errorPage(w, r, p, session, http.StatusNotFound, "This server sends no mail, or this is not an account: mail settings belong to a signed-in account on a server with smtp.host or smtp.url set.")
		return
	}
	modes, err := d.mail.Preferences(r.Context(), p.UserID)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	sites, err := d.admin.Sites(r.Context(), p)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := mailView{layoutView: d.layout(p, session, "Mail", "mail"), Default: modeChoice{Mode: string(notify.DefaultMode)}}
	if m, ok := modes[""]; ok {
		v.Default.Mode = string(m)
	}
	for _, s := range sites {
		v.Sites = append(v.Sites, modeChoice{ID: s.ID, Name: s.Name, Mode: string(modes[s.ID])})
	}
	d.render(w, r, "admin_mail.html", http.StatusOK, v)
}
