package admin_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestForgedReportsCannotCrowdOutTheSitesOwnOrigins: anyone may send a report naming
// any origin; those fill at most site.MaxUnlistedInstalls rows, and the site's own
// origins are still kept and shown first when they load.
func TestForgedReportsCannotCrowdOutTheSitesOwnOrigins(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		st := site.NewSite("blog", "Blog")
		st.Origins = []string{"https://blog.example"}
		if err := s.CreateSite(ctx, st); err != nil {
			t.Fatal(err)
		}
		log := admin.NewInstallLog(s, slog.New(slog.DiscardHandler))
		at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		for i := range 3 * site.MaxUnlistedInstalls {
			in, ok := st.Report(fmt.Sprintf("https://forged%d.example", i), "", "", "", at)
			if !ok || !in.Unlisted() {
				t.Fatalf("forged report %d: %+v %v", i, in, ok)
			}
			log.Report(in)
		}
		in, _ := st.Report("https://blog.example", "https://blog.example/p", "", "", at.Add(time.Minute))
		log.Report(in)
		if err := log.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		svc := admin.New(s, func() time.Time { return at }, admin.Options{Installs: log})
		got, err := svc.Installs(ctx, admin.Operator(), "blog")
		if err != nil {
			t.Fatal(err)
		}
		unlisted := 0
		for _, in := range got {
			if in.Unlisted() {
				unlisted++
			}
		}
		if unlisted > site.MaxUnlistedInstalls || len(got) == 0 || got[0].Origin != "https://blog.example" {
			t.Errorf("%d rows, %d unlisted, first %+v", len(got), unlisted, got[0])
		}
	})
}
