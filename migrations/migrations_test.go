package migrations

import (
	"io/fs"
	"slices"
	"testing"
)

// TestBothDialectsHaveTheSameVersions guards the rule in README.md: every change is
// written for both dialects under one version number, so that an installation on
// either engine reaches the same schema version.
func TestBothDialectsHaveTheSameVersions(t *testing.T) {
	pg, err := fs.Glob(Postgres(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	lite, err := fs.Glob(SQLite(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) == 0 {
		t.Fatal("no migrations embedded")
	}
	if !slices.Equal(pg, lite) {
		t.Errorf("the dialects' migration files differ:\npostgres: %v\nsqlite:   %v", pg, lite)
	}
}
