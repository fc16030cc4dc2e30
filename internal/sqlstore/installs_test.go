package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

func TestInstallsMergeAndStayBounded(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		if err := s.CreateSite(ctx, site.NewSite("blog", "Blog")); err != nil {
			t.Fatal(err)
		}
		t0 := epoch
		const origin = "https://blog.example"
		batches := [][]site.Install{
			{{SiteID: "blog", Origin: origin, Page: origin + "/a", Version: "v1", Loads: 3, LastLoad: t0}},
			{{SiteID: "blog", Origin: origin, Page: origin + "/b", Version: "v2", Loads: 2, LastLoad: t0.Add(time.Minute)},
				{SiteID: "nosuchsite", Origin: origin, Loads: 1, LastLoad: t0}},
			{{SiteID: "blog", Origin: origin, Error: "thread: HTTP 500", ErrorAt: t0.Add(2 * time.Minute)}},
			{{SiteID: "blog", Origin: origin, Error: "an older error", ErrorAt: t0}},
		}
		for _, b := range batches {
			if err := s.RecordInstalls(ctx, b, 3); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Installs(ctx, "blog")
		if err != nil {
			t.Fatal(err)
		}
		want := site.Install{SiteID: "blog", Origin: origin, Page: origin + "/b", Version: "v2", Loads: 5,
			LastLoad: t0.Add(time.Minute), Error: "thread: HTTP 500", ErrorAt: t0.Add(2 * time.Minute)}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("installs %+v, want [%+v]", got, want)
		}
		// Beyond the bound new origins are dropped; known ones still count.
		for i := range 5 {
			o := fmt.Sprintf("https://mirror%d.example", i)
			if err := s.RecordInstalls(ctx, []site.Install{{SiteID: "blog", Origin: o, Loads: 1, LastLoad: t0.Add(time.Duration(i) * time.Hour)}}, 3); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordInstalls(ctx, []site.Install{{SiteID: "blog", Origin: origin, Loads: 1, LastLoad: t0.Add(10 * time.Hour)}}, 3); err != nil {
			t.Fatal(err)
		}
		got, err = s.Installs(ctx, "blog")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Origin != origin || got[0].Loads != 6 {
			t.Errorf("after more origins than the bound: %+v", got)
		}
		if other, err := s.Installs(ctx, "nosuchsite"); err != nil || len(other) != 0 {
			t.Errorf("an unknown site's report was kept: %+v %v", other, err)
		}
	})
}
