// Package admin owns the life of sites, API tokens, webhook endpoints and moderator
// accounts: the one place the HTTP API, the dashboard and the command line call to
// create, change, list and remove them, so that neither front end holds a rule. What
// makes an account an account (passwords, sessions, the last-admin rule, tokens
// ending with the admin rights) is auth.Accounts', which the service calls.
//
// Every method takes the principal acting. Managing is for admins
// (comment.ErrForbidden otherwise); a single thing on a site the principal does not
// work on is comment.ErrNotVisible, answered as if it did not exist. The command line
// acts as Operator.
package admin

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/webhook"
)

// Store is what the service reads and writes.
type Store interface {
	siteStore
	tokenStore
	webhookStore
	akismetKeyStore
	// Installs lists what the widget reported from a site's origins.
	Installs(ctx context.Context, siteID string) ([]site.Install, error)
	// Users lists every account, to list them and to name the creators of tokens.
	Users(ctx context.Context) ([]auth.User, error)
}

type siteStore interface {
	// Site returns a site or an error wrapping comment.ErrNotFound.
	Site(ctx context.Context, id string) (site.Site, error)
	Sites(ctx context.Context) ([]site.Site, error)
	// CreateSite stores a new site; an id in use is comment.ErrConflict.
	CreateSite(ctx context.Context, s site.Site) error
	// UpdateSite replaces a site's settings; an unknown id is comment.ErrNotFound.
	UpdateSite(ctx context.Context, s site.Site) error
}

type tokenStore interface {
	// CreateToken stores t and sets its id; with whileAdmin not 0, only while that
	// account is an enabled admin (comment.ErrUnauthorized otherwise), checked in the
	// same transaction so that a concurrent demotion is ordered before or after.
	CreateToken(ctx context.Context, t *auth.Token, whileAdmin int64) error
	Tokens(ctx context.Context) ([]auth.Token, error)
	// RevokeToken revokes a token from at on; an unknown id is comment.ErrNotFound.
	RevokeToken(ctx context.Context, id int64, at time.Time) error
	// CountTokens counts the tokens, revoked ones included.
	CountTokens(ctx context.Context) (int, error)
}

type webhookStore interface {
	CreateWebhook(ctx context.Context, w *webhook.Endpoint) error
	UpdateWebhook(ctx context.Context, w webhook.Endpoint) error
	DeleteWebhook(ctx context.Context, id int64) error
	// Webhook returns an endpoint or an error wrapping comment.ErrNotFound.
	Webhook(ctx context.Context, id int64) (webhook.Endpoint, error)
	// Webhooks lists the endpoints of the sites in scope (nil: every site), of siteID
	// alone when it is not empty.
	Webhooks(ctx context.Context, scope []string, siteID string) ([]webhook.Endpoint, error)
	Deliveries(ctx context.Context, endpointID int64, status webhook.DeliveryStatus, cursor string, limit int) ([]webhook.Delivery, string, error)
	// Redeliver queues delivery id of endpointID again at at.
	Redeliver(ctx context.Context, endpointID, id int64, at time.Time) (webhook.Delivery, error)
	EnqueueDelivery(ctx context.Context, d *webhook.Delivery) error
}

// Accounts creates and changes moderator accounts (auth.Accounts).
type Accounts interface {
	AddUser(ctx context.Context, email string, role auth.Role, sites []string, password string) (auth.User, string, error)
	UpdateUser(ctx context.Context, actor auth.Principal, id int64, c auth.UserChange) (auth.User, error)
}

// Options tune the service.
type Options struct {
	// AllowPrivateNetworks is webhooks.allow_private_networks: without it an endpoint
	// whose URL names a private or reserved address is refused when the URL is set.
	AllowPrivateNetworks bool
	// Accounts creates and changes accounts; nil manages none (comment.ErrNotFound).
	Accounts Accounts
	// Installs gathers the widgets' reports; nil: Installs reads only what is stored.
	Installs *InstallLog
}

