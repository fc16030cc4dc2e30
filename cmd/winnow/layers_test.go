package main

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackagesImportDownTheLayers pins the arrows of docs/architecture.md: the domain
// packages import only each other, the pure packages only the domain, the services
// what they use, and the store, the dispatcher and the HTTP front ends never one
// another. A new import that breaks an arrow fails here, not in a later review.
func TestPackagesImportDownTheLayers(t *testing.T) {
	domain := []string{"comment", "site", "webhook"}
	pure := append([]string{"sanitize", "spam", "ratelimit"}, domain...)
	allowed := map[string][]string{
		"comment":          nil,
		"site":             {"comment"},
		"webhook":          {"comment", "site"},
		"config":           nil,
		"i18n":             nil,
		"sanitize":         domain,
		"spam":             domain,
		"ratelimit":        domain,
		"httpx":            domain,
		"auth":             append([]string{"ratelimit"}, domain...),
		"admin":            append([]string{"auth"}, domain...),
		"moderation":       pure,
		"intake":           append([]string{"moderation"}, pure...),
		"akismet":          append([]string{"auth", "intake", "moderation"}, pure...),
		"importer":         pure,
		"sqlstore":         append([]string{"auth", "email", "notify", "spam"}, domain...),
		"webhook/dispatch": append([]string{"outbox"}, domain...),
		"outbox":           nil,
		"email":            {"outbox"},
		"notify":           append([]string{"auth", "email", "moderation"}, pure...),
		"pages":            append([]string{"httpx", "i18n", "moderation", "notify"}, domain...),
		"dashboard":        append([]string{"auth", "httpx", "i18n", "moderation", "notify", "pages"}, domain...),
		"httpapi": append([]string{"admin", "akismet", "auth", "dashboard", "email", "httpx", "importer", "intake", "moderation", "notify", "pages",
			"ratelimit", "spam"}, domain...),
	}
	const internal = "github.com/winnow/winnow/internal/"
	// Every package has a rule, so a new one is placed in the layers when it is made
	// (test helpers and a package's own internal tools aside).
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "internal", "*"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "internal", "*", "*"))
	for _, d := range append(dirs, more...) {
		rel, _ := filepath.Rel(filepath.Join("..", "..", "internal"), d)
		rel = filepath.ToSlash(rel)
		if p, err := build.ImportDir(d, 0); err != nil || len(p.GoFiles) == 0 ||
			strings.HasSuffix(rel, "test") || strings.Contains(rel, "/internal") {
			continue
		}
		if _, ok := allowed[rel]; !ok {
			t.Errorf("internal/%s has no rule in this test: add what it may import", rel)
		}
	}
	for pkg, ok := range allowed {
		p, err := build.Import(internal+pkg, filepath.Join("..", ".."), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			dep, mine := strings.CutPrefix(imp, internal)
			if mine && !slices.Contains(ok, dep) {
				t.Errorf("internal/%s imports internal/%s; it may import only %v", pkg, dep, ok)
			}
		}
	}
}
