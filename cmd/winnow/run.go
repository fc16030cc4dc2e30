package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/sqlstore"
)

const usage = `winnow: a self-hosted comment service

Usage:
  winnow serve   [--config FILE] [--addr HOST:PORT] [--data DIR] [--demo]
  winnow migrate [--config FILE]
  winnow site create --id ID --name NAME [--origin URL]... [--policy all|first_time|none] [--max-links N] [--blocked-word W]...
                     [--spam-seed fold|hold]
  winnow site list
  winnow site akismet-key --site ID [--revoke]                        (issues a new key, printed once)
  winnow token create --name NAME [--role admin|moderator] [--site ID]...
  winnow token list
  winnow token revoke --id N
  winnow user add --email E [--role admin|moderator] [--site ID]...   (password: one line on stdin, or generated and printed)
  winnow user list
  winnow user passwd --email E                                        (password as for user add)
  winnow webhook add --site ID --url URL [--event TYPE]... [--description TEXT]
  winnow webhook list [--site ID]
  winnow webhook remove --id N
  winnow spam eval --train FILES --test FILES [--json]
  winnow spam eval --folds K FILES [--seed N] [--json]
  winnow spam train [--site ID] FILES
  winnow spam reset --site ID | --shared
  winnow import --site ID --format wxr|disqus|remark42|commento|winnow [--thread-key path|url|id] [--strict] [--learn] [--json] FILE|-
  winnow export --site ID [--format winnow|wxr] [--without-private] [--output FILE]

Every command reads the same configuration: defaults, then --config FILE (or
WINNOW_CONFIG), then WINNOW_* environment variables, then flags.
`

// run is the whole program: it parses args, wires the parts and runs a command until
// it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && (cmd == "site" || cmd == "token" || cmd == "user" || cmd == "spam" || cmd == "webhook") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stderr)
	case "site create":
		return siteCreate(ctx, rest, getenv, stdout, stderr)
	case "site list":
		return siteList(ctx, rest, getenv, stdout, stderr)
	case "site akismet-key":
		return siteAkismetKey(ctx, rest, getenv, stdout, stderr)
	case "token create":
		return tokenCreate(ctx, rest, getenv, stdout, stderr)
	case "token list":
		return tokenList(ctx, rest, getenv, stdout, stderr)
	case "token revoke":
		return tokenRevoke(ctx, rest, getenv, stderr)
	case "user add":
		return userAdd(ctx, rest, getenv, stdout, stderr)
	case "user list":
		return userList(ctx, rest, getenv, stdout, stderr)
	case "user passwd":
		return userPasswd(ctx, rest, getenv, stdout, stderr)
	case "webhook add":
		return webhookAdd(ctx, rest, getenv, stdout, stderr)
	case "webhook list":
		return webhookList(ctx, rest, getenv, stdout, stderr)
	case "webhook remove":
		return webhookRemove(ctx, rest, getenv, stderr)
	case "spam eval":
		return spamEval(rest, stdout, stderr)
	case "spam train":
		return spamTrain(ctx, rest, getenv, stdout, stderr)
	case "spam reset":
		return spamReset(ctx, rest, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, rest, getenv, stdout, stderr)
	case "export":
		return exportCmd(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", strings.Join(args[:min(2, len(args))], " "))
}

// commonFlags are the flags every command takes, so the CLI and the server always see
// the same database.
type commonFlags struct {
	fs     *flag.FlagSet
	config string
	addr   string
	data   string
}

func newFlags(name string, getenv func(string) string, stderr io.Writer) *commonFlags {
	c := &commonFlags{fs: flag.NewFlagSet("winnow "+name, flag.ContinueOnError)}
	c.fs.SetOutput(stderr)
	c.fs.StringVar(&c.config, "config", getenv("WINNOW_CONFIG"), "YAML configuration file (env WINNOW_CONFIG)")
	c.fs.StringVar(&c.addr, "addr", "", "listen address, e.g. 127.0.0.1:8080 (env WINNOW_ADDR)")
	c.fs.StringVar(&c.data, "data", "", "data directory for the embedded SQLite database (env WINNOW_DATA_DIR)")
	return c
}

// load parses args and builds the configuration: defaults < file < env < flags.
// Positional arguments are an error unless the command takes them (allowArgs).
func (c *commonFlags) load(args []string, getenv func(string) string, allowArgs ...bool) (config.Config, error) {
	if err := c.fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	if c.fs.NArg() > 0 && len(allowArgs) == 0 {
		return config.Config{}, fmt.Errorf("unexpected argument %q", c.fs.Arg(0))
	}
	cfg, err := config.Load(c.config, getenv)
	if err != nil {
		return config.Config{}, err
	}
	if c.addr != "" {
		cfg.Addr = c.addr
	}
	if c.data != "" {
		cfg.DataDir = c.data
	}
	return cfg, cfg.Validate()
}

// openStore opens the configured database and brings its schema up to date, so every
// command works on a fresh data directory.
func openStore(ctx context.Context, cfg config.Config) (*sqlstore.Store, error) {
	st, err := sqlstore.Open(ctx, cfg.DSN())
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
