package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

var _ spam.Store = (*sqlstore.Store)(nil)

func TestSpamModelIsSharedThroughTheStore(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, b := spam.NewModel(s, log), spam.NewModel(s, log) // two replicas
		for _, m := range []*spam.Model{a, b} {
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var seed []spam.Example
		for range 20 {
			seed = append(seed, spam.Example{Text: "subscribe to my channel for free money", Spam: true},
				spam.Example{Text: "what a lovely song, the chorus is great"})
		}
		if err := a.LearnExamples(ctx, spam.Shared, seed); err != nil {
			t.Fatal(err)
		}
		if sp, hm := a.Classifier(spam.Shared).Documents(); sp != 20 || hm != 20 {
			t.Fatalf("replica a knows %d/%d documents", sp, hm)
		}
		if sp, _ := b.Classifier(spam.Shared).Documents(); sp != 0 {
			t.Fatal("replica b learned before syncing")
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if sp, hm := b.Classifier(spam.Shared).Documents(); sp != 20 || hm != 20 {
			t.Fatalf("after sync replica b knows %d/%d documents", sp, hm)
		}
		p, _ := b.Classifier(spam.Shared).Score(spam.Tokens("free money, subscribe"))
		if p < 0.9 {
			t.Errorf("replica b scores spam %.2f", p)
		}

		// A comment learned as spam, then as ham: the first lesson is undone.
		mustSite(t, s, "blog")
		c := mustCreate(t, s, newComment("blog", comment.StatusPending), "/t")
		c.BodySource = "brand new words zyx"
		got, _ := s.Comment(ctx, c.ID)
		got.BodySource = c.BodySource
		if err := a.LearnComment(ctx, got, spam.LabelSpam); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Comment(ctx, c.ID)
		if got.Trained != spam.LabelSpam {
			t.Fatalf("trained = %q", got.Trained)
		}
		got.BodySource = c.BodySource
		if err := a.LearnComment(ctx, got, spam.LabelHam); err != nil {
			t.Fatal(err)
		}
		if sp, hm := a.Classifier("blog").Documents(); sp != 20 || hm != 21 {
			t.Errorf("after spam then ham: %d/%d documents, want 20/21", sp, hm)
		}
		// A stale copy (still untrained) is a decision another moderator beat: no change.
		stale := got
		stale.Trained = ""
		if err := b.LearnComment(ctx, stale, spam.LabelSpam); err != nil {
			t.Fatal(err)
		}
		b.Sync(ctx)
		if sp, hm := b.Classifier("blog").Documents(); sp != 20 || hm != 21 {
			t.Errorf("a stale lesson counted: %d/%d", sp, hm)
		}
		if err := s.LearnSpam(ctx, spam.Lesson{CommentID: c.ID, From: "", To: "spam"}); !errors.Is(err, comment.ErrConflict) {
			t.Errorf("LearnSpam with a stale label = %v, want ErrConflict", err)
		}

		// The label "" forgets: an undone decision leaves no lesson, and no trace in the
		// comment's trained label; forgetting twice changes nothing.
		for range 2 {
			got, _ = s.Comment(ctx, c.ID)
			got.BodySource = c.BodySource
			if err := a.LearnComment(ctx, got, ""); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ = s.Comment(ctx, c.ID); got.Trained != "" {
			t.Errorf("trained = %q after forgetting", got.Trained)
		}
		if sp, hm := a.Classifier("blog").Documents(); sp != 20 || hm != 20 {
			t.Errorf("after forgetting: %d/%d documents, want 20/20", sp, hm)
		}
		if err := a.LearnComment(ctx, got, "maybe"); err == nil {
			t.Error("an unknown label was learned")
		}
	})
}

// TestSpamScopesAreKeptApart checks the stored scopes: each has its own token counts
// and totals row, one installation-wide revision orders every lesson, and a replica
// reading the rows changed since a revision gets every scope's changes and no others.
func TestSpamScopesAreKeptApart(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		learn := func(scope string, spamDocs int64, tokens ...string) {
			t.Helper()
			l := spam.Lesson{Scope: scope, DocSpam: spamDocs}
			for _, tok := range tokens {
				l.Deltas = append(l.Deltas, spam.TokenCounts{Token: tok, Spam: spamDocs})
			}
			if err := s.LearnSpam(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		rows := func(afterRev int64) map[string]spam.TokenCounts {
			t.Helper()
			rs, err := s.SpamTokens(ctx, afterRev)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]spam.TokenCounts{}
			for _, r := range rs {
				out[r.Scope+"/"+r.Token] = r
			}
			return out
		}
		learn(spam.Shared, 2, "money")
		learn("a", 1, "money", "coinpump")
		learn("b", 3, "money")
		all := rows(-1)
		tests := []struct {
			key       string
			spam, rev int64
		}{
			{"/", 2, 3}, // the shared totals row carries the installation's revision
			{"/money", 2, 1},
			{"a/", 1, 2},
			{"a/money", 1, 2},
			{"a/coinpump", 1, 2},
			{"b/", 3, 3},
			{"b/money", 3, 3},
		}
		for _, tt := range tests {
			r, ok := all[tt.key]
			if !ok || r.Spam != tt.spam || r.Rev != tt.rev {
				t.Errorf("row %q = %+v (present %v), want spam %d rev %d", tt.key, r, ok, tt.spam, tt.rev)
			}
		}
		if len(all) != len(tests) {
			t.Errorf("%d rows, want %d: %v", len(all), len(tests), all)
		}

		// Sync by revision across scopes: after revision 3 a replica reads site a's new
		// lesson and the revision row, nothing of b's or of the shared tokens.
		learn("a", 1, "coinpump")
		got := rows(3)
		if len(got) != 3 || got["a/coinpump"].Spam != 2 || got["a/"].Spam != 2 || got["/"].Rev != 4 {
			t.Errorf("rows after revision 3: %v", got)
		}
	})
}

