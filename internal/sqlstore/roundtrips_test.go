package sqlstore_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/intake"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/sanitize"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestSubmitReadsOnceAndWritesOnce pins the database work of a submission through the
// real intake service: one read (the author/address record, which also finds the
// Idempotency-Key and a reply's parent), and one write: on PostgreSQL one statement outside any
// transaction, on SQLite one transaction and no statement outside it. Statements are
// counted by a driver wrapper under database/sql, so a statement the store prepares,
// runs on a pool or in a transaction is seen alike.
func TestSubmitReadsOnceAndWritesOnce(t *testing.T) {
	for _, engine := range sqlstoretest.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			ctx := context.Background()
			n := &statements{}
			s, err := sqlstore.OpenWrapped(ctx, engine.DSN(t), func(c driver.Connector) driver.Connector {
				return countingConnector{c, n}
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			secret, err := s.Secret(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, policy := range []site.Policy{site.PolicyNone, site.PolicyAll} {
				st := site.NewSite("blog-"+string(policy), "Blog")
				st.Policy = policy
				if err := s.CreateSite(ctx, st); err != nil {
					t.Fatal(err)
				}
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				limiter := ratelimit.NewLocal(time.Now)
				counters := intake.Counters{Limits: limiter, Nonces: ratelimit.NewNonces(limiter), Distinct: ratelimit.NewDistinct(limiter)}
				svc := intake.NewService(s, counters, sanitize.New(),
					spam.NewModelScorer(spam.NewModel(s, log)), secret, comment.DefaultIPv6Prefix, "http://127.0.0.1", time.Now)
				i := 0
				submit := func(key string, parent int64) (intake.Result, counts) {
					t.Helper()
					i++
					sub := comment.Submission{Thread: "/post", ParentID: parent, AuthorName: fmt.Sprintf("Reader %d", i),
						AuthorEmail: fmt.Sprintf("reader%d@example.org", i), Body: fmt.Sprintf("Note %d: the second *diagram* helped.", i)}
					n.start()
					res, err := svc.Submit(ctx, st, sub, intake.Meta{IP: "203.0.113.7", UserAgent: "UA", IdempotencyKey: key})
					got := n.stop()
					if err != nil {
						t.Fatalf("submit: %v", err)
					}
					return res, got
				}
				first, _ := submit("", 0) // prepares the statements
				parent := int64(0)
				if first.Comment.Status == comment.StatusApproved {
					parent = first.Comment.ID // a reply reads its parent in the same read
				} else if policy == site.PolicyNone {
					t.Fatalf("the first comment was %s, not published", first.Comment.Status)
				}
				for _, key := range []string{"", "key-1"} {
					res, got := submit(key, parent)
					if res.Replayed || res.Comment.ID == 0 {
						t.Fatalf("%s, key %q: %+v", policy, key, res)
					}
					if got.reads > 1 {
						t.Errorf("%s, key %q: %d reads, want at most 1\n%s", policy, key, got.reads, got.log)
					}
					switch engine.Name {
					case "postgres":
						if got.writes != 1 || got.begins != 0 {
							t.Errorf("%s, key %q: %d write statements in %d transactions, want 1 statement and no transaction\n%s",
								policy, key, got.writes, got.begins, got.log)
						}
					case "sqlite":
						if got.begins != 1 || got.commits != 1 || got.outside != 0 {
							t.Errorf("%s, key %q: %d transactions (%d commits), %d writes outside one; want 1 transaction\n%s",
								policy, key, got.begins, got.commits, got.outside, got.log)
						}
					}
				}
			}
		})
	}
}

// counts is what a statements counter saw: reads are SELECTs outside a transaction,
// writes every other statement, outside the ones outside a transaction.
type counts struct {
	reads, writes, outside  int
	begins, commits, aborts int
	log                     string
}

// statements counts the statements run through countingConnector while it is on.
type statements struct {
	mu  sync.Mutex
	on  bool
	n   counts
	log []string
}

func (s *statements) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on, s.n, s.log = true, counts{}, nil
}

func (s *statements) stop() counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = false
	s.n.log = strings.Join(s.log, "\n")
	return s.n
}

func (s *statements) count(what, query string, inTx bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on {
		return
	}
	q := strings.ToUpper(strings.TrimSpace(query))
	switch what {
	case "begin":
		s.n.begins++
	case "commit":
		s.n.commits++
	case "rollback":
		s.n.aborts++
	default:
		if strings.HasPrefix(q, "SELECT") && !inTx {
			s.n.reads++
		} else {
			s.n.writes++
			if !inTx {
				s.n.outside++
			}
		}
	}
	if len(q) > 60 {
		q = q[:60]
	}
	s.log = append(s.log, fmt.Sprintf("%s (in tx %v) %s", what, inTx, q))
}

// countingConnector makes connections that report their statements to n.
type countingConnector struct {
	driver.Connector
	n *statements
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: c.n}, nil
}

// countingConn passes everything to the driver's connection, counting statements and
// transactions; an optional interface the driver lacks answers driver.ErrSkip (or
// nothing), so database/sql takes the path it would take without the wrapper.
type countingConn struct {
	driver.Conn
	n    *statements
	inTx bool
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var (
		st  driver.Stmt
		err error
	)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, conn: c, query: query}, nil
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var (
		tx  driver.Tx
		err error
	)
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.Conn.Begin() //nolint:staticcheck // the fallback database/sql takes too
	}
	if err != nil {
		return nil, err
	}
	c.n.count("begin", "", false)
	c.inTx = true
	return countingTx{Tx: tx, conn: c}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := e.ExecContext(ctx, query, args)
	if err != driver.ErrSkip {
		c.n.count("exec", query, c.inTx)
	}
	return r, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := q.QueryContext(ctx, query, args)
	if err != driver.ErrSkip {
		c.n.count("query", query, c.inTx)
	}
	return r, err
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type countingTx struct {
	driver.Tx
	conn *countingConn
}

func (t countingTx) Commit() error {
	t.conn.inTx = false
	t.conn.n.count("commit", "", false)
	return t.Tx.Commit()
}

func (t countingTx) Rollback() error {
	t.conn.inTx = false
	t.conn.n.count("rollback", "", false)
	return t.Tx.Rollback()
}

type countingStmt struct {
	driver.Stmt
	conn  *countingConn
	query string
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.conn.n.count("exec", s.query, s.conn.inTx)
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return nil, fmt.Errorf("countingStmt: driver statement without ExecContext")
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.conn.n.count("query", s.query, s.conn.inTx)
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	return nil, fmt.Errorf("countingStmt: driver statement without QueryContext")
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return s.conn.CheckNamedValue(nv)
}
