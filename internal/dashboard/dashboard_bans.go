package dashboard

import (
	"net/http"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// banRow is one ban as the bans page shows it. Hint is the masked value the ban was
// made with (the ban itself holds only a keyed hash).
type banRow struct {
	ID                  int64
	Site, Kind, Hint    string
	Note, By            string
	Created, CreatedISO string
	Expires, ExpiresISO string
	Active              bool
}

// bansView is what admin_bans.html shows.
type bansView struct {
	layoutView
	Bans []banRow
}

// BansPage lists the bans of the user's sites, newest first, each with a Lift button:
// GET /admin/bans. A ban made from the queue by mistake is undone here.
func (d *Dashboard) BansPage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, false)
	if !ok {
		return
	}
	bans, err := d.store.Bans(r.Context(), p.Scope(), "")
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := bansView{layoutView: d.page(p, session, "admin.bans", "bans")}
	now := d.now()
	for _, b := range bans {
		row := banRow{ID: b.ID, Site: b.SiteID, Kind: banKindText(b.Kind), Hint: b.Hint, Note: b.Note, By: b.CreatedBy,
			Created: dashboardTime(b.CreatedAt), CreatedISO: b.CreatedAt.UTC().Format(time.RFC3339), Active: b.Active(now)}
		if !b.ExpiresAt.IsZero() {
			row.Expires, row.ExpiresISO = dashboardTime(b.ExpiresAt), b.ExpiresAt.UTC().Format(time.RFC3339)
		}
		v.Bans = append(v.Bans, row)
	}
	d.render(w, r, "admin_bans.html", http.StatusOK, v)
}

// banKindText names what a ban matches, for people.
func banKindText(k comment.BanKind) string {
	switch k {
	case comment.BanEmail:
		return "email"
	case comment.BanIP:
		return "IP address or network"
	case comment.BanDomain:
		return "email or website domain"
	}
	return string(k)
}