// TestSpamModelLearnsPerSite checks the model on the store: a moderator's decision on
// a site's comment moves that site's score alone, also on another replica after a
// sync, while the shared seed moves every site's.
func TestSpamModelLearnsPerSite(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		m, replica := spam.NewModel(s, log), spam.NewModel(s, log)
		var seed []spam.Example
		for range 10 {
			seed = append(seed, spam.Example{Text: "subscribe to my channel for free money", Spam: true},
				spam.Example{Text: "what a lovely song, the chorus is great"})
		}
		if err := m.LearnExamples(ctx, spam.Shared, seed); err != nil {
			t.Fatal(err)
		}
		mustSite(t, s, "a")
		mustSite(t, s, "b")
		probe := spam.Tokens("discounted widgetcoin at coinpump exchange")
		score := func(m *spam.Model, site string) float64 {
			p, _ := m.Classifier(site).Score(probe)
			return p
		}
		beforeA, beforeB := score(m, "a"), score(m, "b")
		for i := range 3 {
			c := mustCreate(t, s, newComment("a", comment.StatusPending), "/t")
			got, err := s.Comment(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			got.BodySource = fmt.Sprintf("widgetcoin tokens discounted at coinpump exchange, round %d", i)
			if err := m.LearnComment(ctx, got, spam.LabelSpam); err != nil {
				t.Fatal(err)
			}
		}
		if err := replica.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range []*spam.Model{m, replica} {
			if p := score(m, "a"); p <= beforeA+0.2 {
				t.Errorf("site a scores %.2f after its lessons, %.2f before", p, beforeA)
			}
			if p := score(m, "b"); p != beforeB {
				t.Errorf("site a's lessons moved site b from %.2f to %.2f", beforeB, p)
			}
			if sp, hm := m.Classifier("b").Documents(); sp != 10 || hm != 10 {
				t.Errorf("site b counts %d/%d documents, want the shared 10/10", sp, hm)
			}
			if sp, hm := m.Classifier("a").Documents(); sp != 13 || hm != 10 {
				t.Errorf("site a counts %d/%d documents, want 13/10", sp, hm)
			}
		}

		// The shared seed moves both sites.
		var more []spam.Example
		for range 5 {
			more = append(more, spam.Example{Text: "coinpump widgetcoin discounted free money", Spam: true})
		}
		if err := m.LearnExamples(ctx, spam.Shared, more); err != nil {
			t.Fatal(err)
		}
		if p := score(m, "b"); p <= beforeB+0.2 {
			t.Errorf("after more shared seed site b scores %.2f, %.2f before", p, beforeB)
		}
		if sp, _ := m.Classifier("a").Documents(); sp != 18 {
			t.Errorf("site a counts %d spam documents, want 18", sp)
		}
	})
}

