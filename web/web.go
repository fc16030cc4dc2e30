// Package web holds what winnow serves to browsers: the reader's widget (embed.js,
// embed.css, count.js), the moderator dashboard's script and styles (admin/) and the
// html/template pages (the no-JavaScript thread page, the demo article and the
// dashboard), the message catalogs every one of them speaks (i18n/) and the OpenAPI
// description of the JSON API (api/openapi.json). The files are embedded, so the binary
// needs nothing on disk.
package web

import (
	"embed"
	"io/fs"
)

//go:embed widget/*.js widget/*.css admin/*.js admin/*.css admin/*.svg templates/*.html templates/*.css i18n/*.json
var files embed.FS

//go:embed api/openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 description of the public and moderators' JSON API,
// served at /api/openapi.json. Tests in internal/httpapi keep it true: every route of
// the route table is in it, and recorded answers validate against it.
func OpenAPI() []byte { return openAPI }

// Widget returns the widget's assets: embed.js, embed.css and count.js.
func Widget() fs.FS { return sub("widget") }

// Admin returns the moderator dashboard's assets: admin.js and admin.css.
func Admin() fs.FS { return sub("admin") }

// I18n returns the message catalogs, one NAME.json per language (internal/i18n),
// which the widget also loads as they are.
func I18n() fs.FS { return sub("i18n") }

// Templates returns the page templates and the pages' stylesheet.
func Templates() fs.FS { return sub("templates") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // unreachable: dir is embedded above
	}
	return f
}
