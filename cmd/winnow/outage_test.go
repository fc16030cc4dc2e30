package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// ownPostgres is a PostgreSQL server of the test's own (started with .ci/services), so
// the test can stop and restart it under a running winnow.
type ownPostgres struct {
	t      *testing.T
	dir    string
	dsn    string
	port   string
	pgCtl  string
	asRoot bool
}

func startOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	ctls, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Strings(ctls)
	if len(ctls) == 0 {
		if requireServers() {
			t.Fatal("PostgreSQL server binaries are required: apt-get install postgresql")
		}
		t.Skip("no PostgreSQL server binaries")
	}
	dir, err := os.MkdirTemp("", "winnow-outage-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "../../.ci/services", "start", dir).Output()
	if err != nil {
		t.Fatalf(".ci/services start: %v\n%s", err, out)
	}
	p := &ownPostgres{t: t, dir: dir, pgCtl: ctls[len(ctls)-1], asRoot: os.Geteuid() == 0}
	t.Cleanup(func() { exec.Command("bash", "../../.ci/services", "stop", dir).Run() })
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export WINNOW_TEST_POSTGRES_URL="); ok {
			p.dsn = strings.Trim(v, `'"`)
		}
	}
	u, err := url.Parse(p.dsn)
	if err != nil || p.dsn == "" {
		t.Fatalf("no PostgreSQL URL in %q", out)
	}
	p.port = u.Port()
	return p
}

// ctl runs pg_ctl on the server, as the postgres user when the test runs as root.
func (p *ownPostgres) ctl(args ...string) {
	p.t.Helper()
	args = append(args, "-D", filepath.Join(p.dir, "pg"), "-w", "-t", "60")
	cmd := exec.Command(p.pgCtl, args...)
	if p.asRoot {
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			runuser = "/usr/sbin/runuser"
		}
		cmd = exec.Command(runuser, append([]string{"-u", "postgres", "--", p.pgCtl}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("pg_ctl %s: %v\n%s", args[0], err, out)
	}
}

func (p *ownPostgres) stop() { p.ctl("stop", "-m", "fast") }
func (p *ownPostgres) start() {
	p.ctl("start", "-l", filepath.Join(p.dir, "postgres.log"), "-o", "-p "+p.port)
}

// TestPostgresOutageGives503sAndRecoversWithoutARestart stops the database under a
// running winnow: submissions and reads get 503 with a JSON error and Retry-After,
// /readyz says so, nothing is half-written, and when the database is back winnow
// serves again by itself.
func TestPostgresOutageGives503sAndRecoversWithoutARestart(t *testing.T) {
	pg := startOwnPostgres(t)
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_DATABASE_URL": pg.dsn})
	in.createSite("blog", map[string]any{"policy": "none"})
	in.submit("blog", submission("/p", map[string]any{"body": "before the outage"}), nil).must(t, http.StatusCreated)

	pg.stop()
	for i := range 3 {
		res := in.submit("blog", submission("/p", map[string]any{"body": fmt.Sprintf("during the outage %d", i)}), nil)
		res.must(t, http.StatusServiceUnavailable)
		if e := res.json(t)["error"].(map[string]any); e["code"] != "unavailable" || res.header.Get("Retry-After") == "" {
			t.Errorf("outage answer: %v %s", res.header, res.body)
		}
	}
	in.do(req{method: "GET", path: "/readyz"}).must(t, http.StatusServiceUnavailable)

	pg.start()
	eventually(t, "winnow to serve again", func() bool {
		return in.do(req{method: "GET", path: "/readyz"}).status == http.StatusOK
	})
	in.submit("blog", submission("/p", map[string]any{"body": "after the outage"}), nil).must(t, http.StatusCreated)
	q := in.do(req{method: "GET", path: "/api/v1/admin/comments?status=all", token: in.token}).must(t, http.StatusOK).json(t)
	if n := len(list(q, "comments")); n != 2 {
		t.Errorf("%d comments stored, want the 2 acknowledged ones", n)
	}
}
