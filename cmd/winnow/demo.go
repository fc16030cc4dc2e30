package main

import (
	"bytes"
	"context"
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
func setupDemo(ctx context.Context, st *sqlstore.Store, baseURL string, stderr io.Writer) error {
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
func demoHandler(ctx context.Context, st *sqlstore.Store, baseURL string, next http.Handler, stderr io.Writer) (http.Handler, error) {
	if err := setupDemo(ctx, st, baseURL, stderr); err != nil {
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
