// Package sqlstore is winnow's one storage implementation, on database/sql, for SQLite
// (the default, modernc.org/sqlite) and PostgreSQL (lib/pq). Both engines run the same
// SQL except where a dialect seam says otherwise, so that one conformance suite proves
// they behave alike. It holds no business rules: it stores what the domain decided.
// Where a rule must hold against concurrent writers, it offers a guarded primitive and
// the service asks for the guard: UpdateUser's auth.UserWrite (the last enabled admin),
// CreateToken's account that must be an enabled admin, CreateGuardedUser's
// auth.UserCreate (the setup token, the first admin).
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/lib/pq" // driver "postgres"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/winnow/winnow/migrations"
)

// Dialect names, as Dialect reports them.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// sqliteParams make every SQLite connection behave the same: WAL so readers never
// block the writer, a busy timeout and immediate write transactions so that writers
// queue instead of failing with SQLITE_BUSY on a lock upgrade, and enforced foreign keys.
const sqliteParams = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Store is the database behind every store interface. It is safe for concurrent use.
type Store struct {
	// db serves reads. On SQLite it is a pool of read-only connections.
	db *sql.DB
	// wdb serves writes. On PostgreSQL it is db; on SQLite it is a single connection,
	// because SQLite has one writer at a time and waiting in Go's pool is fairer and
	// faster than sleeping in SQLite's busy handler.
	wdb     *sql.DB
	dialect string

	mu    sync.Mutex
	hot   *hotStmts            // prepared on first use, after the schema exists
	reads map[string]*sql.Stmt // read statements prepared on first use (readStmt)

	dsn           string                      // PostgreSQL's, for the LISTEN connection
	threadChanged atomic.Pointer[func(int64)] // SQLite: told of this store's own thread changes
}

// Open connects to the database named by dsn: "postgres://..." or "postgresql://..."
// for PostgreSQL, "sqlite:" followed by a file path for SQLite (the directory is created
// if missing). Parameters after a "?" in a SQLite DSN go to the driver after winnow's
// own, which win where the driver reads one value. Open pings the database but does
// not migrate it: call Migrate for that.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return openWith(ctx, dsn, nil)
}

// openWith is Open with every connection made through wrap's connector when wrap is set:
// the tests count the statements a request runs with it.
func openWith(ctx context.Context, dsn string, wrap func(driver.Connector) driver.Connector) (*Store, error) {
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(dsn, wrap)
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"), wrap)
	default:
		return nil, errors.New("sqlstore: open: dsn must start with postgres://, postgresql:// or sqlite:")
	}
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connect opens a pool of driverName's connections to dsn, through wrap when set.
func connect(driverName, dsn string, wrap func(driver.Connector) driver.Connector) (*sql.DB, error) {
	db, err := sql.Open(driverName, dsn)
	if err != nil || wrap == nil {
		return db, err
	}
	d := db.Driver()
	db.Close()
	var c driver.Connector = dsnConnector{dsn: dsn, driver: d}
	if dc, ok := d.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	}
	return sql.OpenDB(wrap(c)), nil
}

// dsnConnector is the connector of a driver that has no OpenConnector.
type dsnConnector struct {
	dsn    string
	driver driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.driver }

func openPostgres(dsn string, wrap func(driver.Connector) driver.Connector) (*Store, error) {
	db, err := connect("postgres", dsn, wrap)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	// Enough connections for a few dozen concurrent requests per replica, all kept
	// idle between bursts: opening a PostgreSQL connection costs more than a submit.
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	return &Store{db: db, wdb: db, dialect: dialectPostgres, dsn: dsn}, nil
}

// openSQLite opens path, which may carry extra driver parameters after a "?".
func openSQLite(path string, wrap func(driver.Connector) driver.Connector) (*Store, error) {
	file, extra, _ := strings.Cut(path, "?")
	if file == "" {
		return nil, errors.New("sqlstore: open: sqlite dsn needs a file path")
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	params := sqliteParams
	if extra != "" {
		if _, err := url.ParseQuery(extra); err != nil {
			return nil, fmt.Errorf("sqlstore: open: sqlite parameters: %w", err)
		}
		params += "&" + extra
	}
	// Ping connects the writer first, so that it creates the file and switches it to
	// WAL before a read-only connection opens it.
	wdb, err := connect("sqlite", file+"?"+params, wrap)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	db, err := connect("sqlite", file+"?"+params+"&_query_only=1", wrap)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return &Store{db: db, wdb: wdb, dialect: dialectSQLite}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.hot != nil {
		s.hot.close()
		s.hot = nil
	}
	s.mu.Unlock()
	err := s.db.Close()
	if s.wdb != s.db {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return wrap("ping", err)
	}
	if s.db != s.wdb {
		if err := s.db.PingContext(ctx); err != nil {
			return wrap("ping", err)
		}
	}
	return nil
}

// Dialect names the engine, "sqlite" or "postgres", for logs.
func (s *Store) Dialect() string { return s.dialect }

// Migrate applies every pending migration. On PostgreSQL it holds an advisory lock
// while it does, so that replicas starting together migrate once; the others wait
// and then find nothing to do.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrations(ctx)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return wrap("migrate", err)
	}
	return nil
}

// migrations returns the goose provider for the store's dialect, locked on PostgreSQL.
func (s *Store) migrations(ctx context.Context) (*goose.Provider, error) {
	dialect, fsys := goose.DialectSQLite3, migrations.SQLite()
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect == dialectPostgres {
		dialect, fsys = goose.DialectPostgres, migrations.Postgres()
		id, err := s.lockID(ctx)
		if err != nil {
			return nil, wrap("migrate", err)
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// The provider is not closed: Close would close our pool.
	p, err := goose.NewProvider(dialect, s.wdb, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return p, nil
}

// lockID derives the migration lock from the schema, so that replicas sharing a
// schema exclude each other while databases in other schemas (tests) do not wait.
func (s *Store) lockID(ctx context.Context) (int64, error) {
	var schema string
	if err := s.db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write([]byte(schema))
	return lock.DefaultLockID ^ int64(h.Sum64()>>1), nil
}

// Secret returns the installation secret that keys author and avatar hashes, creating
// a random one on first use. Replicas racing to create it all end up with the first.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("sqlstore: secret: %w", err)
	}
	const insert = `INSERT INTO settings (key, value) VALUES ('secret', $1) ON CONFLICT (key) DO NOTHING`
	if _, err := s.wdb.ExecContext(ctx, insert, hex.EncodeToString(b)); err != nil {
		return nil, wrap("secret", err)
	}
	var v string
	if err := s.wdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'secret'`).Scan(&v); err != nil {
		return nil, wrap("secret", err)
	}
	secret, err := hex.DecodeString(v)
	if err != nil || len(secret) == 0 {
		return nil, errors.New("sqlstore: secret: stored secret is not hex")
	}
	return secret, nil
}
