package spam

import (
	"slices"
	"testing"

	"github.com/winnow/winnow/internal/site"
)

// TestSignals checks each blog-spam signal on a text written for it, and that an
// ordinary comment fires none but the bias.
func TestSignals(t *testing.T) {
	tests := []struct {
		name, author, website, body string
		want                        signal
	}{
		{"website with generic praise", "Kim", "https://shop.example", "Great post, thanks for sharing!", sigWebsitePraise},
		{"praise alone", "Kim", "", "Great article, very informative.", sigPraise},
		{"website", "Kim", "https://kim.example", "The second graph has its axes swapped, I think.", sigWebsite},
		{"commercial anchor (html)", "Kim", "", `Read <a href="https://x.example">cheap flights deals</a> here`, sigAnchor},
		{"commercial anchor (markdown)", "Kim", "", "See [best essay service](https://x.example) today", sigAnchor},
		{"phone number", "Kim", "", "Call 1-800-555-0100 for details", sigPhone},
		{"international phone", "Kim", "", "WhatsApp +44 20 7946 0958", sigPhone},
		{"customer support", "Kim", "", "Reach customer support any time", sigSupport},
		{"error code", "Kim", "", "Got error code 1603 again", sigErrorCode},
		{"essay writing", "Kim", "", "We write essays and dissertation chapters", sigEssay},
		{"escort", "Kim", "", "Escorts in every city", sigEscort},
		{"casino", "Kim", "", "Best online casino bonus", sigCasino},
		{"pharmacy", "Kim", "", "Buy tramadol without prescription", sigPharmacy},
		{"crypto recovery", "Kim", "", "I was scammed and a recovery expert got my coins back", sigCrypto},
		{"link only", "Kim", "", "https://x.example/page", sigLinkOnly},
		{"one word", "Kim", "", "Nice", sigOneWord},
		{"shortener", "Kim", "", "More at https://bit.ly/3xYz and elsewhere", sigShortener},
		{"keyword-stuffed name", "Best Cheap Essay Writers", "", "Thanks for the post.", sigNameKeywords},
		{"other script", "Ivan", "", "Это очень интересная статья о базах данных", sigOtherScript},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(tt.body)
			fired := map[signal]bool{}
			textSignals(func(s signal) { fired[s] = true }, tt.author, tt.website, &a, nil)
			if !fired[tt.want] {
				t.Errorf("%q did not fire %q: %v", tt.body, signalNames[tt.want], fired)
			}
		})
	}
	a := analyze("I tried the second approach on our staging database and the query went from 4 s to 300 ms.")
	textSignals(func(s signal) {
		if s != sigBias {
			t.Errorf("an ordinary comment fired %q", signalNames[s])
		}
	}, "Ann Lee", "", &a, nil)
	a = analyze("Сайт о базах данных")
	fired := false
	textSignals(func(s signal) { fired = fired || s == sigForeignScript }, "", "", &a, []string{"Latin"})
	if !fired {
		t.Error("Cyrillic on a Latin site did not fire the script signal")
	}
}

// TestSeedSignalsGiveReasons checks that a signal that counts is named in the verdict.
func TestSeedSignalsGiveReasons(t *testing.T) {
	s := freshInstall(t)
	v := score(s, Options{}.site(), Example{Author: "Tech Support Helpline", Text: "Printer error code 0x97? Call customer support at +1 888 555 0175 now"})
	if !Caught(v) {
		t.Fatalf("not held: %.3f %q", v.Score, v.Reasons)
	}
	for _, want := range []string{"phone number", "error-code phrasing"} {
		found := false
		for _, r := range v.Reasons {
			if containsWord(r, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("reasons %q lack %q", v.Reasons, want)
		}
	}
}

// TestScriptNamesMatchTheSiteSetting keeps site.Scripts, which a site may name,
// and the scripts the scorer tells apart in step.
func TestScriptNamesMatchTheSiteSetting(t *testing.T) {
	for _, s := range site.Scripts {
		if !slices.Contains(scriptNames[:], s) {
			t.Errorf("the site setting allows %q, which the scorer does not tell apart", s)
		}
	}
}

// TestForeignScriptCountsForTheSite checks that a site naming its scripts hears of a
// comment in another, and one that names none does not.
func TestForeignScriptCountsForTheSite(t *testing.T) {
	seed, err := BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(nil, nil).WithSeed(seed)
	a := analyze("Παρακαλώ επισκεφθείτε την ιστοσελίδα μας για περισσότερες προσφορές σήμερα")
	z := func(scripts ...string) float64 {
		var v vec
		featurize(&v, &a, "X", "", scripts)
		z, _ := m.linear("latin").score(&v, nil)
		return z
	}
	none, latin, greek := z(), z("Latin"), z("Latin", "Greek")
	if latin <= none || greek != none {
		t.Errorf("log-odds of a Greek comment: %.3f naming no script, %.3f on a Latin-only site, %.3f naming Greek", none, latin, greek)
	}
}
