package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// spamEval measures the scorer the service runs on labeled files: trained on --train
// and tested on --test, or k-fold cross-validated on the files given as arguments.
func spamEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("winnow spam eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var train, test stringList
	fs.Var(&train, "train", "training file (repeatable, or comma-separated)")
	fs.Var(&test, "test", "test file (repeatable, or comma-separated)")
	folds := fs.Int("folds", 0, "cross-validate on the files given as arguments with this many folds")
	seed := fs.Uint64("seed", 1, "seed for the folds")
	asJSON := fs.Bool("json", false, "also print the figures as one JSON object on the last line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var m spam.Metrics
	switch {
	case *folds > 1 && len(train) == 0 && len(test) == 0 && fs.NArg() > 0:
		ex, err := readExamples(fs.Args())
		if err != nil {
			return err
		}
		m = spam.CrossValidate(ex, *folds, *seed, spam.Options{}).Held
		fmt.Fprintf(stdout, "%d-fold cross-validation on %s (duplicates kept within a fold)\n", *folds, strings.Join(fs.Args(), ", "))
	case *folds == 0 && len(train) > 0 && len(test) > 0 && fs.NArg() == 0:
		tr, err := readExamples(train)
		if err != nil {
			return err
		}
		te, err := readExamples(test)
		if err != nil {
			return err
		}
		m = spam.Evaluate(tr, te, spam.Options{}).Held
		fmt.Fprintf(stdout, "trained on %s; tested on %s\n", strings.Join(splitList(train), ", "), strings.Join(splitList(test), ", "))
	default:
		return errors.New("spam eval: give --train FILES --test FILES, or --folds K FILES")
	}
	fmt.Fprintf(stdout, "n %d  tp %d  fp %d  tn %d  fn %d\nprecision %.4f  recall %.4f  F1 %.4f  MCC %.4f  false-positive rate %.4f\n",
		m.N, m.TP, m.FP, m.TN, m.FN, m.Precision, m.Recall, m.F1, m.MCC, m.FPR)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(m)
	}
	return nil
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

// readExamples reads labeled files: the UCI YouTube CSV format (a header naming
// CONTENT and CLASS) or the SMS format (label, tab, text).
func readExamples(names []string) ([]spam.Example, error) {
	var all []spam.Example
	for _, name := range splitList(names) {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		first, _, _ := bytes.Cut(b, []byte("\n"))
		var ex []spam.Example
		if bytes.Contains(bytes.ToUpper(first), []byte("CONTENT")) && bytes.Contains(bytes.ToUpper(first), []byte("CLASS")) {
			ex, err = spam.ReadYouTubeCSV(bytes.NewReader(b))
		} else {
			ex, err = spam.ReadSMS(bufio.NewReader(bytes.NewReader(b)))
		}
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
