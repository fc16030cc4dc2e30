package importer

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// disqusThread is one <thread> of a Disqus export: the page, by its Disqus id.
type disqusThread struct {
	ID    text `xml:"id"` // the site's disqus_identifier, often empty
	Link  text `xml:"link"`
	Title text `xml:"title"`
}

// disqusRef is a reference to a thread or a post by its dsq:id attribute.
type disqusRef struct {
	Attrs []xml.Attr `xml:",any,attr"`
}

// disqusPost is one <post>: a comment.
type disqusPost struct {
	Attrs     []xml.Attr `xml:",any,attr"`
	Message   string     `xml:"message"`
	CreatedAt text       `xml:"createdAt"`
	IsDeleted text       `xml:"isDeleted"`
	IsSpam    text       `xml:"isSpam"`
	// IsApproved is in newer exports; a post without it was published.
	IsApproved *text `xml:"isApproved"`
	Author     struct {
		Email text `xml:"email"`
		Name  text `xml:"name"`
		Link  text `xml:"link"`
	} `xml:"author"`
	IP     text       `xml:"ipAddress"`
	Thread *disqusRef `xml:"thread"`
	Parent *disqusRef `xml:"parent"`
}

// dsqID is the dsq:id attribute (namespace http://disqus.com/disqus-internals).
func dsqID(attrs []xml.Attr) string {
	for _, a := range attrs {
		if a.Name.Local == "id" {
			return a.Value
		}
	}
	return ""
}

// readDisqus reads a Disqus export: its <thread> elements, kept by dsq:id (one small
// record per page), and its <post> elements, each emitted as it is read. Disqus
// writes every thread before the posts.
func readDisqus(ctx context.Context, r io.Reader, emit emitFunc) error {
	x := newXMLReader(r)
	if err := x.root("disqus", "Disqus export"); err != nil {
		return err
	}
	threads := map[string]Page{}
	for {
		t, err := x.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := t.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "thread":
			var th disqusThread
			if err := x.element(&th, &se); err != nil {
				return err
			}
			id := dsqID(se.Attr)
			page := Page{ID: string(th.ID), URL: string(th.Link), Title: string(th.Title)}
			if page.ID == "" {
				page.ID = id
			}
			threads[id] = page
		case "post":
			line := x.line()
			var p disqusPost
			p.Attrs = se.Attr
			if err := x.element(&p, &se); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(ctx, p.entry(line, threads)); err != nil {
				return err
			}
		default:
			if err := x.skip(); err != nil {
				return err
			}
		}
	}
}

// entry maps a Disqus post onto an Entry: spam is spam, deleted is deleted (a spam
// post that was deleted too is spam), a post not approved is pending, any other is
// published.
func (p disqusPost) entry(line int, threads map[string]Page) Entry {
	e := Entry{Line: line, SourceID: dsqID(p.Attrs), AuthorName: string(p.Author.Name),
		AuthorEmail: string(p.Author.Email), AuthorURL: string(p.Author.Link), IP: string(p.IP), Body: htmlToText(p.Message)}
	if p.Parent != nil {
		e.ParentSourceID = dsqID(p.Parent.Attrs)
	}
	switch {
	case p.IsSpam == "true":
		e.Status = comment.StatusSpam
	case p.IsDeleted == "true":
		e.Status = comment.StatusDeleted
	case p.IsApproved != nil && *p.IsApproved == "false":
		e.Status = comment.StatusPending
	default:
		e.Status = comment.StatusApproved
	}
	if p.Thread == nil || dsqID(p.Thread.Attrs) == "" {
		e.Err = comment.Invalid("thread", "the post names no thread")
		return e
	}
	page, ok := threads[dsqID(p.Thread.Attrs)]
	if !ok {
		e.Err = comment.Invalid("thread", fmt.Sprintf("no <thread dsq:id=%q> before the post", dsqID(p.Thread.Attrs)))
		return e
	}
	e.Thread = page
	if p.CreatedAt == "" {
		e.Err = comment.Invalid("createdAt", "missing")
		return e
	}
	t, err := time.Parse(time.RFC3339, string(p.CreatedAt))
	if err != nil {
		e.Err = comment.Invalid("createdAt", fmt.Sprintf("%q is not a date (want 2006-01-02T15:04:05Z)", string(p.CreatedAt)))
		return e
	}
	e.CreatedAt = t
	return e
}
