package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/winnow/winnow/internal/comment"
)

// wrap adds the operation to err and maps what the engines say onto the domain's
// sentinel errors, so that callers match comment.ErrNotFound and friends and never
// driver types. The driver's own error stays in the chain for logs.
func wrap(op string, err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlstore: %s: %w", op, comment.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("sqlstore: %s: %w: %w", op, comment.ErrConflict, err)
	case isRetry(err):
		return fmt.Errorf("sqlstore: %s: %w: %w", op, comment.ErrConflict, err)
	case isForeignKey(err):
		// A reference to a site or thread that does not exist.
		return fmt.Errorf("sqlstore: %s: %w: %w", op, comment.ErrNotFound, err)
	case isUnavailable(err):
		return fmt.Errorf("sqlstore: %s: %w: %w", op, comment.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// SQLSTATE codes (PostgreSQL) that wrap maps.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgSerialization       = "40001"
	pgDeadlock            = "40P01"
)

func pqCode(err error) string {
	var e *pq.Error
	if errors.As(err, &e) {
		return string(e.Code)
	}
	return ""
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	if pqCode(err) == pgUniqueViolation {
		return true
	}
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool {
	return pqCode(err) == pgForeignKeyViolation || sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isRetry reports a transaction PostgreSQL aborted to resolve a conflict with another;
// trying again may succeed, as after any conflict.
func isRetry(err error) bool {
	c := pqCode(err)
	return c == pgSerialization || c == pgDeadlock
}

// isUnavailable reports errors that say the database cannot be reached or cannot
// serve now, as opposed to errors in what was asked of it.
func isUnavailable(err error) bool {
	if c := pqCode(err); c != "" {
		// Class 08: connection exception; 57P0x: shutdown; 53xxx: insufficient resources.
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "57P") || strings.HasPrefix(c, "53")
	}
	if c := sqliteCode(err); c != 0 {
		switch c & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return true
		}
		return false
	}
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &netErr):
		return true
	}
	// database/sql does not export the error for a closed *sql.DB.
	return strings.Contains(err.Error(), "database is closed")
}