// Service manages sites, tokens, webhook endpoints and accounts.
type Service struct {
	store        Store
	accounts     Accounts
	now          func() time.Time
	allowPrivate bool
	installs     *InstallLog
}

// New returns the service on store with clock now.
func New(store Store, now func() time.Time, o Options) *Service {
	return &Service{store: store, accounts: o.Accounts, now: now, allowPrivate: o.AllowPrivateNetworks, installs: o.Installs}
}

// Operator is who acts from the command line: whoever can run winnow's commands can
// read and write its database, so it has every right. It is no account: a token it
// makes belongs to nobody and ends with no account.
func Operator() auth.Principal {
	return auth.Principal{Name: "command line", Role: auth.RoleAdmin}
}

// Manage is the one check that p may manage sites, tokens, webhook endpoints and
// accounts: only admins may (comment.ErrForbidden otherwise). Every method that
// manages asks it; a front end may ask it early too, before it reads a request's body.
func Manage(p auth.Principal) error {
	if !p.IsAdmin() {
		return comment.ErrForbidden
	}
	return nil
}

// Sites lists the sites p works on, by id.
func (s *Service) Sites(ctx context.Context, p auth.Principal) ([]site.Site, error) {
	all, err := s.store.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: sites: %w", err)
	}
	return slices.DeleteFunc(all, func(st site.Site) bool { return !p.CanSite(st.ID) }), nil
}

// Site returns site id if p works on it.
func (s *Service) Site(ctx context.Context, p auth.Principal, id string) (site.Site, error) {
	if err := p.See(id); err != nil {
		return site.Site{}, err
	}
	st, err := s.store.Site(ctx, id)
	if err != nil {
		return site.Site{}, fmt.Errorf("admin: site %q: %w", id, err)
	}
	return st, nil
}

// CreateSite stores a new site and returns it as stored: normalized, validated, with
// its creation time. An id in use is comment.ErrConflict.
func (s *Service) CreateSite(ctx context.Context, p auth.Principal, st site.Site) (site.Site, error) {
	if err := Manage(p); err != nil {
		return site.Site{}, err
	}
	st.CreatedAt = s.now().UTC()
	if err := checkSite(&st); err != nil {
		return site.Site{}, err
	}
	if err := s.store.CreateSite(ctx, st); err != nil {
		return site.Site{}, fmt.Errorf("admin: site %q: %w", st.ID, err)
	}
	return st, nil
}

// UpdateSite applies change to site id and stores the result, normalized and
// validated; its id and creation time stay. A change that fails stores nothing.
func (s *Service) UpdateSite(ctx context.Context, p auth.Principal, id string, change func(*site.Site) error) (site.Site, error) {
	if err := Manage(p); err != nil {
		return site.Site{}, err
	}
	st, err := s.store.Site(ctx, id)
	if err != nil {
		return site.Site{}, fmt.Errorf("admin: site %q: %w", id, err)
	}
	if err := change(&st); err != nil {
		return site.Site{}, err
	}
	st.ID = id
	if err := checkSite(&st); err != nil {
		return site.Site{}, err
	}
	if err := s.store.UpdateSite(ctx, st); err != nil {
		return site.Site{}, fmt.Errorf("admin: site %q: %w", id, err)
	}
	return st, nil
}

// checkSite normalizes (filling in defaults) and validates a site to be stored, so
// that what is answered is what is stored.
func checkSite(st *site.Site) error {
	st.Normalize()
	return st.Validate()
}

// Token is an API token as admins review it, with the email of the account that made
// it (empty for none, or an account that is gone).
type Token struct {
	auth.Token
	CreatorEmail string
}

// TokenRequest is a token to make.
type TokenRequest struct {
	Name  string
	Role  auth.Role
	Sites []string
}

