package sqlstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestResetSpam drops what one scope learned: its counts and weights go, the comments that taught it
// are marked as teaching nothing (so a later decision adds its lesson and takes back
// nothing that is gone), another replica's model follows at its next sync, and the
// other scopes stay as they were.
func TestResetSpam(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, b := spam.NewModel(s, log), spam.NewModel(s, log) // two replicas
		var seed []spam.Example
		for range 10 {
			seed = append(seed, spam.Example{Text: "subscribe to my channel for free money", Spam: true},
				spam.Example{Text: "what a lovely song, the chorus is great"})
		}
		if err := a.LearnExamples(ctx, spam.Shared, seed); err != nil {
			t.Fatal(err)
		}
		mustSite(t, s, "blog")
		mustSite(t, s, "other")
		teach := func(site, body, label string) comment.Comment {
			t.Helper()
			c := mustCreate(t, s, newComment(site, comment.StatusPending), "/t")
			got, err := s.Comment(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			got.BodySource = body
			if err := a.LearnComment(ctx, got, label); err != nil {
				t.Fatal(err)
			}
			got, _ = s.Comment(ctx, c.ID)
			got.BodySource = body
			return got
		}
		spammy := teach("blog", "widgetcoin discounted at coinpump exchange", spam.LabelSpam)
		hammy := teach("blog", "the chorus of the second verse moved me", spam.LabelHam)
		untaught := *mustCreate(t, s, newComment("blog", comment.StatusApproved), "/t")
		elsewhere := teach("other", "widgetcoin discounted at coinpump exchange", spam.LabelSpam)
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if sp, hm := b.Classifier("blog").Documents(); sp != 11 || hm != 11 {
			t.Fatalf("before the reset replica b counts blog %d/%d documents", sp, hm)
		}
		before, err := s.SpamTokens(ctx, -1)
		if err != nil {
			t.Fatal(err)
		}
		var rev int64
		for _, r := range before {
			rev = max(rev, r.Rev)
		}
		probe := spam.Tokens("widgetcoin discounted at coinpump exchange")
		shared, _ := b.Classifier(spam.Shared).Score(probe)
		otherBefore, _ := b.Classifier("other").Score(probe)

		if err := s.ResetSpam(ctx, "blog"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SpamTokens(ctx, rev); !errors.Is(err, spam.ErrStale) {
			t.Errorf("SpamTokens after a reset = %v, want ErrStale", err)
		}
		weights, err := s.SpamWeights(ctx, -1)
		if err != nil {
			t.Fatal(err)
		}
		var blogWeights, otherWeights int
		for _, w := range weights {
			switch w.Scope {
			case "blog":
				blogWeights++
			case "other":
				otherWeights++
			}
		}
		if blogWeights != 0 || otherWeights == 0 {
			t.Errorf("after the reset blog keeps %d weights and other %d; want none and some", blogWeights, otherWeights)
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if sp, hm := b.Classifier("blog").Documents(); sp != 10 || hm != 10 {
			t.Errorf("after the reset replica b counts blog %d/%d documents, want the shared 10/10", sp, hm)
		}
		if p, _ := b.Classifier("blog").Score(probe); p != shared {
			t.Errorf("after the reset blog scores %.3f, the shared scope %.3f", p, shared)
		}
		if p, _ := b.Classifier("other").Score(probe); p != otherBefore {
			t.Errorf("resetting blog moved site other from %.3f to %.3f", otherBefore, p)
		}
		for _, c := range []comment.Comment{spammy, hammy, untaught, elsewhere} {
			got, _ := s.Comment(ctx, c.ID)
			want := map[int64]string{spammy.ID: spam.LabelNone, hammy.ID: spam.LabelNone, untaught.ID: "", elsewhere.ID: spam.LabelSpam}[c.ID]
			if got.Trained != want {
				t.Errorf("comment %d: trained %q after the reset, want %q", c.ID, got.Trained, want)
			}
		}
		// Synced, a replica reads changes again, not everything.
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}

		// A moderator now marks the comment that once taught ham as spam: the lesson
		// adds one spam document and takes no ham document away.
		hammy, _ = s.Comment(ctx, hammy.ID)
		hammy.BodySource = "the chorus of the second verse moved me"
		if err := a.LearnComment(ctx, hammy, spam.LabelSpam); err != nil {
			t.Fatal(err)
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		rows, _ := s.SpamTokens(ctx, -1)
		for _, r := range rows {
			if r.Scope == "blog" && r.Token == "" && (r.Spam != 1 || r.Ham != 0) {
				t.Errorf("blog's totals after the reset and one decision: %+v, want 1 spam, 0 ham", r)
			}
			if r.Scope == "blog" && (r.Spam < 0 || r.Ham < 0) {
				t.Errorf("a negative count after the reset: %+v", r)
			}
		}
		if sp, hm := b.Classifier("blog").Documents(); sp != 11 || hm != 10 {
			t.Errorf("replica b counts blog %d/%d documents, want 11/10", sp, hm)
		}

		// The shared reset: the seed data goes, each site's own lessons stay, and the
		// revision goes on, so later lessons still reach the replicas.
		if err := s.ResetSpam(ctx, spam.Shared); err != nil {
			t.Fatal(err)
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if sp, hm := b.Classifier(spam.Shared).Documents(); sp != 0 || hm != 0 {
			t.Errorf("after the shared reset the shared scope counts %d/%d documents", sp, hm)
		}
		if sp, hm := b.Classifier("other").Documents(); sp != 1 || hm != 0 {
			t.Errorf("after the shared reset site other counts %d/%d documents, want its own 1/0", sp, hm)
		}
		if err := a.LearnExamples(ctx, spam.Shared, seed[:2]); err != nil {
			t.Fatal(err)
		}
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if sp, hm := b.Classifier(spam.Shared).Documents(); sp != 1 || hm != 1 {
			t.Errorf("a lesson after the shared reset: replica b counts %d/%d documents, want 1/1", sp, hm)
		}
	})
}

// BenchmarkSpamSyncUnchanged is what a replica's periodic model sync costs when
// nothing changed: the changed rows (none) and the latest reset, on a model of a few
// thousand rows.
func BenchmarkSpamSyncUnchanged(b *testing.B) {
	for _, engine := range sqlstoretest.Engines() {
		b.Run(engine.Name, func(b *testing.B) {
			ctx := context.Background()
			s := sqlstoretest.Open(b, engine.DSN(b))
			m := spam.NewModel(s, slog.New(slog.NewTextHandler(io.Discard, nil)))
			var seed []spam.Example
			for i := range 2000 {
				seed = append(seed, spam.Example{Text: "word" + string(rune('a'+i%26)) + " token" + itoa(i), Spam: i%2 == 0})
			}
			if err := m.LearnExamples(ctx, spam.Shared, seed); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := m.Sync(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
