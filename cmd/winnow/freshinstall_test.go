package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestFreshInstallFoldsObviousSpam is a new user's first day: no `spam train`, no
// moderator decision, a site that publishes without review (policy none). The built-in
// seed alone sends a link-stuffed pharmacy advert with a phone number to the spam
// folder, and publishes an ordinary reader's comment.
func TestFreshInstallFoldsObviousSpam(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		in := start(t, env)
		in.createSite("blog", map[string]any{"policy": "none"})
		statusOf := func(r response) string {
			t.Helper()
			id := int64(num(r.json(t), "comment", "id"))
			c := in.do(req{method: "GET", path: fmt.Sprintf("/api/v1/admin/comments/%d", id), token: in.token}).must(t, http.StatusOK).json(t)["comment"].(map[string]any)
			return fmt.Sprintf("%v (score %v, reasons %v)", c["status"], c["score"], c["reasons"])
		}

		advert := in.submit("blog", submission("/post", map[string]any{
			"author_name": "Discount Pharmacy Online", "author_email": "sales@rx-outlet.example",
			"author_url": "https://rx-outlet.example",
			"body": "Order generic sildenafil, tramadol and xanax online with no prescription required! " +
				"Lowest prices and discreet overnight shipping at https://rx-outlet.example/shop and https://rx-outlet.example/offers " +
				"plus [url=https://cheap-pills.example]cheap pills[/url]. Call our pharmacy hotline +1 (888) 555-0147 now.",
		}), nil)
		advert.must(t, http.StatusAccepted)
		if got := statusOf(advert); !strings.HasPrefix(got, "spam ") {
			t.Errorf("the pharmacy advert: %s, want spam", got)
		}

		reader := in.submit("blog", submission("/post", map[string]any{
			"author_name": "Maren", "author_email": "maren@example.org",
			"body": "I tried the second approach on my old laptop and the build finished in under a minute. " +
				"Does the same trick work when the cache lives on a network drive?",
		}), nil)
		reader.must(t, http.StatusCreated)
		if got := statusOf(reader); !strings.HasPrefix(got, "approved ") {
			t.Errorf("the reader's comment: %s, want approved", got)
		}
	})
}
