package spam

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/winnow/winnow/internal/site"
)

// dataDir is the labeled data kept in the repository (credits in testdata/README.md).
const dataDir = "testdata"

// loadData reads a labeled file, skipping the test without the data on a developer's
// machine and failing in CI.
func loadData(t testing.TB, name string) []Example {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, name))
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("WINNOW_TEST_REQUIRE") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

var videos = []string{"youtube/Youtube01-Psy.csv", "youtube/Youtube02-KatyPerry.csv", "youtube/Youtube03-LMFAO.csv"}

// TestEvaluationOnSharedData measures the scorer as the service runs it on the
// labeled data in the repository (credits in testdata/README.md), protocol by
// protocol as `winnow spam eval` prints them, and guards the figures reached against
// regressions. The targets are higher in places (see the README); the log
// lines say where each stands.
func TestEvaluationOnSharedData(t *testing.T) {
	var yt []Example
	per := make([][]Example, len(videos))
	for i, v := range videos {
		per[i] = loadData(t, v)
		yt = append(yt, per[i]...)
	}
	sms := loadData(t, "sms/SMSSpamCollection.tsv")
	type floor struct {
		name       string
		got, bound float64
		atMost     bool // the bound is a ceiling (a false-positive rate)
	}
	var floors []floor
	at := func(name string, got, bound float64) { floors = append(floors, floor{name, got, bound, false}) }
	under := func(name string, got, bound float64) { floors = append(floors, floor{name, got, bound, true}) }
	logReport := func(name string, r Report) {
		t.Logf("%s: held MCC %.3f FPR %.3f recall %.3f | folder MCC %.3f FPR %.4f recall %.3f | AUC %.3f",
			name, r.Held.MCC, r.Held.FPR, r.Held.Recall, r.Folder.MCC, r.Folder.FPR, r.Folder.Recall, r.AUC)
	}

	// Leave one video out, from nothing.
	var sum float64
	for i, r := range LeaveOneOut(per, Options{}) {
		logReport("leave out "+videos[i], r)
		sum += r.Held.MCC
		under("leave out "+videos[i]+": held FPR", r.Held.FPR, []float64{0.10, 0.02, 0.025}[i])
		at("leave out "+videos[i]+": held MCC", r.Held.MCC, []float64{0.83, 0.83, 0.83}[i])
	}
	// LMFAO's figure is mostly one text: 92 of its 236 spam comments are YouTube's
	// share text "Check out this video on YouTube:", which the other two videos hold
	// once (with more after it); it sits near the held threshold, caught or not as a
	// whole (MCC 0.84 or 0.53): a change that drops it should be looked at.
	at("leave-one-video-out mean MCC", sum/3, 0.83)

	cv := CrossValidate(yt, 10, 1, Options{})
	logReport("YouTube 10-fold", cv)
	at("YouTube 10-fold MCC", cv.Held.MCC, 0.90)
	under("YouTube 10-fold FPR", cv.Held.FPR, 0.02)
	under("YouTube 10-fold folder FPR", cv.Folder.FPR, 0.005)

	// Cross-domain: learned on one kind of text, tested on another.
	ytSMS, smsYT := Evaluate(yt, sms, Options{}), Evaluate(sms, yt, Options{})
	logReport("YouTube -> SMS", ytSMS)
	logReport("SMS -> YouTube", smsYT)
	under("YouTube -> SMS held FPR", ytSMS.Held.FPR, 0.10)
	under("YouTube -> SMS folder FPR", ytSMS.Folder.FPR, 0.005)
	under("SMS -> YouTube folder FPR", smsYT.Folder.FPR, 0.004)
	at("SMS -> YouTube recall", smsYT.Held.Recall, 0.28)
	under("SMS -> YouTube held FPR", smsYT.Held.FPR, 0.03)

	// A fresh installation: a seed alone on a kind of text it did not learn from, the
	// blog-like proxy (the built-in seed learns all three kinds; here each is left out
	// in turn). Genuine comments must stay out of the spam folder and rarely be held.
	sa := loadData(t, "spamassassin/spamassassin.tsv")
	noVideo := TrainSeed(append(append([]Example{}, sa...), sms...))
	fresh := Evaluate(nil, yt, Options{Seed: noVideo})
	logReport("seed from mail and SMS, alone on YouTube", fresh)
	under("seed alone on YouTube: genuine held", fresh.Held.FPR, 0.015)
	under("seed alone on YouTube: genuine foldered", fresh.Folder.FPR, 0.002)
	at("seed alone on YouTube: spam caught", fresh.Held.Recall, 0.12)
	noSMS := TrainSeed(append(append([]Example{}, sa...), yt...))
	freshSMS := Evaluate(nil, sms, Options{Seed: noSMS})
	logReport("seed from mail and YouTube, alone on SMS", freshSMS)
	under("seed alone on SMS: genuine held", freshSMS.Held.FPR, 0.025)
	under("seed alone on SMS: genuine foldered", freshSMS.Folder.FPR, 0.002)
	at("seed alone on SMS: spam caught", freshSMS.Held.Recall, 0.45)

	// Prequential: the three videos merged in date order, each comment scored and
	// then labelled, as moderators would.
	p := Replay(yt, 100, Options{})
	logReport("prequential, after 100", p.AfterWarmUp)
	t.Logf("prequential: labels before a recurring spam text was held %v", p.Campaigns)
	at("prequential MCC after 100 labels", p.AfterWarmUp.Held.MCC, 0.88)
	under("prequential FPR after 100 labels", p.AfterWarmUp.Held.FPR, 0.02)
	for _, n := range p.Campaigns {
		if n < 0 || n > 3 {
			t.Errorf("a recurring spam text was held only after %d labels (-1: never): %v", n, p.Campaigns)
		}
	}
	// Policy none from a seed that never saw these videos: only what the model holds
	// gets a label; published comments (spam included: nobody reads them) teach ham
	// after they stayed up, as implicit lessons (LabelLeft: a tenth of a lesson in the
	// linear model, none in the counts, at most half as many as the labels). Half
	// this stream is spam the seed barely knows (it catches 15%), so what it lets
	// through outnumbers what it holds: taught as full ham lessons, it taught the model
	// its own mistakes (MCC 0.08). No genuine comment reaches the spam folder (two
	// would, on the stream's own spam words 'thumbs up' and '1 billion views', if one
	// learner sure alone could fold: folderAgreement).
	full := Replay(yt, 100, Options{Seed: noVideo})
	none := Replay(yt, 100, Options{Seed: noVideo, Policy: site.PolicyNone})
	logReport("prequential from the seed, every comment labelled, after 100", full.AfterWarmUp)
	logReport("prequential, policy none, after 100", none.AfterWarmUp)
	t.Logf("policy none: %d labels, %d learned as ham after staying up, %d genuine foldered", none.Labels, none.Published, none.Stream.Folder.FP)
	at("policy none MCC after 100", none.AfterWarmUp.Held.MCC, 0.80)
	under("policy none: MCC short of the labelled stream's", full.AfterWarmUp.Held.MCC-none.AfterWarmUp.Held.MCC, 0.08)
	under("policy none: genuine foldered (of 951)", float64(none.Stream.Folder.FP), 0)

	// The same on the SMS stream (in file order, 13% spam, nearer a blog's share than
	// the videos' half) from a seed that never saw text messages: published messages
	// teach ham, and the figures stay near the fully labelled stream's.
	smsFull := Replay(sms, 100, Options{Seed: noSMS})
	smsNone := Replay(sms, 100, Options{Seed: noSMS, Policy: site.PolicyNone})
	logReport("SMS prequential, every message labelled, after 100", smsFull.AfterWarmUp)
	logReport("SMS prequential, policy none, after 100", smsNone.AfterWarmUp)
	t.Logf("SMS policy none: %d labels, %d learned as ham after staying up, %d genuine foldered", smsNone.Labels, smsNone.Published, smsNone.Stream.Folder.FP)
	at("SMS policy none MCC after 100", smsNone.AfterWarmUp.Held.MCC, 0.92)
	under("SMS policy none: MCC short of the labelled stream's", smsFull.AfterWarmUp.Held.MCC-smsNone.AfterWarmUp.Held.MCC, 0.02)
	under("SMS policy none: genuine foldered (of 4,827)", float64(smsNone.Stream.Folder.FP), 0)

	at("SMS 10-fold MCC", CrossValidate(sms, 10, 1, Options{}).Held.MCC, 0.93)
	for _, f := range floors {
		switch {
		case f.atMost && f.got > f.bound:
			t.Errorf("%s rose to %.4f (was at most %.4f)", f.name, f.got, f.bound)
		case !f.atMost && f.got < f.bound:
			t.Errorf("%s fell to %.4f (was at least %.4f)", f.name, f.got, f.bound)
		}
	}
}

