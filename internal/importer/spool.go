package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is a file to spool that passes the limit it was given.
var ErrTooLarge = errors.New("the file is larger than the limit")

// Spooled is a file copied to disk, so that an import can read it more than once
// (Strict reads twice, Commento's reader twice more) from a stream that can be read
// only once: an upload, or standard input.
type Spooled struct {
	path string
	// Size is how many bytes were copied.
	Size int64
}

// Spool copies r to a new temporary file in dir (the system's when ""), refusing one
// of more than limit bytes (limit <= 0: no limit) with an error wrapping ErrTooLarge;
// nothing is left on disk after an error. Remove the file when done.
func Spool(r io.Reader, dir string, limit int64) (*Spooled, error) {
	f, err := os.CreateTemp(dir, "winnow-import-*")
	if err != nil {
		return nil, fmt.Errorf("import: spool: %w", err)
	}
	s := &Spooled{path: f.Name()}
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	s.Size, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && limit > 0 && s.Size > limit {
		err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	if err != nil {
		os.Remove(s.path)
		return nil, fmt.Errorf("import: spool: %w", err)
	}
	return s, nil
}

// Open opens the spooled file from its start; it is Request.Open.
func (s *Spooled) Open() (io.ReadCloser, error) { return os.Open(s.path) }

// Remove deletes the spooled file.
func (s *Spooled) Remove() error { return os.Remove(s.path) }
