package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
)

// newImporter is the import service on st, as serve wires it for the admin API.
// learner teaches the spam model with --learn (nil: no import here asks to).
func newImporter(st *sqlstore.Store, learner importer.Learner, secret []byte, cfg config.Config) *importer.Service {
	return importer.New(st, learner, sanitize.New(), secret, cfg.HTTP.IPv6Prefix, time.Now)
}

// importCmd reads another system's export (or winnow's own) into a site, streaming a
// file of any size; "-" reads standard input, spooled to a temporary file first.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("import", getenv, stderr)
	site := f.fs.String("site", "", "the site to import into (see site list)")
	format := f.fs.String("format", "", "the file's format: wxr (WordPress), disqus, remark42, commento or winnow")
	key := f.fs.String("thread-key", string(importer.KeyPath), "what names a page's thread: path (the permalink's path), url (the whole permalink) or id (the old system's page id)")
	strict := f.fs.Bool("strict", false, "check every entry first and import nothing if one is refused")
	learn := f.fs.Bool("learn", false, "teach the site's spam model from the imported spam and published comments")
	asJSON := f.fs.Bool("json", false, "print the report as JSON")
	cfg, err := f.load(args, getenv, true)
	if err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return errors.New("import: give one file (or - for standard input)")
	}
	req := importer.Request{Site: *site, Format: importer.Format(*format), ThreadKey: importer.ThreadKey(*key), Strict: *strict, Learn: *learn}
	path := f.fs.Arg(0)
	req.Open = func() (io.ReadCloser, error) { return os.Open(path) }
	if err := req.Check(); err != nil { // before opening the database
		return err
	}
	if path == "-" {
		file, err := importer.Spool(stdinFrom(ctx), "", 0)
		if err != nil {
			return err
		}
		defer file.Remove()
		req.Open = file.Open
	} else if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	st, secret, err := openKeyed(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	var learner importer.Learner
	if *learn {
		seed, err := spam.BuiltinSeed()
		if err != nil {
			return err
		}
		model := spam.NewModel(st, slog.New(slog.NewTextHandler(stderr, nil))).WithSeed(seed)
		if err := model.Sync(ctx); err != nil {
			return err
		}
		learner = model
	}
	rep, err := newImporter(st, learner, secret, cfg).Import(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		printImportReport(stdout, rep)
	}
	switch {
	case rep.Aborted:
		return fmt.Errorf("import: --strict: nothing imported (%d entries refused%s)", rep.Skipped, stoppedNote(rep))
	case !rep.Complete:
		return fmt.Errorf("import: incomplete: %s; the %d comments before it were imported, and importing the whole file again adds only what is missing", rep.Stopped, rep.Imported)
	}
	return nil
}

func stoppedNote(rep importer.Report) string {
	if rep.Stopped != "" {
		return "; " + rep.Stopped
	}
	return ""
}

// printImportReport prints an import's report for people.
func printImportReport(w io.Writer, rep importer.Report) {
	verb := "imported"
	if rep.Aborted {
		verb = "would import (checked only, nothing written)"
	}
	fmt.Fprintf(w, "site %s, %s file, thread keys by %s: read %d comments, %s %d (", rep.Site, rep.Format, rep.ThreadKey, rep.Read, verb, rep.Imported)
	for i, s := range []comment.Status{comment.StatusApproved, comment.StatusPending, comment.StatusSpam, comment.StatusRejected, comment.StatusDeleted} {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		name := string(s)
		if s == comment.StatusApproved {
			name = "published"
		}
		fmt.Fprintf(w, "%d %s", rep.ByStatus[s], name)
	}
	fmt.Fprintf(w, ") on %d threads, %d replies linked\n", rep.Threads, rep.Replies)
	fmt.Fprintf(w, "already imported before: %d; skipped: %d; not comments (pingbacks, trackbacks): %d; learned by the spam model: %d\n",
		rep.Existing, rep.Skipped, rep.Ignored, rep.Learned)
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "  "+p.String())
	}
	if rep.ProblemsOmitted > 0 {
		fmt.Fprintf(w, "  ... and %d more problems\n", rep.ProblemsOmitted)
	}
	if !rep.Complete {
		fmt.Fprintf(w, "the file could not be read to its end: %s\n", rep.Stopped)
	}
}

// exportCmd writes a site's threads and comments to standard output or a file.
func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("export", getenv, stderr)
	site := f.fs.String("site", "", "the site to export")
	format := f.fs.String("format", string(importer.FormatWinnow), "winnow (JSON Lines, docs/export-format.md) or wxr (WordPress)")
	noPrivate := f.fs.Bool("without-private", false, "leave out the authors' email addresses, IP addresses and user agents")
	output := f.fs.String("output", "", "write to this file rather than to standard output")
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	req := importer.ExportRequest{Site: *site, Format: importer.Format(*format), Private: !*noPrivate}
	if err := req.Check(); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	x := importer.NewExporter(st, time.Now)
	if _, err := x.Prepare(ctx, req); err != nil {
		return err
	}
	if *output == "" {
		return x.Export(ctx, req, stdout)
	}
	out, err := os.OpenFile(*output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // it holds private data
	if err != nil {
		return err
	}
	if err := out.Chmod(0o600); err != nil { // a file that was there keeps its mode otherwise
		out.Close()
		return err
	}
	if err := x.Export(ctx, req, out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
