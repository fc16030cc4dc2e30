package admin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
	"github.com/winnow/winnow/internal/webhook"
)

var _ admin.Store = (*sqlstore.Store)(nil)

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func clock() time.Time { return epoch }

var (
	op       = admin.Operator()
	modOfA   = auth.Principal{TokenID: 7, Name: "mod", Role: auth.RoleModerator, Sites: []string{"a"}}
	adminTok = auth.Principal{TokenID: 8, Name: "root", Role: auth.RoleAdmin}
)

// field reports the field a validation error names, or "".
func field(err error) string {
	var ve *comment.ValidationError
	if errors.As(err, &ve) {
		for f := range ve.Fields {
			return f
		}
	}
	return ""
}

// setup makes sites a and b on a fresh store.
func setup(t *testing.T, s *sqlstore.Store, o admin.Options) *admin.Service {
	t.Helper()
	svc := admin.New(s, clock, o)
	for _, id := range []string{"a", "b"} {
		if _, err := svc.CreateSite(context.Background(), op, site.NewSite(id, "Site "+id)); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

func TestSites(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		svc := setup(t, s, admin.Options{})
		tests := []struct {
			name    string
			p       auth.Principal
			site    site.Site
			wantErr error
			field   string
		}{
			{"normalized and stamped", op, site.Site{ID: " blog ", Name: "Blog", Origins: []string{"HTTPS://Blog.Example", "https://blog.example"}, Policy: site.PolicyAll}, nil, ""},
			{"bad id", op, site.NewSite("Bad Id", "x"), nil, "id"},
			{"id in use", adminTok, site.NewSite("a", "again"), comment.ErrConflict, ""},
			{"a moderator may not", modOfA, site.NewSite("mine", "x"), comment.ErrForbidden, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.CreateSite(ctx, tt.p, tt.site)
				switch {
				case tt.field != "":
					if field(err) != tt.field {
						t.Fatalf("CreateSite = %v, want invalid %s", err, tt.field)
					}
					return
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("CreateSite = %v, want %v", err, tt.wantErr)
					}
					return
				case err != nil:
					t.Fatal(err)
				}
				stored, err := s.Site(ctx, got.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != "blog" || len(got.Origins) != 1 || got.Origins[0] != "https://blog.example" ||
					!got.CreatedAt.Equal(epoch) || !stored.CreatedAt.Equal(epoch) || stored.SpamSeed != site.SeedFold {
					t.Errorf("created %+v, stored %+v", got, stored)
				}
			})
		}

		// Listing and reading go by the principal's sites.
		if sites, err := svc.Sites(ctx, modOfA); err != nil || len(sites) != 1 || sites[0].ID != "a" {
			t.Errorf("moderator's sites = %v, %v", sites, err)
		}
		if sites, _ := svc.Sites(ctx, op); len(sites) != 3 {
			t.Errorf("operator's sites = %v, want a, b and blog", sites)
		}
		if _, err := svc.Site(ctx, modOfA, "b"); !errors.Is(err, comment.ErrNotVisible) || !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("another site = %v, want ErrNotVisible", err)
		}
		if _, err := svc.Site(ctx, op, "nope"); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("unknown site = %v", err)
		}

		// An update applies the change, normalized, and keeps the id and creation time;
		// a refused change stores nothing.
		got, err := svc.UpdateSite(ctx, op, "a", func(s *site.Site) error {
			s.ID, s.Name, s.Origins, s.CreatedAt = "z", " Renamed ", []string{"https://A.example"}, epoch.Add(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := s.Site(ctx, "a")
		if got.ID != "a" || stored.Name != "Renamed" || len(stored.Origins) != 1 || stored.Origins[0] != "https://a.example" || !stored.CreatedAt.Equal(epoch) {
			t.Errorf("updated %+v, stored %+v", got, stored)
		}
		for name, change := range map[string]func(*site.Site) error{
			"invalid":  func(s *site.Site) error { s.Name = ""; s.Policy = "sometimes"; return nil },
			"refused":  func(s *site.Site) error { s.Name = "x"; return comment.Invalid("rate_limits.ip", "no") },
			"stranger": nil,
		} {
			p := op
			if change == nil {
				p, change = modOfA, func(s *site.Site) error { s.Name = "x"; return nil }
			}
			if _, err := svc.UpdateSite(ctx, p, "a", change); err == nil {
				t.Errorf("%s: UpdateSite succeeded", name)
			}
		}
		if after, _ := s.Site(ctx, "a"); after.Name != "Renamed" || after.Policy != stored.Policy {
			t.Errorf("a refused update stored %+v", after)
		}
		if _, err := svc.UpdateSite(ctx, op, "nope", func(*site.Site) error { return nil }); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("UpdateSite(unknown) = %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		svc := setup(t, s, admin.Options{})
		ann := auth.User{Email: "ann@example.org", Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: epoch}
		if err := s.CreateUser(ctx, &ann); err != nil {
			t.Fatal(err)
		}
		annSession := auth.Principal{UserID: ann.ID, Name: ann.Email, Role: auth.RoleAdmin}
		annToken := auth.Principal{TokenID: 3, Name: "ann's", Role: auth.RoleAdmin, TokenCreatedBy: ann.ID}

		tests := []struct {
			name    string
			p       auth.Principal
			req     admin.TokenRequest
			field   string
			wantErr error
			by      int64
		}{
			{"operator's belongs to nobody", op, admin.TokenRequest{Name: "cron", Role: auth.RoleAdmin}, "", nil, 0},
			{"a signed-in admin's", annSession, admin.TokenRequest{Name: "ci", Role: auth.RoleModerator, Sites: []string{"a", "b"}}, "", nil, ann.ID},
			{"made with a token is its account's", annToken, admin.TokenRequest{Name: "ci2", Role: auth.RoleAdmin}, "", nil, ann.ID},
			{"unknown site", op, admin.TokenRequest{Name: "x", Role: auth.RoleModerator, Sites: []string{"a", "nope"}}, "sites", nil, 0},
			{"moderator without sites", op, admin.TokenRequest{Name: "x", Role: auth.RoleModerator}, "sites", nil, 0},
			{"admin with sites", op, admin.TokenRequest{Name: "x", Role: auth.RoleAdmin, Sites: []string{"a"}}, "sites", nil, 0},
			{"no name", op, admin.TokenRequest{Role: auth.RoleAdmin}, "name", nil, 0},
			{"bad role", op, admin.TokenRequest{Name: "x", Role: "owner"}, "role", nil, 0},
			{"a moderator may not", modOfA, admin.TokenRequest{Name: "x", Role: auth.RoleModerator, Sites: []string{"a"}}, "", comment.ErrForbidden, 0},
			{"an account that is gone", auth.Principal{UserID: 999, Role: auth.RoleAdmin}, admin.TokenRequest{Name: "x", Role: auth.RoleAdmin}, "", comment.ErrUnauthorized, 0},
		}
		made := 0
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tok, plain, err := svc.CreateToken(ctx, tt.p, tt.req)
				switch {
				case tt.field != "":
					if field(err) != tt.field {
						t.Fatalf("CreateToken = %v, want invalid %s", err, tt.field)
					}
					return
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("CreateToken = %v, want %v", err, tt.wantErr)
					}
					return
				case err != nil:
					t.Fatal(err)
				}
				made++
				got, err := auth.Authenticate(ctx, s, plain, epoch)
				if err != nil || got.TokenID != tok.ID || got.Role != tt.req.Role || got.TokenCreatedBy != tt.by {
					t.Errorf("the token authenticates as %+v, %v", got, err)
				}
				wantEmail := ""
				if tt.by != 0 {
					wantEmail = ann.Email
				}
				if tok.CreatedBy != tt.by || tok.CreatorEmail != wantEmail || !tok.CreatedAt.Equal(epoch) {
					t.Errorf("token %+v", tok)
				}
			})
		}

		ts, err := svc.Tokens(ctx, op)
		if err != nil || len(ts) != made {
			t.Fatalf("Tokens = %d, %v; want %d", len(ts), err, made)
		}
		if ts[1].CreatorEmail != ann.Email || ts[0].CreatorEmail != "" {
			t.Errorf("creators: %q, %q", ts[0].CreatorEmail, ts[1].CreatorEmail)
		}
		if _, err := svc.Tokens(ctx, modOfA); !errors.Is(err, comment.ErrForbidden) {
			t.Errorf("a moderator's Tokens = %v", err)
		}
		if err := svc.RevokeToken(ctx, modOfA, ts[0].ID); !errors.Is(err, comment.ErrForbidden) {
			t.Errorf("a moderator's RevokeToken = %v", err)
		}
		if err := svc.RevokeToken(ctx, op, ts[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeToken(ctx, op, 99999); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("RevokeToken(unknown) = %v", err)
		}
		if ts, _ = svc.Tokens(ctx, op); !ts[0].RevokedAt.Equal(epoch) || !ts[1].RevokedAt.IsZero() {
			t.Errorf("revoked at %v and %v", ts[0].RevokedAt, ts[1].RevokedAt)
		}

		// The first token is made once, for an installation that never had one.
		if plain, err := svc.FirstToken(ctx); plain != "" || err != nil {
			t.Errorf("FirstToken with tokens = %q, %v", plain, err)
		}
		fresh := admin.New(sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t)), clock, admin.Options{})
		plain, err := fresh.FirstToken(ctx)
		if err != nil || plain == "" {
			t.Fatalf("FirstToken = %q, %v", plain, err)
		}
		if again, _ := fresh.FirstToken(ctx); again != "" {
			t.Error("FirstToken made a second token")
		}

		// Users are listed for admins only.
		if us, err := svc.Users(ctx, annSession); err != nil || len(us) != 1 || us[0].Email != ann.Email {
			t.Errorf("Users = %v, %v", us, err)
		}
		if _, err := svc.Users(ctx, modOfA); !errors.Is(err, comment.ErrForbidden) {
			t.Errorf("a moderator's Users = %v", err)
		}
	})
}