// TestSpamScopeMigrationKeepsOldRowsShared migrates a store with counts learned before
// scopes existed: they become the shared scope's, and the revision goes on from theirs.
func TestSpamScopeMigrationKeepsOldRowsShared(t *testing.T) {
	for _, engine := range sqlstoretest.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			ctx := context.Background()
			s, err := sqlstore.Open(ctx, engine.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := sqlstore.MigrateTo(ctx, s, 12); err != nil {
				t.Fatal(err)
			}
			db := sqlstore.WriteDB(s)
			if _, err := db.ExecContext(ctx, `UPDATE spam_tokens SET spam = 4, ham = 6, rev = 7 WHERE token = ''`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO spam_tokens (token, spam, ham, rev) VALUES ('money', 4, 1, 7), ('song', 0, 5, 2)`); err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			rows, err := s.SpamTokens(ctx, -1)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]spam.TokenCounts{
				"":      {Spam: 4, Ham: 6, Rev: 7},
				"money": {Token: "money", Spam: 4, Ham: 1, Rev: 7},
				"song":  {Token: "song", Ham: 5, Rev: 2},
			}
			if len(rows) != len(want) {
				t.Fatalf("rows after migration: %+v", rows)
			}
			for _, r := range rows {
				if r.Scope != spam.Shared || r != want[r.Token] {
					t.Errorf("row %+v, want %+v in the shared scope", r, want[r.Token])
				}
			}
			if err := s.LearnSpam(ctx, spam.Lesson{Scope: "blog", DocHam: 1, Deltas: []spam.TokenCounts{{Token: "song", Ham: 1}}}); err != nil {
				t.Fatal(err)
			}
			rows, err = s.SpamTokens(ctx, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3 {
				t.Errorf("rows after revision 7: %+v, want the revision row and blog's two", rows)
			}
			for _, r := range rows {
				if r.Rev != 8 {
					t.Errorf("row %+v, want revision 8", r)
				}
			}
		})
	}
}

// TestSpamWeightsAreSharedByRevision checks the linear model's stored state: a
// moderator's lesson writes the site's weight deltas in the lesson's transaction,
// stamped with its revision; another replica reads them by revision and then scores
// as the first; lessons learned on two replicas without a sync between add up, so
// both end with the same weights; and an undone lesson moves the weights back.
func TestSpamWeightsAreSharedByRevision(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		seed, err := spam.BuiltinSeed()
		if err != nil {
			t.Fatal(err)
		}
		a, b := spam.NewModel(s, log).WithSeed(seed), spam.NewModel(s, log).WithSeed(seed)
		for _, m := range []*spam.Model{a, b} {
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		mustSite(t, s, "w")
		st := site.NewSite("w", "w")
		probe := "Grab the zorblax vouchers at the quintrel outlet today"
		score := func(m *spam.Model) float64 {
			return spam.NewModelScorer(m).Score(spam.Input{Site: st, Submission: comment.Submission{AuthorName: "P", Body: probe}}).Score
		}
		before := score(a)
		learn := func(m *spam.Model, body, label string) comment.Comment {
			t.Helper()
			c := mustCreate(t, s, newComment("w", comment.StatusPending), "/w")
			got, err := s.Comment(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			got.BodySource = body
			if err := m.LearnComment(ctx, got, label); err != nil {
				t.Fatal(err)
			}
			got, _ = s.Comment(ctx, c.ID)
			got.BodySource = body
			return got
		}
		c1 := learn(a, "zorblax vouchers cheap at the quintrel outlet", spam.LabelSpam)
		rows, err := s.SpamWeights(ctx, -1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			t.Fatal("a lesson stored no weights")
		}
		rev := rows[0].Rev
		for _, r := range rows {
			if r.Scope != "w" || r.Rev != rev || r.Accum <= 0 {
				t.Fatalf("weight row %+v: want scope w, one revision, a positive accumulator", r)
			}
		}
		if got, err := s.SpamWeights(ctx, rev); err != nil || len(got) != 0 {
			t.Errorf("rows after the last revision: %v, %v", got, err)
		}
		afterA := score(a)
		if afterA <= before {
			t.Errorf("the lesson left the probe at %.3f (was %.3f)", afterA, before)
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if got := score(b); got != afterA {
			t.Errorf("replica b scores %.4f after its sync, replica a %.4f", got, afterA)
		}

		// Two replicas learn without syncing in between; both end on the sums.
		learn(a, "zorblax vouchers again, quintrel outlet deals", spam.LabelSpam)
		learn(b, "I read the whole post twice and the diagrams helped", spam.LabelHam)
		for _, m := range []*spam.Model{a, b} {
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if sa, sb := score(a), score(b); sa != sb {
			t.Errorf("after concurrent lessons replica a scores %.4f, b %.4f", sa, sb)
		}

		// Undo: the first lesson forgotten moves the probe back down.
		high := score(a)
		if err := a.LearnComment(ctx, c1, ""); err != nil {
			t.Fatal(err)
		}
		if got := score(a); got >= high {
			t.Errorf("forgetting a spam lesson left the probe at %.3f (was %.3f)", got, high)
		}
	})
}
