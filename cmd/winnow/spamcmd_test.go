package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestSpamEvalProtocols runs each `spam eval` protocol on the repository's data and
// checks that it prints both thresholds and ROC AUC, and that wrong flags are refused.
func TestSpamEvalProtocols(t *testing.T) {
	const d = "../../internal/spam/testdata/"
	yt := []string{d + "youtube/Youtube01-Psy.csv", d + "youtube/Youtube02-KatyPerry.csv", d + "youtube/Youtube03-LMFAO.csv"}
	getenv := func(string) string { return "" }
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"train and test", []string{"--train", yt[0] + "," + yt[1], "--test", yt[2]}, []string{"from nothing", "test: n 438"}},
		{"folds from the seed", append([]string{"--folds", "3", "--from-seed"}, yt[:2]...), []string{"3-fold", "from the built-in seed"}},
		{"leave one out", append([]string{"--leave-one-out"}, yt...), []string{"test " + yt[2], "mean MCC"}},
		{"prequential, policy none", append([]string{"--prequential", "--policy", "none", "--warm-up", "50"}, yt...),
			[]string{"policy none", "after the first 50 comments", "learned as ham after staying up", "recurring spam texts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := run(context.Background(), append([]string{"spam", "eval", "--json"}, tt.args...), getenv, &out, &errb); err != nil {
				t.Fatalf("%v\n%s", err, errb.String())
			}
			text := out.String()
			for _, w := range append(tt.want, "held or foldered (score >= 0.5)", "spam folder      (score >= 0.9)", "ROC AUC", "MCC", "false-positive rate") {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			lines := strings.Split(strings.TrimSpace(text), "\n")
			if !json.Valid([]byte(lines[len(lines)-1])) {
				t.Errorf("last line is not JSON: %s", lines[len(lines)-1])
			}
		})
	}
	for _, bad := range [][]string{
		{"--policy", "none", "--folds", "3", yt[0]},
		{"--prequential", "--policy", "first_time", yt[0]},
		{"--leave-one-out", yt[0]},
		{},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"spam", "eval"}, bad...), getenv, &out, &errb); err == nil {
			t.Errorf("spam eval %q succeeded", bad)
		}
	}
}
