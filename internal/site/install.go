package site

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/winnow/winnow/internal/comment"
)

// Install is what the widget last reported from one origin of a site: the last page
// it ran on, its build, how often it loaded and the last thing that went wrong there.
// A site's owner reads it on the site's page to know the embed works where it should.
// It holds nothing about a reader: no address, no agent, no query string.
type Install struct {
	SiteID   string
	Origin   string
	Page     string // scheme://host/path, without query or fragment
	Version  string // the widget's build (pages.WidgetVersion)
	Loads    int64
	LastLoad time.Time // zero: only errors were reported
	Error    string
	ErrorAt  time.Time
}

// Bounds on what a widget's report may leave behind: a page cannot fill the database
// by inventing origins or long messages.
const (
	MaxInstalls = 50 // origins remembered per site; reports from more are dropped
	// MaxUnlistedInstalls is how many rows a site may have when an origin it does not
	// list is first remembered: anyone can send a report naming any origin, so those
	// can fill at most this many and never push out the site's own.
	MaxUnlistedInstalls = 10
	maxInstallPage      = 500
	maxInstallError     = 200
)

// ErrOriginNotAllowed is the error an Install shows for a page whose origin is not one
// of the site's: the widget cannot read or post there until it is added.
const ErrOriginNotAllowed = "this origin is not one of the site's origins: the widget cannot load here until it is added"

// versionPattern is a widget build as pages.WidgetVersion writes it: 12 hex digits.
var versionPattern = regexp.MustCompile(`^[0-9a-f]{12}$`)

// Report turns what a widget on origin says (the page it runs on, its build, an error
// if it met one) into the Install it leaves, at time at. A page on an origin the site
// does not allow records that as its error whatever the widget said, since the widget
// cannot work there; the page is kept only when it is on origin, without its query
// and fragment (which may hold a reader's tokens). ok is false for a report that names
// no usable origin, which leaves nothing.
func (s Site) Report(origin, page, version, errMsg string, at time.Time) (in Install, ok bool) {
	origin = normalizeOrigin(origin)
	if !validOrigin(origin) || len(origin) > maxInstallPage {
		return Install{}, false
	}
	in = Install{SiteID: s.ID, Origin: origin}
	if p, err := url.Parse(page); err == nil && normalizeOrigin(p.Scheme+"://"+p.Host) == origin && len(page) <= 4*maxInstallPage {
		in.Page = comment.Truncate(origin+p.EscapedPath(), maxInstallPage)
	}
	if versionPattern.MatchString(version) {
		in.Version = version
	}
	switch {
	case !s.AllowsOrigin(origin):
		in.Error, in.ErrorAt = ErrOriginNotAllowed, at
	case errMsg != "":
		in.Error, in.ErrorAt = comment.Truncate(oneLine(errMsg), maxInstallError), at
		if in.Error == "" {
			in.ErrorAt = time.Time{}
		}
	default:
		in.Loads, in.LastLoad = 1, at
	}
	return in, true
}

// Merge adds a later report about the same origin to i: loads add up, the latest page,
// build and error stay.
func (i *Install) Merge(o Install) {
	i.Loads += o.Loads
	if !o.LastLoad.Before(i.LastLoad) && o.Loads > 0 {
		i.LastLoad = o.LastLoad
	}
	if o.Page != "" {
		i.Page = o.Page
	}
	if o.Version != "" {
		i.Version = o.Version
	}
	if o.Error != "" && !o.ErrorAt.Before(i.ErrorAt) {
		i.Error, i.ErrorAt = o.Error, o.ErrorAt
	}
}

// oneLine keeps an error message to printable text on one line.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}

// Unlisted reports whether the install was first reported from an origin the site did
// not list (its store bound is MaxUnlistedInstalls).
func (i Install) Unlisted() bool { return i.Error == ErrOriginNotAllowed && i.Loads == 0 }

// CurrentError is the error an owner should still see for the install on s: none once
// the widget has loaded there since, or once the origin it was refused for is listed.
func (i Install) CurrentError(s Site) string {
	switch {
	case i.Error == "", !i.LastLoad.IsZero() && i.LastLoad.After(i.ErrorAt):
		return ""
	case i.Error == ErrOriginNotAllowed && s.AllowsOrigin(i.Origin):
		return ""
	}
	return i.Error
}

// Path is the install's last page without its origin, which the panel shows beside it.
func (i Install) Path() string {
	if p, ok := strings.CutPrefix(i.Page, i.Origin); ok {
		if p == "" {
			return "/"
		}
		return p
	}
	return i.Page
}
