package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/comment"
)

// fmtTag is threadETag as fmt wrote it.
func fmtTag(siteID, key string, th comment.Thread, sort string, limit, offset int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%q %q %d %d %d %q %q %s %d %d",
		siteID, key, th.ID, th.Version, th.ApprovedCount, th.URL, th.Title, sort, limit, offset))
	return `W/"` + hex.EncodeToString(h[:12]) + `"`
}

// TestThreadETagFormat keeps thread tags as they were when fmt wrote what is hashed:
// a tag a reader or a CDN holds from before an upgrade still revalidates.
func TestThreadETagFormat(t *testing.T) {
	long := strings.Repeat("a long title with \"quotes\", \\backslashes\\ and ünïcødé ", 10)
	tests := []struct {
		site, key     string
		th            comment.Thread
		sort          string
		limit, offset int
	}{
		{"blog", "/p", comment.Thread{}, comment.SortOldest, 50, 0},
		{"blog", "/p", comment.Thread{ID: 7, Version: 12, ApprovedCount: 100, URL: "https://blog.example/p", Title: "A post"}, comment.SortNewest, 200, 1 << 30},
		{"b", "/\"quoted\"\\key", comment.Thread{ID: -1, Version: -9, ApprovedCount: -3, URL: "\x00\x1f\x7f", Title: "\xff\xfe invalid UTF-8"}, "", 1, 1},
		{"blog", "/日本語/ページ", comment.Thread{ID: 1<<63 - 1, Version: -1 << 63, Title: long, URL: long}, comment.SortOldest, 100, 3},
		{"", "", comment.Thread{Title: "tab\tnewline\n\u2028 emoji 🎉"}, "weird sort", 0, 0},
	}
	for _, tt := range tests {
		got := threadETag(tt.site, tt.key, tt.th, tt.sort, tt.limit, tt.offset)
		if want := fmtTag(tt.site, tt.key, tt.th, tt.sort, tt.limit, tt.offset); got != want {
			t.Errorf("threadETag(%q, %q, %+v, %q, %d, %d) = %s, want %s", tt.site, tt.key, tt.th, tt.sort, tt.limit, tt.offset, got, want)
		}
	}
}

func FuzzThreadETagFormat(f *testing.F) {
	f.Add("blog", "/p", int64(7), int64(12), 100, "https://blog.example/p", "A post", "oldest", 50, 0)
	f.Add("b", "/\"k\"", int64(-1), int64(-9), -3, "\x00\x7f", "\xff\xfe", "", 1, 1<<30)
	f.Fuzz(func(t *testing.T, site, key string, id, version int64, count int, url, title, sort string, limit, offset int) {
		th := comment.Thread{ID: id, Version: version, ApprovedCount: count, URL: url, Title: title}
		if got, want := threadETag(site, key, th, sort, limit, offset), fmtTag(site, key, th, sort, limit, offset); got != want {
			t.Errorf("threadETag = %s, fmt's %s", got, want)
		}
	})
}
