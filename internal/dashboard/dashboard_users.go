package dashboard

import (
	"net/http"
	"slices"
	"strings"

	"github.com/winnow/winnow/internal/auth"
)

// userRow is an account as the users page lists it, with the choices of its edit form.
type userRow struct {
	ID                 int64
	Email, Role, Sites string
	Created, Disabled  string // Disabled is when, or empty while the account is enabled
	Admin, Self        bool
	Choices            []siteOption // every site, Selected when the account has it
}

// usersView is what admin_users.html shows.
type usersView struct {
	layoutView
	Users     []userRow
	Sites     []siteOption
	MinLength int
}

// UsersPage lists the accounts, with a form to add one and, per account, forms to
// change its role and sites, disable or enable it and set a password: GET
// /admin/users, admins only. admin.js saves through /api/v1/admin/users.
func (d *Dashboard) UsersPage(w http.ResponseWriter, r *http.Request) {
	p, session, ok := d.pageUser(w, r, true)
	if !ok {
		return
	}
	users, err := d.admin.Users(r.Context(), p)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	sites, err := d.admin.Sites(r.Context(), p)
	if err != nil {
		d.fail(w, r, p, session, err)
		return
	}
	v := usersView{layoutView: d.page(p, session, "admin.users", "users"), MinLength: auth.MinPasswordLength}
	for _, s := range sites {
		v.Sites = append(v.Sites, siteOption{ID: s.ID, Name: s.Name})
	}
	for _, u := range users {
		row := userRow{ID: u.ID, Email: u.Email, Role: string(u.Role), Sites: strings.Join(u.Sites, ", "),
			Created: dashboardTime(u.CreatedAt), Admin: u.Role == auth.RoleAdmin, Self: u.ID == p.UserID}
		if u.Disabled() {
			row.Disabled = dashboardTime(u.DisabledAt)
		}
		for _, s := range sites {
			row.Choices = append(row.Choices, siteOption{ID: s.ID, Name: s.Name, Selected: slices.Contains(u.Sites, s.ID)})
		}
		v.Users = append(v.Users, row)
	}
	d.render(w, r, "admin_users.html", http.StatusOK, v)
}
