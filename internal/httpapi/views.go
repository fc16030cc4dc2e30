package httpapi

import (
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/site"
)

// publicComment is everything anyone may see of a comment (httpx.PublicComment).
type publicComment = httpx.PublicComment

func (s *server) publicView(c comment.Comment) *publicComment {
	return httpx.PublicView(s.baseURL, c)
}

// adminComment is what a moderator sees, private fields included.
type adminComment struct {
	ID          int64          `json:"id"`
	Site        string         `json:"site"`
	Thread      string         `json:"thread"`
	ParentID    int64          `json:"parent_id,omitempty"`
	AuthorName  string         `json:"author_name"`
	AuthorEmail string         `json:"author_email"`
	AuthorURL   string         `json:"author_url,omitempty"`
	IP          string         `json:"ip"`
	UserAgent   string         `json:"user_agent"`
	BodySource  string         `json:"body_source"`
	BodyHTML    string         `json:"body_html"`
	Status      comment.Status `json:"status"`
	Score       float64        `json:"score"`
	Reasons     []string       `json:"reasons"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
}

func adminView(c comment.Comment) adminComment {
	a := adminComment{
		ID: c.ID, Site: c.SiteID, Thread: c.ThreadKey, ParentID: c.ParentID,
		AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail, AuthorURL: c.AuthorURL,
		IP: c.IP, UserAgent: c.UserAgent, BodySource: c.BodySource, BodyHTML: c.BodyHTML,
		Status: c.Status, Score: c.Score, Reasons: c.Reasons,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, PublishedAt: optionalTime(c.PublishedAt),
	}
	if a.Reasons == nil {
		a.Reasons = []string{}
	}
	return a
}

func adminViews(cs []comment.Comment) []adminComment {
	out := make([]adminComment, len(cs))
	for i, c := range cs {
		out[i] = adminView(c)
	}
	return out
}

type siteView struct {
	ID           string               `json:"id"`
	Name         string               `json:"name"`
	Origins      []string             `json:"origins"`
	Policy       site.Policy          `json:"policy"`
	MaxLinks     int                  `json:"max_links"`
	BlockedWords []string             `json:"blocked_words"`
	RateLimits   map[string]rateLimit `json:"rate_limits"`
	SpamSeed     site.SeedAction      `json:"spam_seed"`
	Scripts      []string             `json:"scripts"`
	// CDNCache is null while the site takes the server's lifetimes.
	CDNCache  *cdnCache `json:"cdn_cache"`
	CreatedAt time.Time `json:"created_at"`
}

// cdnCache is a site.CDNCache on the wire: {"s_maxage": "5s", "stale_while_revalidate": "30s"}.
type cdnCache struct {
	SMaxAge              string `json:"s_maxage"`
	StaleWhileRevalidate string `json:"stale_while_revalidate"`
}

// rateLimit is a site.Rate on the wire: {"count": 6, "period": "1m0s", "burst": 3}.
type rateLimit struct {
	Count  int    `json:"count"`
	Period string `json:"period"`
	Burst  int    `json:"burst"`
}

// rateScopes names a site's limits on the wire (httpx.RateScopes).
func rateScopes(l *site.RateLimits) map[string]*site.Rate { return httpx.RateScopes(l) }

func viewSite(s site.Site) siteView {
	v := siteView{ID: s.ID, Name: s.Name, Origins: s.Origins, Policy: s.Policy, MaxLinks: s.MaxLinks,
		BlockedWords: s.BlockedWords, SpamSeed: s.SpamSeed, Scripts: s.Scripts, CreatedAt: s.CreatedAt, RateLimits: map[string]rateLimit{}}
	if s.CDN != nil {
		v.CDNCache = &cdnCache{SMaxAge: s.CDN.SMaxAge.String(), StaleWhileRevalidate: s.CDN.StaleWhileRevalidate.String()}
	}
	effective := s.Limits.Effective()
	for name, r := range rateScopes(&effective) {
		v.RateLimits[name] = rateLimit{Count: r.Count, Period: r.Period.String(), Burst: r.Burst}
	}
	if v.Origins == nil {
		v.Origins = []string{}
	}
	if v.Scripts == nil {
		v.Scripts = []string{}
	}
	if v.BlockedWords == nil {
		v.BlockedWords = []string{}
	}
	return v
}

type eventView struct {
	ID        int64          `json:"id"`
	Site      string         `json:"site"`
	CommentID int64          `json:"comment_id"`
	Actor     string         `json:"actor"`
	Action    string         `json:"action"`
	From      comment.Status `json:"from"`
	To        comment.Status `json:"to"`
	Note      string         `json:"note,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

type tokenView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       auth.Role  `json:"role"`
	Sites      []string   `json:"sites"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// CreatedBy is the account the token was made by, for admins to review; null for a
	// token made by no account (the command line, the first run's token, or a token
	// older than the record), which disabling nobody revokes.
	CreatedBy *tokenCreator `json:"created_by"`
	// Token is the plain token, present only in the answer that created it.
	Token string `json:"token,omitempty"`
}

// tokenCreator names the account behind a token.
type tokenCreator struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// viewToken shows t and names its creator.
func viewToken(t admin.Token) tokenView {
	v := tokenView{ID: t.ID, Name: t.Name, Role: t.Role, Sites: t.Sites, CreatedAt: t.CreatedAt,
		LastUsedAt: optionalTime(t.LastUsedAt), RevokedAt: optionalTime(t.RevokedAt)}
	if t.CreatedBy != 0 {
		v.CreatedBy = &tokenCreator{ID: t.CreatedBy, Email: t.CreatorEmail}
	}
	if v.Sites == nil {
		v.Sites = []string{}
	}
	return v
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
