package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupUnsupported is Backup's answer on PostgreSQL, whose own tools (pg_dump,
// or the server's continuous archiving) copy a live database better than winnow could.
var ErrBackupUnsupported = errors.New("winnow backup copies the SQLite database; back PostgreSQL up with pg_dump")

// Backup writes a consistent copy of the SQLite database to the file at path, which
// must not exist yet, while the store keeps serving: VACUUM INTO reads one snapshot in
// a read transaction, which in WAL mode neither waits for nor blocks the writer. The
// copy is written beside path under a temporary name, made durable and renamed into
// place, so a copy that path names is always whole; it is readable by its owner only,
// since it holds authors' emails and addresses.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != dialectSQLite {
		return ErrBackupUnsupported
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("sqlstore: backup: %s exists; name a new file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlstore: backup: %w", err)
	}
	// VACUUM INTO writes into an empty file, so the temporary one is made first, with
	// the copy's permissions.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sqlstore: backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpName)
		}
	}()
	// Through the writer connection, since the read pool's are query-only, which
	// refuses VACUUM INTO; it reads the source in a read transaction all the same. It
	// does keep this Store's writes waiting while it copies: `winnow backup` opens a
	// Store of its own, and a server's writers never wait for it.
	if _, err := s.wdb.ExecContext(ctx, "VACUUM INTO ?", tmpName); err != nil {
		return wrap("backup", err)
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("sqlstore: backup: %w", err)
	}
	// A rename would replace a file made at path meanwhile; a link fails instead. Where
	// the file system has no hard links, the rename it is.
	switch err := os.Link(tmpName, path); {
	case err == nil:
		os.Remove(tmpName)
	case errors.Is(err, os.ErrExist):
		return fmt.Errorf("sqlstore: backup: %s exists; name a new file", path)
	default:
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("sqlstore: backup: %w", err)
		}
	}
	done = true
	// Best effort: the copy's bytes are on disk already, and not every system can
	// sync a directory (Windows cannot).
	_ = syncFile(filepath.Dir(path))
	return nil
}

// syncFile flushes a file or a directory to disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
