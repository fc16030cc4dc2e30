package httpx

import (
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// DefaultThreadPage is how many top-level comments, each with all its replies, one
// page of a thread holds unless the reader asks for another size.
const DefaultThreadPage = 50

// PublicComment is everything anyone may see of a comment: the JSON API's threads and
// the no-JS thread page are both made of it. It is built field by field from
// comment.Comment, so a private field can only reach a public response by being added
// here.
type PublicComment struct {
	ID          int64            `json:"id"`
	ParentID    int64            `json:"parent_id,omitempty"`
	AuthorName  string           `json:"author_name"`
	AuthorURL   string           `json:"author_url,omitempty"`
	AvatarURL   string           `json:"avatar_url"`
	BodyHTML    string           `json:"body_html"`
	CreatedAt   time.Time        `json:"created_at"`
	PublishedAt *time.Time       `json:"published_at,omitempty"`
	Status      comment.Status   `json:"status,omitempty"` // only in the author's own answer
	Replies     []*PublicComment `json:"replies,omitempty"`
}

// PublicView is c as anyone may see it; avatars are linked under baseURL.
func PublicView(baseURL string, c comment.Comment) *PublicComment {
	p := &PublicComment{
		ID: c.ID, ParentID: c.ParentID, AuthorName: c.AuthorName, AuthorURL: c.AuthorURL,
		AvatarURL: comment.AvatarURL(baseURL, c.AvatarHash),
		BodyHTML:  c.BodyHTML, CreatedAt: c.CreatedAt,
	}
	if !c.PublishedAt.IsZero() {
		at := c.PublishedAt
		p.PublishedAt = &at
	}
	return p
}

// Tree nests replies under their parents, oldest reply first. A reply whose parent is
// not published is shown at the top level rather than hidden.
func Tree(baseURL string, cs []comment.Comment) []*PublicComment {
	nodes := make(map[int64]*PublicComment, len(cs))
	for _, c := range cs {
		nodes[c.ID] = PublicView(baseURL, c)
	}
	var roots []*PublicComment
	for _, c := range cs {
		n := nodes[c.ID]
		if p, ok := nodes[c.ParentID]; ok && c.ParentID != 0 {
			p.Replies = append(p.Replies, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// RateScopes names a site's limits on the wire and in
// the dashboard's forms.
func RateScopes(l *site.RateLimits) map[string]*site.Rate {
	return map[string]*site.Rate{"ip": &l.IP, "email": &l.Email, "thread": &l.Thread, "site": &l.Site}
}
