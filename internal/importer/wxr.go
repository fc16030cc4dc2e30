package importer

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// wxrComment is one <wp:comment> of a WordPress export (WXR 1.0 to 1.2). The tags
// name no namespace: WordPress has moved its namespace URL between versions.
type wxrComment struct {
	ID, Author, Email, URL, IP, Agent, Date, DateGMT, Approved, Type, Parent text
	Content                                                                  string
	contentOK                                                                bool
}

// UnmarshalXML reads the comment's fields by local name, keeping the content's
// spaces (a comment's line breaks are its paragraphs) and skipping its metadata.
func (c *wxrComment) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	fields := map[string]*text{
		"comment_id": &c.ID, "comment_author": &c.Author, "comment_author_email": &c.Email,
		"comment_author_url": &c.URL, "comment_author_IP": &c.IP, "comment_agent": &c.Agent,
		"comment_date": &c.Date, "comment_date_gmt": &c.DateGMT, "comment_approved": &c.Approved,
		"comment_type": &c.Type, "comment_parent": &c.Parent,
	}
	for {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Local == "comment_content" {
				if err := d.DecodeElement(&c.Content, &t); err != nil {
					return err
				}
				c.contentOK = true
				continue
			}
			if f, ok := fields[t.Name.Local]; ok {
				if err := f.UnmarshalXML(d, t); err != nil {
					return err
				}
				continue
			}
			if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// wxrDate is WordPress's date format, "2006-01-02 15:04:05".
const wxrDate = "2006-01-02 15:04:05"

// readWXR reads a WordPress export: every <item> (a post or page) with its link,
// title and post id, and the <wp:comment> elements in it, in file order.
func readWXR(ctx context.Context, r io.Reader, emit emitFunc) error {
	x := newXMLReader(r)
	if err := x.root("rss", "WordPress export (WXR)"); err != nil {
		return err
	}
	var page Page
	inItem := false
	for {
		t, err := x.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch name := t.Name.Local; {
			case name == "item":
				inItem, page = true, Page{}
			case !inItem && name == "channel":
				// into the channel's items
			case inItem && (name == "link" || name == "title" || name == "post_id"):
				var v text
				if err := x.element(&v, &t); err != nil {
					return err
				}
				switch name {
				case "link":
					page.URL = string(v)
				case "title":
					page.Title = string(v)
				case "post_id":
					page.ID = string(v)
				}
			case inItem && name == "comment":
				line := x.line()
				var c wxrComment
				if err := x.element(&c, &t); err != nil {
					return err
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := emit(ctx, c.entry(line, page)); err != nil {
					return err
				}
			default:
				// A post's body, its metadata, the channel's authors and terms.
				if err := x.skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if t.Name.Local == "item" {
				inItem = false
			}
		}
	}
}

// entry maps a WordPress comment onto an Entry: approved "1" is published, "0"
// pending, "spam" spam, "trash" (and "post-trashed") deleted.
func (c wxrComment) entry(line int, page Page) Entry {
	e := Entry{Line: line, SourceID: string(c.ID), Thread: page,
		AuthorName: string(c.Author), AuthorEmail: string(c.Email), AuthorURL: string(c.URL),
		IP: string(c.IP), UserAgent: string(c.Agent), Body: htmlToText(c.Content)}
	if p := string(c.Parent); p != "" && p != "0" {
		e.ParentSourceID = p
	}
	switch t := string(c.Type); t {
	case "", "comment":
	case "pingback", "trackback":
		e.Ignore = true // a link from another blog, not something a reader wrote here
		return e
	default:
		// Plugins' own types (a review, a note of WooCommerce's) are comments too.
	}
	switch a := string(c.Approved); a {
	case "1", "approve", "approved":
		e.Status = comment.StatusApproved
	case "0", "hold":
		e.Status = comment.StatusPending
	case "spam":
		e.Status = comment.StatusSpam
	case "trash", "post-trashed":
		e.Status = comment.StatusDeleted
	default:
		e.Err = comment.Invalid("comment_approved", fmt.Sprintf("%q: want 1, 0, spam or trash", a))
		return e
	}
	e.CreatedAt, e.Err = wxrTime(string(c.DateGMT), string(c.Date))
	if e.Err == nil && !c.contentOK {
		e.Err = comment.Invalid("comment_content", "missing")
	}
	return e
}

// wxrTime reads the GMT date, or the local one (taken as UTC) where the GMT one is
// WordPress's "0000-00-00 00:00:00" for never set.
func wxrTime(gmt, local string) (time.Time, error) {
	for _, v := range []string{gmt, local} {
		if v == "" || strings.HasPrefix(v, "0000-00-00") {
			continue
		}
		t, err := time.Parse(wxrDate, v)
		if err != nil {
			return time.Time{}, comment.Invalid("comment_date", fmt.Sprintf("%q is not a date (want YYYY-MM-DD hh:mm:ss)", v))
		}
		return t, nil
	}
	return time.Time{}, comment.Invalid("comment_date", "missing")
}
