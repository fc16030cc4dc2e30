package main

import (
	"context"
	"errors"
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
  winnow migrate [--config FILE] [--data DIR]
  winnow backup --to FILE                                             (SQLite: an online copy; PostgreSQL: use pg_dump)
  winnow healthcheck [--url URL] [--ready] [--timeout D]              (exit 0 when the server answers 200)
  winnow version
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
  winnow commenter export --email E [--site ID]... [--out FILE]           (everything stored about one commenter, JSON)
  winnow commenter erase --email E [--site ID]... [--export FILE]         (erase it, optionally exporting it first)

Every command reads the same configuration: defaults, then --config FILE (or
WINNOW_CONFIG), then WINNOW_* environment variables, then flags.
"winnow COMMAND --help" lists that command's own flags.
`

// run is the whole program: it parses args, wires the parts and runs a command until
// it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	if cmd == "--version" || cmd == "-version" {
		cmd = "version"
	}
	if len(rest) > 0 && (cmd == "site" || cmd == "token" || cmd == "user" || cmd == "spam" || cmd == "webhook" || cmd == "commenter") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	if _, known := summaries[cmd]; known && askedForHelp(rest) {
		// Asked for, help is the answer: on stdout, and a success. The command's flag set
		// prints it when it parses the flag.
		err := runCommand(ctx, cmd, rest, getenv, stdout, stdout)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	return runCommand(ctx, cmd, rest, getenv, stdout, stderr)
}

// runCommand runs one command, named as summaries names it.
func runCommand(ctx context.Context, cmd string, rest []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stderr)
	case "backup":
		return backup(ctx, rest, getenv, stderr)
	case "healthcheck":
		return healthcheck(ctx, rest, getenv, stdout, stderr)
	case "version":
		return version(rest, stdout, stderr)
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
	case "commenter export":
		return commenterCmd(ctx, "export", rest, getenv, stdout, stderr)
	case "commenter erase":
		return commenterCmd(ctx, "erase", rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// summaries says in a line what each command does; its --help starts with it.
var summaries = map[string]string{
	"serve":            "Serve the API, the widget, the pages without JavaScript and the dashboard.",
	"migrate":          "Bring the database schema up to date (serve does it at start too).",
	"backup":           "Copy the SQLite database to a new file while the server may be running (on PostgreSQL, use pg_dump).",
	"healthcheck":      "Ask the running server whether it is alive (/healthz) or ready (/readyz); exit 0 on 200. For container health checks.",
	"version":          "Print the version, the commit and the build date.",
	"site create":      "Create a site.",
	"site list":        "List the sites.",
	"site akismet-key": "Issue (and print once) a site's key for the Akismet-compatible API, or revoke it.",
	"token create":     "Create an API token and print it alone on stdout.",
	"token list":       "List the API tokens.",
	"token revoke":     "Revoke an API token.",
	"user add":         "Add a moderator account (password: one line on stdin, or generated and printed).",
	"user list":        "List the moderator accounts.",
	"user passwd":      "Set an account's password (as for user add) and end its sessions.",
	"webhook add":      "Register a webhook endpoint and print its secret alone on stdout.",
	"webhook list":     "List the webhook endpoints.",
	"webhook remove":   "Remove a webhook endpoint.",
	"spam eval":        "Measure the spam scorer on labeled files.",
	"spam train":       "Teach the shared (or a site's) spam model from labeled files.",
	"spam reset":       "Drop what a site's or the shared spam model learned.",
	"import":           "Import comments from another system's export (WordPress, Disqus, remark42, Commento, winnow).",
	"export":           "Export a site's threads and comments.",
	"commenter export": "Export everything one commenter wrote, found by their email (GDPR art. 15).",
	"commenter erase":  "Erase everything one commenter wrote, found by their email (GDPR art. 17).",
}

// askedForHelp reports whether args ask for help before any "--".
func askedForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// newFlagSet is a command's flag set: errors and help go to out, and help lists the
// command's summary before its flags.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("winnow "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: winnow %s [flags]\n\n%s\n", name, summaries[name])
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// commonFlags are the flags every command that reads the configuration takes, so the
// CLI and the server always see the same database.
type commonFlags struct {
	fs     *flag.FlagSet
	config string
	addr   string
	data   string
}

// newFlags is the flag set of a command that works on the database: --config and
// --data.
func newFlags(name string, getenv func(string) string, stderr io.Writer) *commonFlags {
	c := newConfigFlags(name, getenv, stderr)
	c.fs.StringVar(&c.data, "data", "", "data directory for the embedded SQLite database (env WINNOW_DATA_DIR)")
	return c
}

// newConfigFlags is the flag set of a command that reads the configuration but not
// the database: --config alone.
func newConfigFlags(name string, getenv func(string) string, stderr io.Writer) *commonFlags {
	c := &commonFlags{fs: newFlagSet(name, stderr)}
	c.fs.StringVar(&c.config, "config", getenv("WINNOW_CONFIG"), "YAML configuration file (env WINNOW_CONFIG)")
	return c
}

// withAddr adds --addr, for the commands that listen on it or talk to what does.
func (c *commonFlags) withAddr(usage string) *commonFlags {
	c.fs.StringVar(&c.addr, "addr", "", usage)
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

// openKeyed is openStore with the installation secret, which every command that keys
// addresses and emails or signs links needs. Close the store when done.
func openKeyed(ctx context.Context, cfg config.Config) (*sqlstore.Store, []byte, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	secret, err := st.Secret(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, secret, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
