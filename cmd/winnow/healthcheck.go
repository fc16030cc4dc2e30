package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// healthcheck asks a running server whether it is alive (/healthz) or ready
// (/readyz) and succeeds only on a 200. A container built FROM scratch has no curl or
// wget, so its HEALTHCHECK runs the binary itself; the server is found where the
// configuration says it listens, as serve reads it.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newConfigFlags("healthcheck", getenv, stderr).withAddr("the server's listen address (env WINNOW_ADDR); an unspecified host (0.0.0.0, ::) is asked on loopback")
	target := f.fs.String("url", "", "the URL to ask instead, e.g. http://127.0.0.1:8080/healthz")
	ready := f.fs.Bool("ready", false, "ask /readyz (the database is reachable) instead of /healthz (the process answers)")
	timeout := f.fs.Duration("timeout", 5*time.Second, "give up after this long")
	cfg, err := f.load(args, getenv)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return errors.New("healthcheck: --timeout must be positive")
	}
	u := *target
	if u == "" {
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		host, err := dialableAddr(cfg.Addr)
		if err != nil {
			return err
		}
		u = "http://" + host + path
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", u, resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s\n", body)
	return nil
}

// dialableAddr turns a listen address into one a client can connect to: a server
// listening on every interface (":8080", "0.0.0.0:8080", "[::]:8080") is reached on
// loopback.
func dialableAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("healthcheck: addr %q: %w", listen, err)
	}
	switch a, err := netip.ParseAddr(host); {
	case host == "":
		host = "127.0.0.1"
	case err == nil && a.IsUnspecified() && a.Is4():
		host = "127.0.0.1"
	case err == nil && a.IsUnspecified():
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}
