package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/winnow/winnow/internal/config"
)

// deployFiles are the packaging files an operator copies; they must name settings and
// commands that exist.
var deployFiles = []string{"Dockerfile", "deploy/Dockerfile.prebuilt", "compose.yaml", "deploy/winnow.service",
	"deploy/winnow-backup.service", "deploy/winnow-cli", "deploy/Caddyfile", "deploy/nginx.conf"}

// TestDeployFilesNameRealSettings: every WINNOW_* variable in the packaging files is one
// the configuration reads (a misspelt one would be ignored without a word), and every
// winnow command they run exists and accepts its flags.
func TestDeployFilesNameRealSettings(t *testing.T) {
	known := map[string]bool{"WINNOW_CONFIG": true} // read by the commands, not config.Load
	if _, err := config.Load("", func(k string) string { known[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	variable := regexp.MustCompile(`WINNOW_[A-Z0-9_]+`)
	// `winnow ARGS` or `/winnow ARGS` as a command line or a JSON list.
	command := regexp.MustCompile(`(?:/winnow|\bwinnow)"?(?:,\s*"|\s+)(serve|migrate|backup|healthcheck|version|site|token|user|webhook|spam)\b([^\]\n']*)`)
	for _, name := range deployFiles {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variable.FindAllString(string(b), -1) {
			if !known[v] {
				t.Errorf("%s: %s is no setting winnow reads", name, v)
			}
		}
		for _, m := range command.FindAllStringSubmatch(string(b), -1) {
			args := append([]string{m[1]}, commandArgs(m[2])...)
			if m[1] == "site" || m[1] == "token" || m[1] == "user" || m[1] == "webhook" || m[1] == "spam" || strings.Contains(m[2], "$") {
				continue // examples with placeholders; --help covers these commands
			}
			// --help parses every flag before it and runs nothing.
			var out, errb bytes.Buffer
			if err := run(t.Context(), append(args, "--help"), func(string) string { return "" }, &out, &errb); err != nil {
				t.Errorf("%s: winnow %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
			}
		}
	}
}

// commandArgs splits what follows a command in a file: shell words or a JSON list's
// strings, up to a comment, a redirection or the end of a command quoted in prose.
func commandArgs(rest string) []string {
	var args []string
	for _, f := range strings.Fields(strings.NewReplacer(`"`, " ", ",", " ").Replace(rest)) {
		if strings.HasPrefix(f, "#") || strings.HasPrefix(f, ">") || strings.Contains(f, "`") || f == "&&" || f == "|" || f == "\\" {
			break
		}
		args = append(args, f)
	}
	return args
}

// TestComposeFile: compose.yaml parses, runs winnow on PostgreSQL and Redis after they
// are healthy, and checks winnow's readiness with the binary itself.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
			Environment map[string]string                     `yaml:"environment"`
			Healthcheck struct{ Test []string }               `yaml:"healthcheck"`
		} `yaml:"services"`
		Networks map[string]struct {
			IPAM struct {
				Config []struct{ Subnet, Gateway string }
			} `yaml:"ipam"`
		} `yaml:"networks"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	w, ok := f.Services["winnow"]
	if !ok || f.Services["postgres"].Healthcheck.Test == nil || f.Services["redis"].Healthcheck.Test == nil {
		t.Fatalf("services: %+v", f.Services)
	}
	for _, dep := range []string{"postgres", "redis"} {
		if w.DependsOn[dep].Condition != "service_healthy" {
			t.Errorf("winnow does not wait for %s to be healthy", dep)
		}
	}
	if !strings.HasPrefix(w.Environment["WINNOW_DATABASE_URL"], "postgres://") || !strings.HasPrefix(w.Environment["WINNOW_REDIS_URL"], "redis://") {
		t.Errorf("winnow's environment: %v", w.Environment)
	}
	if got := strings.Join(w.Healthcheck.Test, " "); got != "CMD /winnow healthcheck --ready" {
		t.Errorf("winnow's health check: %q", got)
	}
	// The trusted proxy is the network's gateway, where a proxy on the host comes from.
	if gw := f.Networks["default"].IPAM.Config; len(gw) != 1 || w.Environment["WINNOW_TRUSTED_PROXIES"] != gw[0].Gateway {
		t.Errorf("trusted proxies %q, network %+v", w.Environment["WINNOW_TRUSTED_PROXIES"], gw)
	}
}
