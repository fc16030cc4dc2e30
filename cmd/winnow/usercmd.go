package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/auth"
	"github.com/winnow/winnow/internal/sqlstore"
)

// stdinKey carries the reader the user commands read a password from. run's callers
// (tests) set it with withStdin; otherwise it is the process's standard input.
type stdinKey struct{}

// withStdin returns ctx with r as the commands' standard input.
func withStdin(ctx context.Context, r io.Reader) context.Context {
	return context.WithValue(ctx, stdinKey{}, r)
}

func stdinFrom(ctx context.Context) io.Reader {
	if r, ok := ctx.Value(stdinKey{}).(io.Reader); ok {
		return r
	}
	return os.Stdin
}

// readPassword reads one line from in; it reports false when there is none (a terminal,
// which would echo it, or empty input), and the caller generates a password instead.
func readPassword(in io.Reader) (string, bool, error) {
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "", false, nil
		}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	return line, line != "", nil
}

// passwordFor reads a password from stdin or generates one, which the caller prints once.
func passwordFor(ctx context.Context) (password string, generated bool, err error) {
	p, ok, err := readPassword(stdinFrom(ctx))
	if err != nil || ok {
		return p, false, err
	}
	p, err = auth.GeneratePassword()
	return p, true, err
}

// withPassword reads a password from stdin or generates one, runs fn with it and the
// account service, and then prints a generated password, once, alone on stdout.
func withPassword(ctx context.Context, st *sqlstore.Store, stdout, stderr io.Writer, fn func(*auth.Accounts, string) error) error {
	password, generated, err := passwordFor(ctx)
	if err != nil {
		return err
	}
	accounts, err := auth.NewAccounts(st, time.Now, auth.Options{})
	if err != nil {
		return err
	}
	if err := fn(accounts, password); err != nil {
		return err
	}
	if generated {
		fmt.Fprintln(stderr, "winnow: the password is on stdout and is shown only this once")
		fmt.Fprintln(stdout, password)
	}
	return nil
}

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("user add", getenv, stderr)
	var sites stringList
	email := f.fs.String("email", "", "the moderator's email: their sign-in name")
	role := f.fs.String("role", string(auth.RoleModerator), "admin or moderator")
	f.fs.Var(&sites, "site", "a site the moderator works (repeatable; required for moderators)")
	return withStore(ctx, f, args, getenv, func(st *sqlstore.Store) error {
		password, _, err := readPassword(stdinFrom(ctx))
		if err != nil {
			return err
		}
		accounts, err := auth.NewAccounts(st, time.Now, auth.Options{})
		if err != nil {
			return err
		}
		// Without a password on stdin, AddUser generates one; it is printed once.
		svc := admin.New(st, time.Now, admin.Options{Accounts: accounts})
		u, generated, err := svc.AddUser(ctx, admin.Operator(), *email, auth.Role(*role), sites, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "winnow: created %s %s (id %d)\n", u.Role, u.Email, u.ID)
		if generated != "" {
			fmt.Fprintln(stderr, "winnow: the password is on stdout and is shown only this once")
			fmt.Fprintln(stdout, generated)
		}
		return nil
	})
}

func userPasswd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("user passwd", getenv, stderr)
	email := f.fs.String("email", "", "the account's email")
	return withStore(ctx, f, args, getenv, func(st *sqlstore.Store) error {
		return withPassword(ctx, st, stdout, stderr, func(a *auth.Accounts, password string) error {
			if err := a.SetUserPassword(ctx, *email, password); err != nil {
				return err
			}
			fmt.Fprintln(stderr, "winnow: password changed; the account's sessions are ended")
			return nil
		})
	})
}

func userList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("user list", getenv, stderr)
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		us, err := svc.Users(ctx, admin.Operator())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSITES\tCREATED\tDISABLED")
		for _, u := range us {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, strings.Join(u.Sites, ","),
				stamp(u.CreatedAt), stamp(u.DisabledAt))
		}
		return tw.Flush()
	})
}

// offerSetup prints the one-time link to create the first admin account while there
// is none: the same link on every replica and after every restart, until it is used or
// expires (see auth.OfferSetup).
func offerSetup(ctx context.Context, st *sqlstore.Store, secret []byte, baseURL string, stderr io.Writer) error {
	n, err := st.CountAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	token, expires, err := auth.OfferSetup(ctx, st, secret, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "\nwinnow: no administrator account yet. Create one with this link; it works once, until %s:\n\n"+
		"    %s/admin/setup?token=%s\n\n", expires.UTC().Format("2006-01-02 15:04 MST"), baseURL, token)
	return nil
}
