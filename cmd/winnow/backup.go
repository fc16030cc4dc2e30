package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/winnow/winnow/internal/sqlstore"
)

// backup copies the SQLite database to a new file while servers may be using it; see
// sqlstore.Store.Backup. It neither migrates nor creates a database: a backup must
// not change what it copies, and a missing database is a mistake to report.
func backup(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	f := newFlags("backup", getenv, stderr)
	to := f.fs.String("to", "", "the file to write (must not exist); restore by stopping winnow and putting it in place of data_dir/winnow.db")
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup: --to FILE is required")
	}
	if cfg.Database.URL != "" {
		return fmt.Errorf("backup: database.url is PostgreSQL: %w (see the README)", sqlstore.ErrBackupUnsupported)
	}
	file := cfg.SQLiteFile()
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("backup: no database to copy: %w", err)
	}
	st, err := sqlstore.Open(ctx, cfg.DSN())
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "winnow: copied %s to %s\n", file, *to)
	return nil
}
