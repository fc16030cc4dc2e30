package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// OpenWrapped opens a store as Open does, with every connection made through wrap's
// connector, so that a test can count the statements a request runs.
func OpenWrapped(ctx context.Context, dsn string, wrap func(driver.Connector) driver.Connector) (*Store, error) {
	return openWith(ctx, dsn, wrap)
}

// ReadDB exposes the read pool to the external tests, which check query plans.
func ReadDB(s *Store) *sql.DB { return s.db }

// ApprovedCommentsSQL is the public thread read, for the plan test.
const ApprovedCommentsSQL = approvedCommentsSQL

// UntaughtPublishedSQL is the candidates' read of the ham sweep, for the plan test.
func UntaughtPublishedSQL(s *Store) string { return s.untaughtPublishedSQL() }

// WriteDB exposes the write pool, for tests that make the database fail on purpose.
func WriteDB(s *Store) *sql.DB { return s.wdb }

// ApprovedRepliesSQL is the replies read, for the plan test.
func ApprovedRepliesSQL(n int) string { return approvedRepliesSQL(n) }

// MigrateTo applies the migrations up to version alone, for tests of one migration.
func MigrateTo(ctx context.Context, s *Store, version int64) error {
	p, err := s.migrations(ctx)
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// RecordSQL is the submission's one read in the store's dialect, for the plan test.
func RecordSQL(s *Store) string {
	if s.dialect == dialectPostgres {
		return recordPostgres
	}
	return recordSQLite
}
