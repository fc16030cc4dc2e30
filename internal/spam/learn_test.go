package spam

import (
	"context"
	"fmt"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
)

// learn teaches the in-memory model m that a text by author on scope, once learned
// as from, is now label, as a moderator's decision teaches a comment.
func learn(t *testing.T, m *Model, scope, author, body, from, label string) {
	t.Helper()
	c := comment.Comment{SiteID: scope, AuthorName: author, BodySource: body, Trained: from}
	if err := m.LearnComment(context.Background(), c, label); err != nil {
		t.Fatal(err)
	}
}

// TestNewCampaignIsHeldAfterFewMarks posts a new campaign (the same text, a new
// author each time) to a site whose model knows nothing of it, a moderator marking
// each copy as spam; the copies must be held after at most three marks, from the
// seed and from nothing alike. The campaign is written for this test.
func TestNewCampaignIsHeldAfterFewMarks(t *testing.T) {
	seed, err := BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	text := "Zentrova herbal patches melted 12 kg off my waist in a month, grab yours at the zentrova outlet before stock runs out"
	readers := []string{
		"The migration guide skipped the part about foreign keys, took me an hour to notice.",
		"Nice to see benchmarks with error bars for once.",
		"We run the same setup on three nodes and never saw the lock contention you describe.",
	}
	for _, s := range []*Seed{nil, seed} {
		m := NewModel(nil, nil).WithSeed(s)
		if err := m.LearnExamples(context.Background(), Shared, loadData(t, videos[0])); err != nil {
			t.Fatal(err)
		}
		sc := NewModelScorer(m)
		st := site.NewSite("shop", "Shop")
		st.Policy = site.PolicyNone
		for i, r := range readers {
			learn(t, m, st.ID, fmt.Sprintf("reader %d", i), r, "", LabelHam)
		}
		marks := 0
		for ; marks <= 10; marks++ {
			v := sc.Score(Input{Site: st, Submission: comment.Submission{AuthorName: fmt.Sprintf("Promoter %d", marks), Body: text}})
			if Caught(v) {
				t.Logf("seed %v: held after %d marks: %.3f %q", s != nil, marks, v.Score, v.Reasons)
				break
			}
			learn(t, m, st.ID, fmt.Sprintf("Promoter %d", marks), text, "", LabelSpam)
		}
		if marks > 3 {
			t.Errorf("seed %v: a new campaign was held only after %d moderator marks", s != nil, marks)
		}
	}
}

// TestUnlearningMovesTheWeightsBack checks what undoing a lesson does to the linear
// model: forgetting a spam lesson (label "") takes a step towards ham at the current
// weights, and flipping it to ham takes two, so the text ends lower each time.
func TestUnlearningMovesTheWeightsBack(t *testing.T) {
	m := NewModel(nil, nil)
	st := site.NewSite("u", "u")
	sc := NewModelScorer(m)
	text := "Quorvex vouchers half price at the quorvex outlet all week"
	for i := range 3 {
		learn(t, m, st.ID, "", fmt.Sprintf("I enjoyed chapter %d and the exercises", i), "", LabelHam)
	}
	z := func() float64 {
		var v vec
		a := analyze(text)
		featurize(&v, &a, "", "", nil)
		z, _ := m.linear(st.ID).score(&v, nil)
		return z
	}
	before := z()
	learn(t, m, st.ID, "", text, "", LabelSpam)
	learned := z()
	learn(t, m, st.ID, "", text, LabelSpam, "")
	forgotten := z()
	learn(t, m, st.ID, "", text, "", LabelSpam)
	learn(t, m, st.ID, "", text, LabelSpam, LabelHam)
	flipped := z()
	if !(learned > before && forgotten < learned && flipped < forgotten) {
		t.Errorf("log-odds: before %.3f, learned %.3f, forgotten %.3f, flipped to ham %.3f", before, learned, forgotten, flipped)
	}
	if sp, hm := m.Classifier(st.ID).Documents(); sp != 0 || hm != 4 {
		t.Errorf("counts after the flip: %d spam, %d ham; want 0 and 4", sp, hm)
	}
	_ = sc
}

// TestUnevenLessonsDoNotMakeFunctionWordsEvidence teaches a site many spam lessons
// and few ham ones, as a site whose readers' comments are published unreviewed
// would; genuine comments, full of the words every text has, must not reach the
// spam folder.
func TestUnevenLessonsDoNotMakeFunctionWordsEvidence(t *testing.T) {
	seed, err := BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	var spams, hams []Example
	for _, ex := range append(loadData(t, videos[0]), loadData(t, videos[1])...) {
		if ex.Spam {
			spams = append(spams, ex)
		} else {
			hams = append(hams, ex)
		}
	}
	m := NewModel(nil, nil).WithSeed(seed)
	st := site.NewSite("uneven", "Uneven")
	st.Policy = site.PolicyNone
	for i, ex := range spams[:110] {
		learn(t, m, st.ID, ex.Author, ex.Text, "", LabelSpam)
		if i%4 == 0 && i/4 < 27 {
			learn(t, m, st.ID, hams[i/4].Author, hams[i/4].Text, "", LabelHam)
		}
	}
	s := NewModelScorer(m)
	foldered, held, n := 0, 0, 0
	for _, ex := range loadData(t, "sms/SMSSpamCollection.tsv") {
		if ex.Spam || n >= 1000 {
			continue
		}
		n++
		v := score(s, st, ex)
		if v.Score >= folderScore {
			foldered++
			t.Logf("foldered %.3f %q: %q", v.Score, ex.Text, v.Reasons)
		} else if Caught(v) {
			held++
		}
	}
	t.Logf("of %d genuine messages: %d foldered, %d held", n, foldered, held)
	if foldered > n/100 || held > n/10 {
		t.Errorf("of %d genuine messages %d went to the spam folder and %d were held", n, foldered, held)
	}
}