// CreateToken makes a token for p and returns it with the plain token, to show once.
// Its sites must exist. The token belongs to the account behind p (auth.Principal's
// Account), even when p is one of that account's tokens, and is made only while that
// account is an enabled admin: it ends when the account is disabled or stops being an
// admin (auth.Accounts.UpdateUser), and must not be made once it has.
func (s *Service) CreateToken(ctx context.Context, p auth.Principal, req TokenRequest) (Token, string, error) {
	if err := Manage(p); err != nil {
		return Token{}, "", err
	}
	if err := auth.CheckSites(ctx, s.store, "sites", req.Sites...); err != nil {
		return Token{}, "", err
	}
	// The creator's email before the token exists: an answer that failed after would
	// lose a token that is shown only once.
	emails, err := s.emails(ctx)
	if err != nil {
		return Token{}, "", err
	}
	t, plain, err := auth.NewToken(req.Name, req.Role, req.Sites, s.now().UTC())
	if err != nil {
		return Token{}, "", err
	}
	t.CreatedBy = p.Account()
	if err := s.store.CreateToken(ctx, &t, t.CreatedBy); err != nil {
		return Token{}, "", fmt.Errorf("admin: create token: %w", err)
	}
	return Token{Token: t, CreatorEmail: emails[t.CreatedBy]}, plain, nil
}

// FirstToken gives a fresh installation, one that has never had a token, its first
// admin token and returns it to show once; otherwise it returns "".
func (s *Service) FirstToken(ctx context.Context) (string, error) {
	n, err := s.store.CountTokens(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	_, plain, err := s.CreateToken(ctx, Operator(), TokenRequest{Name: "admin", Role: auth.RoleAdmin})
	return plain, err
}

// Tokens lists every token, revoked ones included, in creation order.
func (s *Service) Tokens(ctx context.Context, p auth.Principal) ([]Token, error) {
	if err := Manage(p); err != nil {
		return nil, err
	}
	ts, err := s.store.Tokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: tokens: %w", err)
	}
	emails, err := s.emails(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(ts))
	for i, t := range ts {
		out[i] = Token{Token: t, CreatorEmail: emails[t.CreatedBy]}
	}
	return out, nil
}

// RevokeToken revokes token id now; revoking twice keeps the first time.
func (s *Service) RevokeToken(ctx context.Context, p auth.Principal, id int64) error {
	if err := Manage(p); err != nil {
		return err
	}
	if err := s.store.RevokeToken(ctx, id, s.now().UTC()); err != nil {
		return fmt.Errorf("admin: revoke token %d: %w", id, err)
	}
	return nil
}

// Users lists every account in creation order, for admins.
func (s *Service) Users(ctx context.Context, p auth.Principal) ([]auth.User, error) {
	if err := Manage(p); err != nil {
		return nil, err
	}
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: users: %w", err)
	}
	return us, nil
}

// AddUser creates an account with role on sites, which must exist. Without a
// password one is generated and returned, to show once; otherwise the second result
// is empty. An email in use is a comment.ConflictError on "email".
func (s *Service) AddUser(ctx context.Context, p auth.Principal, email string, role auth.Role, sites []string, password string) (auth.User, string, error) {
	if err := Manage(p); err != nil {
		return auth.User{}, "", err
	}
	if s.accounts == nil {
		return auth.User{}, "", comment.ErrNotFound
	}
	return s.accounts.AddUser(ctx, email, role, sites, password)
}

// UpdateUser applies c to account id on p's behalf (see auth.Accounts.UpdateUser:
// nobody demotes or disables themselves or the last enabled admin, and the change
// ends the account's sessions and, with its admin rights, its tokens).
func (s *Service) UpdateUser(ctx context.Context, p auth.Principal, id int64, c auth.UserChange) (auth.User, error) {
	if err := Manage(p); err != nil {
		return auth.User{}, err
	}
	if s.accounts == nil {
		return auth.User{}, comment.ErrNotFound
	}
	return s.accounts.UpdateUser(ctx, p, id, c)
}

// emails maps account ids to emails, to name the creators of tokens.
func (s *Service) emails(ctx context.Context) (map[int64]string, error) {
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: users: %w", err)
	}
	emails := make(map[int64]string, len(us))
	for _, u := range us {
		emails[u.ID] = u.Email
	}
	return emails, nil
}
