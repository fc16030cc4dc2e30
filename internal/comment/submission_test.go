package comment

import (
	"errors"
	"strings"
	"testing"
)

func TestSubmissionValidate(t *testing.T) {
	valid := Submission{Thread: "/p", AuthorName: "Ann", AuthorEmail: "ann@example.org", Body: "Hi"}
	tests := []struct {
		name   string
		mutate func(*Submission)
		field  string // "" means valid
	}{
		{"valid", func(*Submission) {}, ""},
		{"website and thread url over https", func(s *Submission) { s.AuthorURL = "https://ann.example"; s.ThreadURL = "https://blog.example/p" }, ""},
		{"multi-line body", func(s *Submission) { s.Body = "line one\n\nline two\twith tab" }, ""},
		{"missing thread", func(s *Submission) { s.Thread = "" }, "thread"},
		{"missing name", func(s *Submission) { s.AuthorName = "" }, "author_name"},
		{"newline in name", func(s *Submission) { s.AuthorName = "a\nb" }, "author_name"},
		{"missing email", func(s *Submission) { s.AuthorEmail = "" }, "author_email"},
		{"email without domain dot", func(s *Submission) { s.AuthorEmail = "a@localhost" }, "author_email"},
		{"email with name", func(s *Submission) { s.AuthorEmail = "Ann <ann@example.org>" }, "author_email"},
		{"javascript website", func(s *Submission) { s.AuthorURL = "javascript:alert(1)" }, "author_url"},
		{"relative website", func(s *Submission) { s.AuthorURL = "/me" }, "author_url"},
		{"website with credentials", func(s *Submission) { s.AuthorURL = "https://u:p@x.example" }, "author_url"},
		{"ftp thread url", func(s *Submission) { s.ThreadURL = "ftp://x.example/p" }, "thread_url"},
		{"body too long", func(s *Submission) { s.Body = strings.Repeat("é", MaxBodyLen+1) }, "body"},
		{"body at the limit in runes", func(s *Submission) { s.Body = strings.Repeat("é", MaxBodyLen) }, ""},
		{"invalid UTF-8", func(s *Submission) { s.Body = "\xff" }, "body"},
		{"NUL in body", func(s *Submission) { s.Body = "a\x00b" }, "body"},
		{"negative parent", func(s *Submission) { s.ParentID = -3 }, "parent_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid
			tt.mutate(&s)
			err := s.Validate()
			var ve *ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.field != "" && !errors.As(err, &ve):
				t.Fatalf("accepted, want an error on %s", tt.field)
			case tt.field != "" && ve.Fields[tt.field] == "":
				t.Fatalf("error %v does not name %s", err, tt.field)
			}
		})
	}
}

func TestWebsiteURLGetsAScheme(t *testing.T) {
	tests := []struct{ typed, stored string }{
		{"janes-blog.example", "https://janes-blog.example"},
		{"www.example.org/me?x=1#top", "https://www.example.org/me?x=1#top"},
		{"janes-blog.example:8080/p", "https://janes-blog.example:8080/p"},
		{"//janes-blog.example", "https://janes-blog.example"},
		{"http://janes-blog.example", "http://janes-blog.example"},
		{"HTTPS://Janes-Blog.example", "HTTPS://Janes-Blog.example"},
		{"", ""},
		// Left for Validate to refuse: a scheme other than http(s), or no host.
		{"javascript:alert(1)", "javascript:alert(1)"},
		{"mailto:jane@example.org", "mailto:jane@example.org"},
		{"jane@example.org", "jane@example.org"},
		{"Jane", "Jane"},
		{"my blog.example", "my blog.example"},
		{"/me", "/me"},
		{".example", ".example"},
		{"ftp://x.example", "ftp://x.example"},
	}
	for _, tt := range tests {
		if got := WebsiteURL(tt.typed); got != tt.stored {
			t.Errorf("WebsiteURL(%q) = %q, want %q", tt.typed, got, tt.stored)
		}
	}
	s := Submission{Thread: "/p", AuthorName: "Jane", AuthorEmail: "jane@example.org", Body: "Hi", AuthorURL: " janes-blog.example "}
	s.Normalize()
	if err := s.Validate(); err != nil || s.AuthorURL != "https://janes-blog.example" {
		t.Errorf("submitted %q: %v", s.AuthorURL, err)
	}
	for _, bad := range []string{"javascript:alert(1)", "Jane", "jane@example.org", "my blog.example"} {
		s.AuthorURL = bad
		s.Normalize()
		var ve *ValidationError
		if err := s.Validate(); !errors.As(err, &ve) || ve.Fields["author_url"] == "" {
			t.Errorf("website %q: %v", bad, err)
		}
	}
}

func TestKeyedHashesAreStableDistinctAndSecretDependent(t *testing.T) {
	a, b := []byte("secret-a"), []byte("secret-b")
	if AuthorKey(a, " Ann  Lee", "Ann@Example.org ") != AuthorKey(a, "ann lee", "ann@example.org") {
		t.Error("author key depends on case or spaces")
	}
	if AuthorKey(a, "Ann", "ann@example.org") == AuthorKey(a, "Eve", "ann@example.org") {
		t.Error("author key ignores the name: knowing an email would be enough to be trusted")
	}
	if AuthorKey(a, "Ann", "ann@example.org") == AuthorKey(b, "Ann", "ann@example.org") {
		t.Error("author key ignores the secret")
	}
	if AvatarHash(a, "ann@example.org") == EmailKey(a, "ann@example.org") {
		t.Error("the public avatar hash equals a private key")
	}
}

func TestValidThreadKey(t *testing.T) {
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"", false},
		{"/p", true},
		{strings.Repeat("k", MaxThreadKeyLen), true},
		{strings.Repeat("k", MaxThreadKeyLen+1), false},
		{strings.Repeat("é", MaxThreadKeyLen/2), true},        // 512 bytes
		{strings.Repeat("é", MaxThreadKeyLen/2) + "x", false}, // bytes count, not characters
	} {
		if got := ValidThreadKey(tt.key); got != tt.want {
			t.Errorf("ValidThreadKey(%d bytes) = %v, want %v", len(tt.key), got, tt.want)
		}
	}
}
