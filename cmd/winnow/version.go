package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildDate is when a release build was made, stamped by the linker:
//
//	go build -ldflags "-X main.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/winnow
//
// (make dist and the Dockerfile do). It is the one package-level variable of the
// command, because -X can only set one; nothing writes it at run time. The module
// version and the commit need no stamping: the go command records them in the
// binary, and debug.ReadBuildInfo reads them back.
var buildDate string

// version prints what an operator quotes in a bug report: the module version, the
// commit it was built from (and whether the tree had changes), the build date and
// the Go toolchain.
func version(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(info, buildDate))
	return nil
}

// versionText formats the build's description; info may be nil (a binary built
// without module support), and every part that was not recorded says so.
func versionText(info *debug.BuildInfo, date string) string {
	ver, commit, modified, goVersion := "unknown", "", false, runtime.Version()
	if info != nil {
		if v := info.Main.Version; v != "" {
			ver = v
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "winnow %s\n", ver)
	switch {
	case commit == "":
		b.WriteString("commit: unknown (built outside a git checkout)\n")
	case modified:
		fmt.Fprintf(&b, "commit: %s (with uncommitted changes)\n", commit)
	default:
		fmt.Fprintf(&b, "commit: %s\n", commit)
	}
	if date == "" {
		date = "unknown (not a release build)"
	}
	fmt.Fprintf(&b, "built: %s\n", date)
	fmt.Fprintf(&b, "go: %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
