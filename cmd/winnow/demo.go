package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/web"
)

// demoSiteID is the site `winnow serve --demo` creates for its sample article.
const demoSiteID = "demo"

// demoCSP is the sample article's policy: scripts, styles, images and requests only
// from winnow itself, which is how a careful blog would embed the widget.
const demoCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// setupDemo creates the demo site, or adds the server's own origin to it (the port
// may differ from the last start), so the sample article may post comments.
// A new site gets the sample comments when samples is not nil.
func setupDemo(ctx context.Context, st *sqlstore.Store, baseURL string, stderr io.Writer, samples *importer.Service) error {
	origins, err := demoOrigins(baseURL)
	if err != nil {
		return err
	}
	svc, op := admin.New(st, time.Now, admin.Options{}), admin.Operator()
	demo, err := svc.Site(ctx, op, demoSiteID)
	switch {
	case errors.Is(err, comment.ErrNotFound):
		demo = site.NewSite(demoSiteID, "winnow demo")
		demo.Origins = origins
		if _, err := svc.CreateSite(ctx, op, demo); err != nil {
			return fmt.Errorf("demo site: %w", err)
		}
		if samples != nil {
			if err := importSamples(ctx, samples, time.Now()); err != nil {
				return fmt.Errorf("demo samples: %w", err)
			}
		}
	case err != nil:
		return fmt.Errorf("demo site: %w", err)
	default:
		var missing []string
		for _, o := range origins {
			if !demo.AllowsOrigin(o) {
				missing = append(missing, o)
			}
		}
		if len(missing) > 0 {
			_, err := svc.UpdateSite(ctx, op, demoSiteID, func(s *site.Site) error {
				s.Origins = append(s.Origins, missing...)
				return nil
			})
			if err != nil {
				return fmt.Errorf("demo site: %w", err)
			}
		}
	}
	fmt.Fprintf(stderr, "\nwinnow: demo: open %s/demo/ (comments wait for a moderator; light/dark: ?theme=light|dark)\n\n", baseURL)
	return nil
}

// demoSampleImporter is the importer that seeds a new demo site's samples, or nil
// for none (--demo-samples=false).
func demoSampleImporter(samples bool, st *sqlstore.Store, secret []byte, cfg config.Config) *importer.Service {
	if !samples {
		return nil
	}
	return newImporter(st, nil, secret, cfg)
}

// demoSample is one sample comment of the demo article, hours before the demo began.
type demoSample struct {
	id, parent int64
	author     string
	hoursAgo   int
	body       string
}

// demoSamples are what a fresh demo's article shows, so that it looks like the live
// thread it stands for (and the README's screenshots show one): published comments
// with a reply, each saying it is a sample. They are imported as any export would be
// (docs/export-format.md), not posted, so nobody's limits or spam model see them.
var demoSamples = []demoSample{
	{1, 0, "Ada (sample)", 50, "*A sample comment, added with the demo.* We planted a mixed hedge three winters ago: hawthorn, hazel and dog rose. This spring a pair of **wrens** nested in it."},
	{2, 1, "Sam (sample)", 26, "*Sample reply.* Same here. Did you cut it in the first years? Ours thinned out at the bottom."},
	{3, 1, "Ada (sample)", 25, "*Sample reply.* Hard, every February for two years, as the [hedgelaying guides](https://www.hedgelink.org.uk/) say. It thickened from the base after that."},
	{4, 0, "Kim (sample)", 3, "*A sample comment, added with the demo.* Leave a comment below to see the rest: it waits for a moderator (the admin token winnow printed at its first start approves it)."},
}

// importSamples imports demoSamples into the demo site's article.
func importSamples(ctx context.Context, imp *importer.Service, now time.Time) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	lines := []any{
		map[string]any{"format": "winnow", "version": 1, "site": demoSiteID, "site_name": "winnow demo", "exported_at": now.UTC(), "private": false},
		map[string]any{"type": "thread", "key": "/demo/", "title": "Why the humble hedge is worth keeping", "created_at": now.Add(-50 * time.Hour).UTC()},
	}
	for _, c := range demoSamples {
		at := now.Add(-time.Duration(c.hoursAgo) * time.Hour).UTC()
		line := map[string]any{"type": "comment", "id": c.id, "thread": "/demo/", "author_name": c.author, "body": c.body,
			"status": "approved", "created_at": at, "published_at": at}
		if c.parent != 0 {
			line["parent_id"] = c.parent
		}
		lines = append(lines, line)
	}
	lines = append(lines, map[string]any{"type": "end", "threads": 1, "comments": len(demoSamples)})
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	rep, err := imp.Import(ctx, importer.Request{Site: demoSiteID, Format: importer.FormatWinnow, ThreadKey: importer.KeyPath,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.Bytes())), nil }})
	if err != nil {
		return err
	}
	if rep.Imported != len(demoSamples) {
		return fmt.Errorf("%d of %d imported: %+v", rep.Imported, len(demoSamples), rep.Problems)
	}
	return nil
}

// demoOrigins is the server's origin, and for a loopback address both spellings
// browsers use (127.0.0.1 and localhost).
func demoOrigins(baseURL string) ([]string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("demo: bad base URL %q", baseURL)
	}
	out := []string{u.Scheme + "://" + u.Host}
	port := u.Port()
	if port != "" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost") {
		for _, h := range []string{"127.0.0.1", "localhost"} {
			if o := u.Scheme + "://" + h + ":" + port; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// demoHandler prepares the demo site and serves the sample article in front of next
// (`winnow serve --demo`).
func demoHandler(ctx context.Context, st *sqlstore.Store, baseURL string, next http.Handler, stderr io.Writer, samples *importer.Service) (http.Handler, error) {
	if err := setupDemo(ctx, st, baseURL, stderr, samples); err != nil {
		return nil, err
	}
	return withDemo(next)
}

// withDemo serves the sample article at /demo/ in front of next.
func withDemo(next http.Handler) (http.Handler, error) {
	tmpl, err := template.ParseFS(web.Templates(), "demo.html")
	if err != nil {
		return nil, err
	}
	css, err := fs.ReadFile(web.Templates(), "page.css")
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/demo":
			http.Redirect(w, r, "/demo/", http.StatusMovedPermanently)
		case "/demo/page.css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=300")
			_, _ = w.Write(css)
		case "/demo/":
			theme := r.URL.Query().Get("theme")
			if theme != "light" && theme != "dark" && theme != "auto" {
				theme = "" // the widget's default: follow the page
			}
			var buf bytes.Buffer
			if err := tmpl.Execute(&buf, map[string]string{
				"Site": demoSiteID, "Theme": theme, "CSS": "/demo/page.css", "Script": "/embed.js",
				"NoJS": "/t/" + demoSiteID + "?thread=" + url.QueryEscape("/demo/"),
			}); err != nil {
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", demoCSP)
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Content-Type-Options", "nosniff")
			_, _ = w.Write(buf.Bytes())
		default:
			next.ServeHTTP(w, r)
		}
	}), nil
}
