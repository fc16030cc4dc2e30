package moderation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

func TestBan(t *testing.T) {
	secret := []byte("s")
	author := comment.Comment{ID: 5, SiteID: "blog", AuthorEmail: "Spam@Bad.example", IP: "203.0.113.9"}
	tests := []struct {
		name  string
		req   BanRequest
		check func(t *testing.T, b comment.Ban, err error)
	}{
		{"an email, hashed", BanRequest{SiteID: "blog", Kind: comment.BanEmail, Value: "x@example.org", Duration: time.Hour},
			func(t *testing.T, b comment.Ban, err error) {
				if err != nil || b.Value != comment.EmailKey(secret, "x@example.org") || b.Hint != "x***@example.org" || !b.ExpiresAt.Equal(clock().Add(time.Hour)) {
					t.Errorf("%+v %v", b, err)
				}
			}},
		{"a comment's address, never seen by the moderator", BanRequest{Kind: comment.BanIP, CommentID: 5},
			func(t *testing.T, b comment.Ban, err error) {
				if err != nil || b.SiteID != "blog" || b.Value != comment.IPKey(secret, "203.0.113.9") || b.Hint != "203.0.113.0/24 (one address in it)" || !b.ExpiresAt.IsZero() {
					t.Errorf("%+v %v", b, err)
				}
			}},
		{"a comment's email domain", BanRequest{Kind: comment.BanDomain, CommentID: 5},
			func(t *testing.T, b comment.Ban, err error) {
				if err != nil || b.Value != "bad.example" {
					t.Errorf("%+v %v", b, err)
				}
			}},
		// Answered as a missing comment is, so a ban cannot probe another site's ids.
		{"another site's comment", BanRequest{Kind: comment.BanIP, CommentID: 5, Allowed: func(s string) bool { return s != "blog" }},
			wantInvalid("comment_id")},
		{"another site's comment, its site named", BanRequest{SiteID: "other", Kind: comment.BanIP, CommentID: 5,
			Allowed: func(s string) bool { return s != "blog" }}, wantInvalid("comment_id")},
		{"another site's ban by value", BanRequest{SiteID: "blog", Kind: comment.BanDomain, Value: "x.example",
			Allowed: func(s string) bool { return s != "blog" }},
			func(t *testing.T, _ comment.Ban, err error) {
				if !errors.Is(err, comment.ErrNotFound) {
					t.Errorf("err = %v", err)
				}
			}},
		{"a bad value", BanRequest{SiteID: "blog", Kind: comment.BanIP, Value: "not-an-ip"}, wantInvalid("ip")},
		{"an unknown kind", BanRequest{SiteID: "blog", Kind: "name", Value: "x"}, wantInvalid("kind")},
		{"no site", BanRequest{Kind: comment.BanDomain, Value: "x.example"}, wantInvalid("site")},
		{"value and comment", BanRequest{Kind: comment.BanDomain, Value: "x.example", CommentID: 5}, wantInvalid("value")},
		{"a missing comment", BanRequest{Kind: comment.BanIP, CommentID: 6}, wantInvalid("comment_id")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewService(fakeStore{
				commentsByID: func(ids []int64) ([]comment.Comment, error) {
					if ids[0] == 5 {
						return []comment.Comment{author}, nil
					}
					return nil, nil
				},
				createBan: func(b *comment.Ban) error { b.ID = 1; return nil },
			}, nil, nil, secret, comment.DefaultIPv6Prefix, "", discard, clock)
			b, err := s.Ban(context.Background(), tt.req)
			tt.check(t, b, err)
		})
	}
}

func wantInvalid(field string) func(*testing.T, comment.Ban, error) {
	return func(t *testing.T, _ comment.Ban, err error) {
		var ve *comment.ValidationError
		if !errors.As(err, &ve) || ve.Fields[field] == "" {
			t.Errorf("err = %v, want a validation error on %s", err, field)
		}
	}
}
