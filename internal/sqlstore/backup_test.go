package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestBackup: on SQLite the copy is a whole database (its secret, the installation's
// identity, reads back the same), made once, owner-only; PostgreSQL refuses and names
// its own tool.
func TestBackup(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		want, err := s.Secret(ctx) // made on first use: before the copy
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(t.TempDir(), "copy.db")
		err = s.Backup(ctx, to)
		if s.Dialect() == "postgres" {
			if !errors.Is(err, sqlstore.ErrBackupUnsupported) {
				t.Fatalf("Backup on PostgreSQL: %v", err)
			}
			if _, err := os.Stat(to); !errors.Is(err, os.ErrNotExist) {
				t.Error("a refused backup left a file")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(to)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("copy: %v, mode %v", err, fi.Mode())
		}
		if err := s.Backup(ctx, to); err == nil {
			t.Error("a second backup to the same file succeeded")
		}
		restored := sqlstoretest.Open(t, "sqlite:"+to)
		got, err := restored.Secret(ctx)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("the copy's secret differs (%v)", err)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(to), ".*.tmp")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
}
