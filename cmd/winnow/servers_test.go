package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow/winnow/internal/sqlstore/sqlstoretest"
)

// ownServers are a PostgreSQL or Redis server (or both) of one test's own, started with
// .ci/services, so that the test can take them down and up again under a running
// winnow without disturbing the servers the rest of the suite shares.
type ownServers struct {
	t           *testing.T
	dir         string
	postgresURL string // the server's postgres database, when started
	redisURL    string
}

// servicesScript is .ci/services, seen from this package's directory (go test runs a
// package's tests there).
const servicesScript = "../../.ci/services"

// startOwnServers starts "postgres", "redis" or, with no name, both; they are stopped
// and their data removed when the test ends. Without the server binaries the test
// skips on a developer's machine and fails in CI.
func startOwnServers(t *testing.T, only ...string) *ownServers {
	t.Helper()
	if len(only) > 1 {
		t.Fatal("startOwnServers: name one server or none")
	}
	want := func(name string) bool { return len(only) == 0 || only[0] == name }
	var missing []string
	if want("postgres") && !havePostgresServer() {
		missing = append(missing, "initdb and pg_ctl (Debian package postgresql)")
	}
	if want("redis") {
		for _, bin := range []string{"redis-server", "redis-cli"} {
			if _, err := exec.LookPath(bin); err != nil {
				missing = append(missing, bin+" (Debian package redis-server)")
			}
		}
	}
	if len(missing) > 0 {
		if sqlstoretest.Required() {
			t.Fatalf("this test starts its own servers and needs %s", strings.Join(missing, ", "))
		}
		t.Skipf("needs %s", strings.Join(missing, ", "))
	}
	dir, err := os.MkdirTemp("", "winnow-fault-")
	if err != nil {
		t.Fatal(err)
	}
	s := &ownServers{t: t, dir: dir}
	t.Cleanup(func() {
		if out, err := exec.Command("bash", servicesScript, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf(".ci/services stop: %v\n%s", err, out)
		}
	})
	cmd := exec.Command("bash", append([]string{servicesScript, "start", dir}, only...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf(".ci/services start: %v\n%s", err, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export WINNOW_TEST_POSTGRES_URL="); ok {
			s.postgresURL = strings.Trim(v, `'"`)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "export WINNOW_TEST_REDIS_URL="); ok {
			s.redisURL = strings.Trim(v, `'"`)
		}
	}
	if (want("postgres") && s.postgresURL == "") || (want("redis") && s.redisURL == "") {
		t.Fatalf(".ci/services start printed no URL: %q", out)
	}
	if s.postgresURL != "" {
		s.durableCommits()
	}
	return s
}

// durableCommits turns synchronous_commit back on: .ci/services turns it off for
// speed, and then a commit PostgreSQL acknowledged can be lost when the server stops in
// immediate mode, which no application can help. (fsync may stay off: the operating
// system, which keeps what was written, does not crash in these tests.)
func (s *ownServers) durableCommits() {
	s.t.Helper()
	db, err := sql.Open("postgres", s.postgresURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"ALTER SYSTEM SET synchronous_commit = on", "SELECT pg_reload_conf()"} {
		if _, err := db.Exec(q); err != nil {
			s.t.Fatalf("%s: %v", q, err)
		}
	}
	var v string
	for range 100 { // the server rereads its configuration in the background
		if err := db.QueryRow("SHOW synchronous_commit").Scan(&v); err == nil && v == "on" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("synchronous_commit = %q, want on", v)
}

// havePostgresServer reports whether the PostgreSQL server tools .ci/services uses
// can be found: under /usr/lib/postgresql/*/bin (Debian), on PATH, or in PG_BINDIR.
func havePostgresServer() bool {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		_, err := os.Stat(filepath.Join(d, "pg_ctl"))
		return err == nil
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(m) > 0 {
		return true
	}
	_, err := exec.LookPath("pg_ctl")
	return err == nil
}

// down stops one server ("postgres" or "redis") and keeps its data and port;
// PostgreSQL stops in immediate mode, as in a crash.
func (s *ownServers) down(name string) { s.t.Helper(); s.services("down", name) }

// up starts the server again on the same port with the same data.
func (s *ownServers) up(name string) { s.t.Helper(); s.services("up", name) }

func (s *ownServers) services(verb, name string) {
	s.t.Helper()
	if out, err := exec.Command("bash", servicesScript, verb, s.dir, name).CombinedOutput(); err != nil {
		s.t.Fatalf(".ci/services %s %s: %v\n%s", verb, name, err, out)
	}
}