func TestCrossValidateKeepsDuplicatesOnOneSide(t *testing.T) {
	var ex []Example
	for i := range 40 {
		ex = append(ex, Example{Text: "Check out my channel", Spam: true}, Example{Text: fmt.Sprintf("nice song %d", i)})
	}
	m := CrossValidate(ex, 10, 7, Options{}).Held
	// The 40 copies of one spam text share a fold, so no training set held them when
	// they were tested: a classifier with nothing else to go on cannot catch them.
	if m.N != 80 || m.TP != 0 {
		t.Errorf("duplicates leaked across folds: %+v", m)
	}
}

func TestMetrics(t *testing.T) {
	var m Metrics
	for _, p := range []struct{ pred, act bool }{{true, true}, {true, true}, {true, false}, {false, false}, {false, false}, {false, true}} {
		m.add(p.pred, p.act)
	}
	m.finish()
	if m.TP != 2 || m.FP != 1 || m.TN != 2 || m.FN != 1 || m.Precision != 2.0/3 || m.FPR != 1.0/3 {
		t.Errorf("%+v", m)
	}
	if want := (4.0 - 1.0) / 9.0; math.Abs(m.MCC-want) > 1e-9 {
		t.Errorf("MCC %v, want %v", m.MCC, want)
	}
}

func TestHoldThresholdMatchesModeration(t *testing.T) {
	// spam cannot import moderation; this pins the copy (moderation.HoldThreshold = 0.5).
	if holdThreshold != 0.5 {
		t.Fatal("holdThreshold drifted from moderation.HoldThreshold")
	}
	// And folderScore = moderation.SpamThreshold = 0.9.
	if folderScore != 0.9 {
		t.Fatal("folderScore drifted from moderation.SpamThreshold")
	}
}
