package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/moderation"
	"github.com/winnow/winnow/internal/spam"
)

// commenterCmd runs `winnow commenter export|erase`: one commenter's data, found by
// email, exported as JSON or erased, through the same service as the admin API.
// Export writes the JSON to stdout, or to --out; erase can write it to --export
// first, so one command both answers and carries out a request, and prints what it
// erased, in counts.
func commenterCmd(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("commenter "+verb, getenv, stderr)
	email := f.fs.String("email", "", "the commenter's email address (any case)")
	var sites stringList
	f.fs.Var(&sites, "site", "only this site (repeatable; default every site)")
	var out *string
	if verb == "export" {
		out = f.fs.String("out", "", "write the JSON to this file (created, mode 0600) instead of stdout")
	} else {
		out = f.fs.String("export", "", "first write everything about the commenter as JSON to this file (created, mode 0600)")
	}
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("commenter %s: give --email", verb)
	}
	st, secret, err := openKeyed(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	seed, err := spam.BuiltinSeed()
	if err != nil {
		return err
	}
	model := spam.NewModel(st, log).WithSeed(seed)
	if err := model.Sync(ctx); err != nil {
		return err
	}
	svc := moderation.NewCommenters(st, model, secret, cfg.BaseURL(), log, time.Now)
	req := moderation.CommenterRequest{Email: *email, Actor: admin.Operator().Actor()}
	if len(sites) > 0 {
		req.Sites = sites
	}
	if verb == "export" || *out != "" {
		d, err := svc.Export(ctx, req)
		if err != nil {
			return err
		}
		if err := writeCommenterJSON(*out, stdout, d); err != nil {
			return err
		}
		if verb == "export" {
			return nil
		}
	}
	res, err := svc.Erase(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased %d comments on %d sites: %d deleted, %d kept as [deleted] for their replies, %d unpublished (webhooks told; a CDN may serve a cached copy until its cache lifetime ends)\n",
		res.Comments, len(res.Sites), res.Deleted, res.Stubs, res.Unpublished)
	return nil
}

// writeCommenterJSON writes d to a new file named name (never over an existing one:
// the export holds private data), or to stdout for "".
func writeCommenterJSON(name string, stdout io.Writer, d moderation.CommenterData) error {
	w := stdout
	if name != "" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("commenter export: %w", err)
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("commenter export: %w", err)
	}
	if f, ok := w.(*os.File); ok && name != "" {
		return f.Close() // the deferred Close then fails harmlessly
	}
	return nil
}
