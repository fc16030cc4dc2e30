package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
)

// withStore loads the configuration from f, opens the store and runs fn with it.
func withStore(ctx context.Context, f *commonFlags, args []string, getenv func(string) string, fn func(*sqlstore.Store) error) error {
	return withConfigStore(ctx, f, args, getenv, func(_ config.Config, st *sqlstore.Store) error { return fn(st) })
}

// withConfigStore is withStore for commands that also need the configuration.
func withConfigStore(ctx context.Context, f *commonFlags, args []string, getenv func(string) string, fn func(config.Config, *sqlstore.Store) error) error {
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(cfg, st)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	f := newFlags("migrate", getenv, stderr)
	return withStore(ctx, f, args, getenv, func(st *sqlstore.Store) error {
		fmt.Fprintf(stderr, "winnow: %s schema is up to date\n", st.Dialect())
		return nil
	})
}

// withAdmin loads the configuration from f, opens the store and runs fn with the
// admin service on it, acting as admin.Operator.
func withAdmin(ctx context.Context, f *commonFlags, args []string, getenv func(string) string, fn func(*admin.Service) error) error {
	return withConfigStore(ctx, f, args, getenv, func(cfg config.Config, st *sqlstore.Store) error {
		return fn(admin.New(st, time.Now, admin.Options{AllowPrivateNetworks: cfg.Webhooks.AllowPrivateNetworks}))
	})
}

func siteCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("site create", getenv, stderr)
	var origins, words, scripts stringList
	id := f.fs.String("id", "", "site id: lowercase letters, digits, dashes")
	name := f.fs.String("name", "", "site name")
	policy := f.fs.String("policy", string(site.PolicyFirstTime), "moderation policy: all, first_time or none")
	maxLinks := f.fs.Int("max-links", site.DefaultMaxLinks, "hold comments with this many links or more (0: off)")
	seed := f.fs.String("spam-seed", string(site.SeedFold), "how far the built-in spam model may act alone: fold (may send to the spam folder) or hold (only holds)")
	f.fs.Var(&origins, "origin", "allowed origin, e.g. https://blog.example (repeatable)")
	f.fs.Var(&words, "blocked-word", "blocked word (repeatable)")
	f.fs.Var(&scripts, "script", "a writing system the site's readers use, one of "+strings.Join(site.Scripts, ", ")+
		" (repeatable or comma-separated); a comment mostly in another is a spam signal")
	cdnMaxAge := f.fs.Duration("cdn-s-maxage", 0, "how long a CDN may keep the site's thread and count answers (s-maxage, whole seconds; "+
		"give it with --cdn-stale-while-revalidate); by default the server's http.cdn_s_maxage")
	cdnStale := f.fs.Duration("cdn-stale-while-revalidate", 0, "how long more a CDN may serve them stale while it refreshes them "+
		"(whole seconds; give it with --cdn-s-maxage); by default the server's http.cdn_stale_while_revalidate")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		if *seed == "" { // the site would read it as the default
			return comment.Invalid("spam_seed", "must be fold or hold")
		}
		st := site.NewSite(*id, *name)
		set := map[string]bool{}
		f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		switch {
		case set["cdn-s-maxage"] && set["cdn-stale-while-revalidate"]:
			st.CDN = &site.CDNCache{SMaxAge: *cdnMaxAge, StaleWhileRevalidate: *cdnStale}
		case set["cdn-s-maxage"]:
			return comment.Invalid("cdn_cache.stale_while_revalidate", "give --cdn-stale-while-revalidate with --cdn-s-maxage")
		case set["cdn-stale-while-revalidate"]:
			return comment.Invalid("cdn_cache.s_maxage", "give --cdn-s-maxage with --cdn-stale-while-revalidate")
		}
		st.Origins, st.BlockedWords, st.Scripts = origins, words, splitList(scripts)
		st.Policy, st.MaxLinks, st.SpamSeed = site.Policy(*policy), *maxLinks, site.SeedAction(*seed)
		st, err := svc.CreateSite(ctx, admin.Operator(), st)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, st.ID)
		return nil
	})
}

func siteList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("site list", getenv, stderr)
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		sites, err := svc.Sites(ctx, admin.Operator())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPOLICY\tMAX LINKS\tSPAM SEED\tSCRIPTS\tORIGINS")
		for _, s := range sites {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.ID, s.Name, s.Policy, s.MaxLinks, s.SpamSeed, cmp.Or(strings.Join(s.Scripts, ","), "-"), strings.Join(s.Origins, " "))
		}
		return tw.Flush()
	})
}

// siteAkismetKey issues a site's key for the Akismet-compatible API (replacing the
// one it had) and prints it, or with --revoke revokes it.
func siteAkismetKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("site akismet-key", getenv, stderr)
	id := f.fs.String("site", "", "the site's id")
	revoke := f.fs.Bool("revoke", false, "revoke the site's key instead of issuing a new one")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		if *id == "" {
			return comment.Invalid("site", "required")
		}
		if *revoke {
			return svc.RevokeAkismetKey(ctx, admin.Operator(), *id)
		}
		key, err := svc.IssueAkismetKey(ctx, admin.Operator(), *id)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	})
}

func tokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("token create", getenv, stderr)
	var sites stringList
	name := f.fs.String("name", "", "a name that says who uses the token")
	role := f.fs.String("role", string(auth.RoleAdmin), "admin or moderator")
	f.fs.Var(&sites, "site", "limit the token to this site (repeatable; required for moderators)")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		_, plain, err := svc.CreateToken(ctx, admin.Operator(), admin.TokenRequest{Name: *name, Role: auth.Role(*role), Sites: sites})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, plain)
		return nil
	})
}

func tokenList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("token list", getenv, stderr)
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		ts, err := svc.Tokens(ctx, admin.Operator())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tSITES\tCREATED\tCREATED BY\tLAST USED\tREVOKED")
		for _, t := range ts {
			// "-": made by no account (here, the first run, or before creators were
			// recorded), so disabling nobody revokes it.
			by := "-"
			if t.CreatedBy != 0 {
				by = cmp.Or(t.CreatorEmail, fmt.Sprintf("user %d", t.CreatedBy))
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, strings.Join(t.Sites, ","),
				stamp(t.CreatedAt), by, stamp(t.LastUsedAt), stamp(t.RevokedAt))
		}
		return tw.Flush()
	})
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func tokenRevoke(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	f := newFlags("token revoke", getenv, stderr)
	id := f.fs.Int64("id", 0, "token id (see token list)")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		return svc.RevokeToken(ctx, admin.Operator(), *id)
	})
}
