package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The site every run sets up: policy none (publish unless a rule or the score says
// otherwise) and every rate limit at its maximum, so that the load is measured, not
// refused.
const (
	siteID     = "load"
	siteOrigin = "https://load.example"
)

// unlimited is the largest rate a site accepts (site.Rate's bounds).
const unlimited = `{"count": 1000000, "period": "1s", "burst": 1000000}`

// buildBinary builds the winnow binary from the repository, as `make build` does.
func buildBinary(ctx context.Context, repo, out string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/winnow")
	cmd.Dir = repo
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/winnow: %w", err)
	}
	return nil
}

// server is one winnow process, started from the binary with its configuration in the
// environment, as an operator would run it.
type server struct {
	bin, dir string
	env      []string
	cmd      *exec.Cmd
	done     chan error
	logPath  string
	Base     string // http://127.0.0.1:PORT
	Token    string // an admin API token made with `winnow token create`
}

// newServer prepares winnow's configuration for engine: its own data directory, its
// own PostgreSQL database, Redis for the limits when asked for, 127.0.0.1 as the only
// trusted proxy (the load sends each author's address in X-Forwarded-For), and a
// random loopback port. WINNOW_* variables of the caller's environment are not passed on.
func newServer(ctx context.Context, bin, dir, engine string, svc *services, redis bool) (*server, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	s := &server{bin: bin, dir: dir, logPath: filepath.Join(dir, "winnow.log")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WINNOW_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env,
		"WINNOW_ADDR=127.0.0.1:0",
		"WINNOW_DATA_DIR="+filepath.Join(dir, "data"),
		"WINNOW_TRUSTED_PROXIES=127.0.0.1",
		"WINNOW_LOG_FORMAT=json",
		"WINNOW_LOG_LEVEL=info",
	)
	if engine == "postgres" {
		if err := svc.createDatabase(ctx, "winnow"); err != nil {
			return nil, err
		}
		s.env = append(s.env, "WINNOW_DATABASE_URL="+svc.databaseURL("winnow"))
		if redis {
			s.env = append(s.env, "WINNOW_REDIS_URL="+svc.RedisURL)
		}
	}
	return s, nil
}

// getenv reads the server's configuration environment, for config.Load.
func (s *server) getenv(key string) string {
	for i := len(s.env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(s.env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// cli runs a winnow subcommand on the server's database and returns its stdout.
func (s *server) cli(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("winnow %s: %w: %s", strings.Join(args[:min(2, len(args))], " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// setUp creates the site and an admin token with the CLI, before the server starts.
func (s *server) setUp(ctx context.Context) error {
	if _, err := s.cli(ctx, "site", "create", "--id", siteID, "--name", "Load", "--origin", siteOrigin, "--policy", "none"); err != nil {
		return err
	}
	out, err := s.cli(ctx, "token", "create", "--name", "load")
	if err != nil {
		return err
	}
	s.Token = strings.TrimSpace(out)
	if s.Token == "" {
		return errors.New("winnow token create printed no token")
	}
	return nil
}

// start runs `winnow serve` and waits for its "listening" log line, which names the
// port it took.
func (s *server) start(ctx context.Context) error {
	logf, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("winnow serve: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if addr := listeningAddr(s.logPath); addr != "" {
			s.Base = "http://" + addr
			if err := requireLoopback(s.Base); err != nil {
				s.stop()
				return err
			}
			return nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("winnow serve exited: %v; log: %s", err, s.logPath)
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.stop()
	return fmt.Errorf("winnow serve did not listen within a minute; log: %s", s.logPath)
}

// listeningAddr finds the address in the server's JSON "listening" log line.
func listeningAddr(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Addr != "" {
			return line.Addr
		}
	}
	return ""
}

// stop ends the server with SIGTERM (a graceful stop), or SIGKILL after 30 s.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// memory reads the server's resident set size and its peak, in bytes, from /proc.
func (s *server) memory() (rss, peak int64) {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	return procStatusKB(b, "VmRSS") * 1024, procStatusKB(b, "VmHWM") * 1024
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on Linux.
const userHZ = 100

// cpuTime is the CPU time the server has used so far, user and system, all threads
// (from /proc/PID/stat); 0 when it cannot be read.
func (s *server) cpuTime() time.Duration {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	return procStatCPU(b)
}

// procStatCPU reads utime and stime, fields 14 and 15 of /proc/PID/stat, counted
// after the command name, which is in parentheses and may hold spaces.
func procStatCPU(stat []byte) time.Duration {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / userHZ
}

// procStatusKB reads a "Name:   123 kB" line of /proc/PID/status.
func procStatusKB(status []byte, name string) int64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// raiseLimits sets every rate limit of the site to its maximum through the admin API.
func (s *server) raiseLimits(ctx context.Context, client *http.Client) error {
	body := fmt.Sprintf(`{"rate_limits": {"ip": %s, "email": %s, "thread": %s, "site": %s}}`, unlimited, unlimited, unlimited, unlimited)
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, s.Base+"/api/v1/admin/sites/"+siteID, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("raise rate limits: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("raise rate limits: %s: %s", resp.Status, out)
	}
	return nil
}
