package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// spamEval measures the scorer the service runs on labeled files with one of the
// protocols of spam.Evaluate and its siblings, printing precision, recall, F1, MCC and
// false-positive rate at the held and the spam-folder thresholds, and ROC AUC.
func spamEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("spam eval", stderr)
	var train, test stringList
	fs.Var(&train, "train", "training file (repeatable, or comma-separated)")
	fs.Var(&test, "test", "test file (repeatable, or comma-separated)")
	folds := fs.Int("folds", 0, "cross-validate on the files given as arguments with this many folds")
	prequential := fs.Bool("prequential", false, "replay the files given as arguments in date order, scoring each comment and then learning its label")
	leaveOneOut := fs.Bool("leave-one-out", false, "test each file given as an argument on a model learned from the others")
	policy := fs.String("policy", "", "with --prequential: none labels only what the model holds; published comments teach ham after they stay up")
	warmUp := fs.Int("warm-up", 100, "with --prequential: also report the stream after this many comments")
	fromSeed := fs.Bool("from-seed", false, "start from the built-in seed (as the service does) rather than from nothing")
	seed := fs.Uint64("seed", 1, "seed for the folds")
	asJSON := fs.Bool("json", false, "also print the figures as one JSON object on the last line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opt := spam.Options{}
	if *fromSeed {
		s, err := spam.BuiltinSeed()
		if err != nil {
			return err
		}
		opt.Seed = s
	}
	switch *policy {
	case "":
	case string(site.PolicyNone):
		opt.Policy = site.PolicyNone
	default:
		return fmt.Errorf("spam eval: --policy %q: only none is simulated", *policy)
	}
	if *policy != "" && !*prequential {
		return errors.New("spam eval: --policy goes with --prequential")
	}
	start := "from nothing"
	if *fromSeed {
		start = "from the built-in seed"
	}
	files := fs.Args()
	var out any
	switch {
	case *prequential && len(files) > 0 && len(train)+len(test) == 0 && *folds == 0 && !*leaveOneOut:
		ex, err := readExamples(files)
		if err != nil {
			return err
		}
		p := spam.Replay(ex, *warmUp, opt)
		who := "every comment labelled by a moderator after its verdict"
		if opt.Policy == site.PolicyNone {
			who = fmt.Sprintf("policy none: only held comments labelled; published ones learned as ham after %s", spam.StayUp)
		}
		fmt.Fprintf(stdout, "prequential replay of %s in date order, %s (%s)\n", strings.Join(splitList(files), ", "), start, who)
		printReport(stdout, "whole stream", p.Stream)
		printReport(stdout, fmt.Sprintf("after the first %d comments", p.WarmUp), p.AfterWarmUp)
		fmt.Fprintf(stdout, "moderator labels %d, learned as ham after staying up %d\n", p.Labels, p.Published)
		fmt.Fprintf(stdout, "recurring spam texts (3 copies or more): labels before a copy was held %v (-1: never held)\n", p.Campaigns)
		out = p
	case *leaveOneOut && len(files) > 1 && len(train)+len(test) == 0 && *folds == 0:
		sets := make([][]spam.Example, len(files))
		for i, f := range files {
			ex, err := readExamples([]string{f})
			if err != nil {
				return err
			}
			sets[i] = ex
		}
		rs := spam.LeaveOneOut(sets, opt)
		fmt.Fprintf(stdout, "leave one out, %s\n", start)
		var sum float64
		for i, r := range rs {
			printReport(stdout, "test "+files[i], r)
			sum += r.Held.MCC
		}
		fmt.Fprintf(stdout, "mean MCC at the held threshold %.4f\n", sum/float64(len(rs)))
		out = rs
	case *folds > 1 && len(train) == 0 && len(test) == 0 && len(files) > 0:
		ex, err := readExamples(files)
		if err != nil {
			return err
		}
		r := spam.CrossValidate(ex, *folds, *seed, opt)
		fmt.Fprintf(stdout, "%d-fold cross-validation on %s, %s (duplicates kept within a fold)\n", *folds, strings.Join(files, ", "), start)
		printReport(stdout, "all folds", r)
		out = r
	case *folds == 0 && len(train) > 0 && len(test) > 0 && len(files) == 0:
		tr, err := readExamples(train)
		if err != nil {
			return err
		}
		te, err := readExamples(test)
		if err != nil {
			return err
		}
		r := spam.Evaluate(tr, te, opt)
		fmt.Fprintf(stdout, "trained on %s; tested on %s; %s\n", strings.Join(splitList(train), ", "), strings.Join(splitList(test), ", "), start)
		printReport(stdout, "test", r)
		out = r
	default:
		return errors.New("spam eval: give --train FILES --test FILES, --folds K FILES, --leave-one-out FILES or --prequential FILES")
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	return nil
}

// printReport prints one protocol's figures at both thresholds.
func printReport(w io.Writer, title string, r spam.Report) {
	fmt.Fprintf(w, "%s: n %d, ROC AUC %.4f\n", title, r.Held.N, r.AUC)
	for _, t := range []struct {
		name string
		m    spam.Metrics
	}{{"  held or foldered (score >= 0.5)", r.Held}, {"  spam folder      (score >= 0.9)", r.Folder}} {
		m := t.m
		fmt.Fprintf(w, "%s: tp %d fp %d tn %d fn %d  precision %.4f  recall %.4f  F1 %.4f  MCC %.4f  false-positive rate %.4f\n",
			t.name, m.TP, m.FP, m.TN, m.FN, m.Precision, m.Recall, m.F1, m.MCC, m.FPR)
	}
}

// spamTrain seeds the installation's shared classifier scope with labeled files, the
// counts every site starts from, or with --site one site's own scope.
func spamTrain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("spam train", getenv, stderr)
	site := f.fs.String("site", "", "teach this site's own scope, not the shared one every site starts from")
	cfg, err := f.load(args, getenv, true)
	if err != nil {
		return err
	}
	ex, err := readExamples(f.fs.Args())
	if err != nil {
		return err
	}
	if len(ex) == 0 {
		return errors.New("spam train: give one or more labeled files")
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *site != "" {
		if _, err := st.Site(ctx, *site); errors.Is(err, comment.ErrNotFound) {
			return fmt.Errorf("spam train: no site %q", *site)
		} else if err != nil {
			return err
		}
	}
	seed, err := spam.BuiltinSeed()
	if err != nil {
		return err
	}
	model := spam.NewModel(st, slog.New(slog.NewTextHandler(stderr, nil))).WithSeed(seed)
	if err := model.LearnExamples(ctx, *site, ex); err != nil {
		return err
	}
	nspam, nham := model.Classifier(*site).Documents()
	scope := "the shared model"
	if *site != "" {
		scope = fmt.Sprintf("site %s's model (shared and its own)", *site)
	}
	fmt.Fprintf(stdout, "learned %d examples; %s now knows %d spam and %d ham documents\n", len(ex), scope, nspam, nham)
	return nil
}

// spamReset drops what was learned on top of the built-in seed in one scope: the
// shared one (`spam train` without --site) or one site's (its moderators' decisions and
// `spam train --site`). Running replicas reload at their next sync.
func spamReset(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("spam reset", getenv, stderr)
	site := f.fs.String("site", "", "drop what this site's model learned (its moderators' decisions, spam train --site)")
	shared := f.fs.Bool("shared", false, "drop what the shared model learned (spam train without --site)")
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	if (*site == "") == !*shared {
		return errors.New("spam reset: give --site ID or --shared")
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	scope, what := spam.Shared, "the shared model"
	if *site != "" {
		if _, err := st.Site(ctx, *site); errors.Is(err, comment.ErrNotFound) {
			return fmt.Errorf("spam reset: no site %q", *site)
		} else if err != nil {
			return err
		}
		scope, what = *site, fmt.Sprintf("site %s's model", *site)
	}
	if err := st.ResetSpam(ctx, scope); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reset %s: what it learned is gone, the built-in seed stays; running servers reload it within seconds\n", what)
	return nil
}

// readExamples reads labeled files in either format spam.ReadExamples reads.
func readExamples(names []string) ([]spam.Example, error) {
	var all []spam.Example
	for _, name := range splitList(names) {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		ex, err := spam.ReadExamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, ex...)
	}
	return all, nil
}

// splitList accepts repeated and comma-separated file lists alike.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