func TestWebhooks(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		svc := setup(t, s, admin.Options{})
		lenient := admin.New(s, clock, admin.Options{AllowPrivateNetworks: true})
		tests := []struct {
			name    string
			svc     *admin.Service
			p       auth.Principal
			hook    webhook.Endpoint
			field   string
			wantErr error
		}{
			{"public URL", svc, op, webhook.Endpoint{SiteID: "a", URL: " https://hooks.example/a ", Description: "chat"}, "", nil},
			{"private URL refused", svc, op, webhook.Endpoint{SiteID: "a", URL: "http://10.0.0.8/hook"}, "url", nil},
			{"private URL where allowed", lenient, op, webhook.Endpoint{SiteID: "b", URL: "http://10.0.0.8/hook"}, "", nil},
			{"unknown site", svc, op, webhook.Endpoint{SiteID: "nope", URL: "https://hooks.example/x"}, "site", nil},
			{"unknown event", svc, op, webhook.Endpoint{SiteID: "a", URL: "https://hooks.example/x", Events: []comment.EventType{"comment.eaten"}}, "events", nil},
			{"a moderator may not", svc, modOfA, webhook.Endpoint{SiteID: "a", URL: "https://hooks.example/x"}, "", comment.ErrForbidden},
		}
		ids := map[string]int64{}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w, err := tt.svc.CreateWebhook(ctx, tt.p, tt.hook)
				switch {
				case tt.field != "":
					if field(err) != tt.field {
						t.Fatalf("CreateWebhook = %v, want invalid %s", err, tt.field)
					}
					return
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("CreateWebhook = %v, want %v", err, tt.wantErr)
					}
					return
				case err != nil:
					t.Fatal(err)
				}
				stored, err := s.Webhook(ctx, w.ID)
				if err != nil {
					t.Fatal(err)
				}
				if w.Secret == "" || stored.Secret != w.Secret || !stored.CreatedAt.Equal(epoch) || stored.URL != w.URL || w.URL[0] == ' ' {
					t.Errorf("created %+v, stored %+v", w, stored)
				}
				ids[w.SiteID] = w.ID
			})
		}
		a, b := ids["a"], ids["b"]

		// A moderator sees its own site's endpoints and no other's.
		if ws, err := svc.Webhooks(ctx, modOfA, ""); err != nil || len(ws) != 1 || ws[0].ID != a {
			t.Errorf("moderator's webhooks = %v, %v", ws, err)
		}
		if _, err := svc.Webhooks(ctx, modOfA, "b"); !errors.Is(err, comment.ErrNotVisible) {
			t.Errorf("another site's webhooks = %v", err)
		}
		if _, err := svc.Webhook(ctx, modOfA, b); !errors.Is(err, comment.ErrNotVisible) {
			t.Errorf("another site's webhook = %v", err)
		}
		if _, _, _, err := svc.Deliveries(ctx, modOfA, b, "", "", 10); !errors.Is(err, comment.ErrNotVisible) {
			t.Errorf("another site's deliveries = %v", err)
		}

		// Updates: a URL is judged when it changes; an endpoint stays on its site.
		updates := []struct {
			name   string
			id     int64
			change func(*webhook.Endpoint) error
			field  string
		}{
			{"disable a private endpoint", b, func(w *webhook.Endpoint) error { w.Disabled = true; return nil }, ""},
			{"point it elsewhere private", b, func(w *webhook.Endpoint) error { w.URL = "http://10.0.0.9/hook"; return nil }, "url"},
			{"move it", a, func(w *webhook.Endpoint) error { w.SiteID = "b"; return nil }, "site"},
			{"describe it", a, func(w *webhook.Endpoint) error { w.Description = " ci "; w.Secret = "stolen"; return nil }, ""},
		}
		for _, tt := range updates {
			t.Run(tt.name, func(t *testing.T) {
				before, _ := s.Webhook(ctx, tt.id)
				w, err := svc.UpdateWebhook(ctx, op, tt.id, tt.change)
				after, _ := s.Webhook(ctx, tt.id)
				if tt.field != "" {
					if field(err) != tt.field {
						t.Errorf("UpdateWebhook = %v, want invalid %s", err, tt.field)
					}
					if after.URL != before.URL || after.SiteID != before.SiteID {
						t.Errorf("a refused update stored %+v", after)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if after.Secret != before.Secret || !after.UpdatedAt.Equal(epoch) || w.Description != after.Description || after.Description == " ci " {
					t.Errorf("updated %+v, stored %+v", w, after)
				}
			})
		}
		if _, err := svc.UpdateWebhook(ctx, modOfA, a, func(*webhook.Endpoint) error { return nil }); !errors.Is(err, comment.ErrForbidden) {
			t.Errorf("a moderator's UpdateWebhook = %v", err)
		}

		// Rotation: a new secret, the old one signing alongside for the grace period.
		before, _ := s.Webhook(ctx, a)
		w, err := svc.RotateWebhook(ctx, op, a)
		if err != nil {
			t.Fatal(err)
		}
		if secrets := w.Secrets(epoch); len(secrets) != 2 || secrets[0] == before.Secret || secrets[1] != before.Secret {
			t.Errorf("secrets after rotation: %v", secrets)
		}

		// A ping queues a delivery in the endpoint's log, which can be sent again.
		d, err := svc.PingWebhook(ctx, op, a)
		if err != nil || d.Type != comment.EventPing || d.EndpointID != a {
			t.Fatalf("PingWebhook = %+v, %v", d, err)
		}
		hook, ds, _, err := svc.Deliveries(ctx, modOfA, a, "", "", 10)
		if err != nil || len(ds) != 1 || ds[0].EventID != d.EventID || hook.ID != a || hook.SiteID != "a" {
			t.Fatalf("Deliveries = %+v, %v, %v", hook, ds, err)
		}
		if again, err := svc.Redeliver(ctx, op, a, ds[0].ID); err != nil || again.EventID != d.EventID {
			t.Errorf("Redeliver = %+v, %v", again, err)
		}
		if _, err := svc.Redeliver(ctx, op, b, ds[0].ID); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("Redeliver through another endpoint = %v", err)
		}

		// Deleting: admins only, and then it is gone.
		if err := svc.DeleteWebhook(ctx, modOfA, a); !errors.Is(err, comment.ErrForbidden) {
			t.Errorf("a moderator's DeleteWebhook = %v", err)
		}
		if err := svc.DeleteWebhook(ctx, op, a); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteWebhook(ctx, op, a); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("DeleteWebhook twice = %v", err)
		}
	})
}