// TestScoringWhileLearning scores on several goroutines while lessons land (run with
// -race): a verdict sees a scope's weights before or after a lesson, never torn.
func TestScoringWhileLearning(t *testing.T) {
	seed, err := BuiltinSeed()
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(nil, nil).WithSeed(seed)
	s := NewModelScorer(m)
	st := site.NewSite("busy", "Busy")
	done := make(chan struct{})
	for g := range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				s.Score(Input{Site: st, Submission: comment.Submission{AuthorName: "R", Body: fmt.Sprintf("comment %d from %d about the post", i, g)}})
			}
		}()
	}
	for i := range 100 {
		label := LabelHam
		if i%3 == 0 {
			label = LabelSpam
		}
		learn(t, m, st.ID, "", fmt.Sprintf("lesson %d buy cheap things at the outlet", i), "", label)
	}
	for range 3 {
		<-done
	}
}

// TestLeftAloneIsAWeakCappedLesson checks the implicit lesson of a comment left
// published (LabelLeft): it teaches nothing on a site without decisions, moves the
// linear model less than a moderator's approval and the counts' documents not at all,
// stops at half the site's decisions, and a moderator's later mark takes it back.
func TestLeftAloneIsAWeakCappedLesson(t *testing.T) {
	ctx := context.Background()
	text := "The retry loop in the second listing never backs off, so it hammers the server"
	logOdds := func(m *Model, site string) float64 {
		a := analyze(text)
		var v vec
		featurize(&v, &a, "Ines", "", nil)
		z, _ := m.linear(site).score(&v, nil)
		return z
	}
	c := comment.Comment{ID: 1, SiteID: "blog", AuthorName: "Ines", BodySource: text}

	m := NewModel(nil, nil)
	if err := m.LearnComment(ctx, c, LabelLeft); err != nil {
		t.Fatal(err)
	}
	if n := m.Implicit("blog"); n != 0 || logOdds(m, "blog") != 0 {
		t.Errorf("a site without decisions learned %d implicit lessons (log-odds %.3f)", n, logOdds(m, "blog"))
	}

	decided := func() *Model {
		m := NewModel(nil, nil)
		learn(t, m, "blog", "Promo", "Discount pills shipped overnight, order at the pharmacy outlet", "", LabelSpam)
		learn(t, m, "blog", "Ana", "Would the same approach work with a read replica in another region?", "", LabelHam)
		return m
	}
	approved, left := decided(), decided()
	if err := approved.LearnComment(ctx, c, LabelHam); err != nil {
		t.Fatal(err)
	}
	if err := left.LearnComment(ctx, c, LabelLeft); err != nil {
		t.Fatal(err)
	}
	zBefore, zApproved, zLeft := logOdds(decided(), "blog"), logOdds(approved, "blog"), logOdds(left, "blog")
	if !(zApproved < zLeft && zLeft < zBefore) {
		t.Errorf("log-odds before %.3f, after an approval %.3f, after being left alone %.3f: want the last between", zBefore, zApproved, zLeft)
	}
	if sp, hm := left.Classifier("blog").Documents(); sp != 1 || hm != 1 || left.Implicit("blog") != 1 {
		t.Errorf("after one implicit lesson: %d/%d documents, %d implicit lessons; want 1/1 and 1", sp, hm, left.Implicit("blog"))
	}
	// Two decisions leave room for one implicit lesson: the next is past the cap.
	c2 := comment.Comment{ID: 2, SiteID: "blog", AuthorName: "Tom", BodySource: "Same here, the backoff fixed it for us"}
	if err := left.LearnComment(ctx, c2, LabelLeft); err != nil {
		t.Fatal(err)
	}
	if n := left.Implicit("blog"); n != 1 {
		t.Errorf("past the cap: %d implicit lessons, want 1", n)
	}
	// A moderator marks the comment left alone spam: the implicit lesson goes.
	c.Trained = LabelLeft
	if err := left.LearnComment(ctx, c, LabelSpam); err != nil {
		t.Fatal(err)
	}
	if sp, hm := left.Classifier("blog").Documents(); sp != 2 || hm != 1 || left.Implicit("blog") != 0 {
		t.Errorf("after the mark: %d/%d documents, %d implicit lessons; want 2/1 and 0", sp, hm, left.Implicit("blog"))
	}
}
