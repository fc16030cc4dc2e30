package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the winnow command built once for the tests that need real processes.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// stampedDate is the build date buildBinary stamps, as make dist does.
const stampedDate = "2026-12-03T10:00:00Z"

// buildBinary builds the winnow command once, as a release build is made.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "winnow-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "winnow")
		out, err := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", "-X main.buildDate="+stampedDate, "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// startProcess runs `winnow serve` as a separate OS process with env and returns it
// as an instance once it listens. The process is killed at the end of the test.
func startProcess(t *testing.T, env map[string]string) (*instance, *exec.Cmd) {
	t.Helper()
	env["WINNOW_ADDR"] = "127.0.0.1:0"
	cmd := exec.Command(buildBinary(t), "serve")
	cmd.Env = append(os.Environ(), "WINNOW_CONFIG=")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := &syncBuffer{}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			buf.Write([]byte(sc.Text() + "\n"))
			select {
			case lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-lines:
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				in := &instance{t: t, url: "http://" + m[1], env: env, stderr: buf, client: &http.Client{Timeout: 30 * time.Second},
					stop: func() error { return cmd.Process.Signal(os.Interrupt) }}
				if tm := tokenRe.FindStringSubmatch(buf.String()); tm != nil {
					in.token = tm[1]
				}
				return in, cmd
			}
		case <-deadline:
			t.Fatalf("winnow process did not start:\n%s", buf.String())
		}
	}
}

// firstToken is the admin token printed by whichever process created it first.
func firstToken(t *testing.T, ins ...*instance) string {
	for _, in := range ins {
		if in.token != "" {
			return in.token
		}
	}
	t.Fatal("no process printed an admin token")
	return ""
}

func TestUnreachableRedisDegradesToLocalLimits(t *testing.T) {
	in := start(t, map[string]string{"WINNOW_DATA_DIR": t.TempDir(), "WINNOW_REDIS_URL": "redis://127.0.0.1:1/0"})
	in.createSite("blog", map[string]any{"rate_limits": map[string]any{"ip": map[string]any{"count": 1, "period": "1h", "burst": 2}}})
	in.submit("blog", submission("/p", nil), nil).must(t, http.StatusAccepted)
	in.submit("blog", submission("/p", map[string]any{"author_email": "x@example.org"}), nil).must(t, http.StatusAccepted)
	in.submit("blog", submission("/p", map[string]any{"author_email": "y@example.org"}), nil).must(t, http.StatusTooManyRequests)
	ready := in.do(req{method: "GET", path: "/readyz"}).must(t, http.StatusOK).json(t)
	if ready["status"] != "degraded" {
		t.Errorf("readyz = %v", ready)
	}
	m := string(in.do(req{method: "GET", path: "/metrics"}).must(t, http.StatusOK).body)
	for _, want := range []string{"winnow_ratelimit_degraded 1", "winnow_ratelimit_redis_outages_total 1", `winnow_submissions_total{outcome="rate_limited"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