func TestUsers(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		accounts, err := auth.NewAccounts(s, clock, auth.Options{Params: auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		if err != nil {
			t.Fatal(err)
		}
		svc := setup(t, s, admin.Options{Accounts: accounts})
		root, generated, err := svc.AddUser(ctx, op, "Root@Example.org", auth.RoleAdmin, nil, "")
		if err != nil || generated == "" || root.Email != "root@example.org" || !root.CreatedAt.Equal(epoch) {
			t.Fatalf("AddUser = %+v, %q, %v", root, generated, err)
		}
		rootP := auth.Principal{UserID: root.ID, Name: root.Email, Role: auth.RoleAdmin}

		adds := []struct {
			name     string
			p        auth.Principal
			email    string
			role     auth.Role
			sites    []string
			field    string
			wantErr  error
			conflict bool
		}{
			{"an admin adds a moderator", rootP, "mod@example.org", auth.RoleModerator, []string{"b", "a"}, "", nil, false},
			{"a moderator may not", modOfA, "x@example.org", auth.RoleModerator, []string{"a"}, "", comment.ErrForbidden, false},
			{"the sites must exist", rootP, "x@example.org", auth.RoleModerator, []string{"nope"}, "sites", nil, false},
			{"an email in use", rootP, "MOD@example.org", auth.RoleModerator, []string{"a"}, "", comment.ErrConflict, true},
		}
		for _, tt := range adds {
			t.Run(tt.name, func(t *testing.T) {
				u, _, err := svc.AddUser(ctx, tt.p, tt.email, tt.role, tt.sites, "a long enough password")
				var ce *comment.ConflictError
				switch {
				case tt.field != "":
					if field(err) != tt.field {
						t.Fatalf("AddUser = %v, want invalid %s", err, tt.field)
					}
				case tt.conflict:
					if !errors.As(err, &ce) || ce.Field != "email" {
						t.Fatalf("AddUser = %v, want a conflict on email", err)
					}
				case tt.wantErr != nil:
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("AddUser = %v, want %v", err, tt.wantErr)
					}
				case err != nil:
					t.Fatal(err)
				default:
					if u.ID == 0 || u.Sites[0] != "a" {
						t.Errorf("added %+v", u)
					}
				}
			})
		}
		us, err := svc.Users(ctx, rootP)
		if err != nil || len(us) != 2 {
			t.Fatalf("Users = %v, %v", us, err)
		}
		mod := us[1]

		// Changes: admins only; nobody takes the last enabled admin away.
		disable := auth.UserChange{Disabled: new(true)}
		if _, err := svc.UpdateUser(ctx, modOfA, root.ID, disable); !errors.Is(err, comment.ErrForbidden) {
			t.Errorf("a moderator's UpdateUser = %v", err)
		}
		if _, err := svc.UpdateUser(ctx, adminTok, root.ID, disable); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("disabling the last admin = %v, want a conflict", err)
		}
		if u, err := svc.UpdateUser(ctx, rootP, mod.ID, disable); err != nil || !u.Disabled() {
			t.Errorf("disabling a moderator = %+v, %v", u, err)
		}

		// Without an account service there are no accounts to manage.
		bare := admin.New(s, clock, admin.Options{})
		if _, _, err := bare.AddUser(ctx, op, "y@example.org", auth.RoleAdmin, nil, ""); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("AddUser without accounts = %v", err)
		}
		if _, err := bare.UpdateUser(ctx, op, mod.ID, disable); !errors.Is(err, comment.ErrNotFound) {
			t.Errorf("UpdateUser without accounts = %v", err)
		}
	})
}
