package spam

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// TestSeedIsGeneratedFromTheData regenerates the built-in seed from the repository's
// data and fails if the committed file differs: the seed is what `go generate` makes,
// and generation is deterministic (fixed order, fixed shuffle, no map order).
func TestSeedIsGeneratedFromTheData(t *testing.T) {
	src, err := ReadSeedSources(os.DirFS(dataDir))
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("WINNOW_TEST_REQUIRE") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	got := TrainSeed(src).Encode()
	if !bytes.Equal(got, seedFile) {
		t.Fatalf("seed.bin (%d bytes) is not what the data generates (%d bytes): run `go generate ./internal/spam`", len(seedFile), len(got))
	}
	s, err := DecodeSeed(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Encode(), got) {
		t.Error("decoding and encoding the seed changes it")
	}
	t.Logf("seed: %d examples, %d features, %d bytes", len(src), s.Features(), len(got))
}

func TestDecodeSeedRejectsDamage(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not seed":  []byte("hello"),
		"cut short": seedFile[:len(seedFile)-1],
		"trailing":  append(bytes.Clone(seedFile), 0),
	} {
		if _, err := DecodeSeed(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// freshInstall is the scorer of an installation that learned nothing: the rules and
// the built-in seed.
func freshInstall(t *testing.T) *Scorer {
	t.Helper()
	seed, err := BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	return NewModelScorer(NewModel(nil, nil).WithSeed(seed))
}

// TestFreshInstallScoresFromTheSeed checks a new installation with no training: spam
// of the kinds blogs get goes to the spam folder or is held, and what readers write
// under an article is published. The sentences are written for this test.
func TestFreshInstallScoresFromTheSeed(t *testing.T) {
	s := freshInstall(t)
	st := site.NewSite("fresh", "Fresh")
	st.Policy = site.PolicyNone
	tests := []struct {
		name, author, website, body string
		min, max                    float64
	}{
		{"link-stuffed pharmacy with a phone number", "Pharmacy Discounts", "",
			`Order generic pills without prescription, overnight delivery! <a href="https://pills-depot.example/buy">cheap meds online</a> ` +
				`and <a href="https://rx-outlet.example">best pharmacy prices</a>. Call our toll free line 1-888-555-0142 now.`, 0.9, 1},
		{"customer-support number", "Printer Help Desk", "https://fix.example",
			"Printer offline error code? Call the tech support helpline +1 (877) 555-0199, our support team fixes it in minutes.", 0.5, 1},
		{"a reader's question", "Mira", "", "Does the second approach still work if the table has no primary key? I tried it on Postgres 15 and the planner ignored the index.", 0, 0.5},
		{"a reader's thanks with detail", "Tom", "https://tom.example", "Thanks, the part about connection pooling finally explained why our p99 latency jumped after the deploy.", 0, 0.5},
		{"short praise", "Lee", "", "Lovely write-up, very clear.", 0, 0.5},
		{"code", "dev", "", "You can also do `SELECT count(*) FROM t WHERE x = $1` and cache the plan; see the docs for details.", 0, 0.5},
		{"another language", "Jürgen", "", "Sehr hilfreicher Artikel, danke! Genau dieses Problem hatte ich letzte Woche mit meinem Server.", 0, 0.5},
		{"a link to a source", "Ana", "", "The original benchmark is at https://github.com/example/bench if anyone wants to rerun it.", 0, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := s.Score(Input{Site: st, Submission: comment.Submission{AuthorName: tt.author, AuthorURL: tt.website, Body: tt.body}, Links: linkCount(tt.body)})
			if v.Score < tt.min || v.Score >= tt.max && tt.max < 1 {
				t.Errorf("score %.3f, want in [%v, %v): %q", v.Score, tt.min, tt.max, v.Reasons)
			}
			t.Logf("%.3f %q", v.Score, v.Reasons)
		})
	}
}

// TestSeedHoldKeepsTheSeedAloneOutOfTheSpamFolder checks site.SeedHold: what only
// the seed would send to the spam folder is held instead, with a reason saying so,
// while the same text goes to the folder once the site's own lessons say so too.
func TestSeedHoldKeepsTheSeedAloneOutOfTheSpamFolder(t *testing.T) {
	seed, err := BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(nil, nil).WithSeed(seed)
	s := NewModelScorer(m)
	body := "Cheap viagra and cialis without prescription, discreet overnight shipping from our online pharmacy. Call 1-866-555-0123."
	in := func(action site.SeedAction) Input {
		st := site.NewSite("careful", "Careful")
		st.SpamSeed = action
		return Input{Site: st, Submission: comment.Submission{AuthorName: "Sam", Body: body}, Links: linkCount(body)}
	}
	if v := s.Score(in(site.SeedFold)); v.Score < folderScore {
		t.Fatalf("with fold the seed scores %.3f, want the spam folder: %q", v.Score, v.Reasons)
	}
	v := s.Score(in(site.SeedHold))
	if v.Score >= folderScore || !Caught(v) {
		t.Fatalf("with hold the seed alone scores %.3f, want held below %.1f: %q", v.Score, folderScore, v.Reasons)
	}
	if !strings.Contains(strings.Join(v.Reasons, "|"), "seed alone") {
		t.Errorf("reasons do not say the seed acted alone: %q", v.Reasons)
	}
	for i := range 6 {
		learn(t, m, "careful", "", fmt.Sprintf("viagra cialis pharmacy without prescription, overnight shipping, order %d", i), "", LabelSpam)
		learn(t, m, "careful", "", fmt.Sprintf("I liked the part about the garden, we planted beans in row %d", i), "", LabelHam)
	}
	if v := s.Score(in(site.SeedHold)); v.Score < folderScore {
		t.Errorf("with the site's own lessons agreeing, hold still caps the score at %.3f: %q", v.Score, v.Reasons)
	}
}
