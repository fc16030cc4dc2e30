package sqlstore_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// TestBothDialectsMigrateToTheSameColumns applies every migration on SQLite and on
// PostgreSQL and compares what they built: the same tables with the same columns,
// so a change written twice (migrations/README.md) cannot forget a column on one
// engine. Types are not compared: the dialects spell them differently on purpose.
func TestBothDialectsMigrateToTheSameColumns(t *testing.T) {
	ctx := context.Background()
	lite := columns(ctx, t, sqlstoretest.Open(t, sqlstoretest.SQLiteDSN(t)), `
		SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	pg := columns(ctx, t, sqlstoretest.Open(t, sqlstoretest.PostgresDSN(t)), `
		SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if len(lite) < 10 || len(pg) < 10 {
		t.Fatalf("read %d tables on SQLite and %d on PostgreSQL; the queries are wrong", len(lite), len(pg))
	}
	for _, table := range slices.Sorted(maps.Keys(lite)) {
		if _, ok := pg[table]; !ok {
			t.Errorf("table %s exists on SQLite only", table)
			continue
		}
		if !slices.Equal(lite[table], pg[table]) {
			t.Errorf("table %s has different columns:\nsqlite:   %s\npostgres: %s",
				table, strings.Join(lite[table], ", "), strings.Join(pg[table], ", "))
		}
	}
	for table := range pg {
		if _, ok := lite[table]; !ok {
			t.Errorf("table %s exists on PostgreSQL only", table)
		}
	}
}

// columns reads (table, column) pairs into sorted column lists per table, leaving
// out goose's own bookkeeping table.
func columns(ctx context.Context, t *testing.T, s *sqlstore.Store, query string) map[string][]string {
	t.Helper()
	rows, err := sqlstore.ReadDB(s).QueryContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		if table != "goose_db_version" {
			out[table] = append(out[table], column)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cols := range out {
		slices.Sort(cols)
	}
	return out
}
