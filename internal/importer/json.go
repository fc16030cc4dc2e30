package importer

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/winnow/winnow/internal/comment"
)

// unpacked is r, decompressed when it starts as a gzip stream does: Remark42 and
// Commento hand their backups out gzipped, and any export may have been.
func unpacked(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, &StopError{Message: "a gzip file that cannot be read: " + err.Error()}
		}
		return zr, zr.Close, nil
	}
	return br, func() error { return nil }, nil
}

// remark42Comment is one comment line of a Remark42 backup (its store.Comment).
type remark42Comment struct {
	ID       string `json:"id"`
	ParentID string `json:"pid"`
	Text     string `json:"text"` // HTML
	Orig     string `json:"orig"` // the Markdown as typed, in newer backups
	User     struct {
		Name string `json:"name"`
	} `json:"user"`
	Locator struct {
		URL string `json:"url"`
	} `json:"locator"`
	Time    time.Time `json:"time"`
	Deleted bool      `json:"delete"`
	Title   string    `json:"title"`
}

// readRemark42 reads a Remark42 backup: a first line of metadata
// ({"version":1,"users":[...],"posts":[...]}), then one comment a line. Remark42
// keeps no email and only a hash of the address, so neither comes over; a deleted
// comment is deleted, any other published.
func readRemark42(ctx context.Context, r io.Reader, emit emitFunc) error {
	lines := newLineReader(r)
	first, err := lines.next()
	if err == io.EOF {
		return &StopError{Message: "not a Remark42 backup: the file is empty"}
	}
	if err != nil {
		return &StopError{Message: "not a Remark42 backup: " + err.Error()}
	}
	var meta struct {
		Version *int            `json:"version"`
		Posts   json.RawMessage `json:"posts"`
	}
	if err := json.Unmarshal(first, &meta); err != nil || meta.Version == nil {
		return &StopError{Message: `not a Remark42 backup: the first line is not {"version":1,"users":[...],"posts":[...]}`}
	}
	if *meta.Version > 1 {
		return &StopError{Message: fmt.Sprintf("a Remark42 backup of version %d: winnow reads version 1", *meta.Version)}
	}
	for {
		b, err := lines.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &StopError{Line: lines.n, Message: err.Error()}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var c remark42Comment
		e := Entry{Line: lines.n}
		if err := json.Unmarshal(b, &c); err != nil {
			e.Err = fmt.Errorf("a comment line that cannot be read: %s", jsonProblem(err))
		} else {
			e = Entry{Line: lines.n, SourceID: c.ID, ParentSourceID: c.ParentID,
				Thread:     Page{ID: c.Locator.URL, URL: c.Locator.URL, Title: c.Title},
				AuthorName: c.User.Name, Body: c.Orig, Status: comment.StatusApproved, CreatedAt: c.Time}
			if e.Body == "" {
				e.Body = htmlToText(c.Text)
			}
			if c.Deleted {
				e.Status = comment.StatusDeleted
				if strings.TrimSpace(e.Body) == "" {
					// Remark42 empties a deleted comment: it keeps its place under
					// its replies.
					e.Body = "[deleted]"
				}
			}
		}
		if err := emit(ctx, e); err != nil {
			return err
		}
	}
}

// commentoComment and commentoCommenter are the two lists of a Commento export
// ({"version":1,"comments":[...],"commenters":[...]}).
type commentoComment struct {
	Hex          string    `json:"commentHex"`
	Domain       string    `json:"domain"`
	Path         string    `json:"url"`
	CommenterHex string    `json:"commenterHex"`
	Markdown     string    `json:"markdown"`
	HTML         string    `json:"html"`
	ParentHex    string    `json:"parentHex"`
	State        string    `json:"state"`
	CreationDate time.Time `json:"creationDate"`
	Deleted      bool      `json:"deleted"`
}

type commentoCommenter struct {
	Hex   string `json:"commenterHex"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Link  string `json:"link"`
}

// readCommento reads a Commento export in two passes over the file, one value at a
// time: the commenters first (one small record each), which the export writes after
// the comments that name them, then the comments. State "approved" is published,
// "unapproved" pending, "flagged" (Akismet's spam) spam; a deleted comment deleted.
func readCommento(ctx context.Context, open func() (io.ReadCloser, error), emit emitFunc) error {
	people := map[string]commentoCommenter{}
	err := commentoList(open, "commenters", func(dec *json.Decoder, n int) error {
		var c commentoCommenter
		if err := dec.Decode(&c); err != nil {
			return &StopError{Message: fmt.Sprintf("commenter %d cannot be read: %s", n, jsonProblem(err))}
		}
		people[c.Hex] = c
		return nil
	})
	if err != nil {
		return err
	}
	return commentoList(open, "comments", func(dec *json.Decoder, n int) error {
		var c commentoComment
		if err := dec.Decode(&c); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return &StopError{Line: n, Message: fmt.Sprintf("comment %d: %s", n, jsonProblem(err))}
			}
			return emit(ctx, Entry{Err: fmt.Errorf("comment %d cannot be read: %s", n, jsonProblem(err))})
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		who := people[c.CommenterHex]
		page := Page{ID: c.Path, URL: c.Path, Title: ""}
		if c.Domain != "" {
			page.URL = "https://" + c.Domain + c.Path
		}
		e := Entry{SourceID: c.Hex, Thread: page, AuthorName: who.Name, AuthorEmail: who.Email, AuthorURL: who.Link,
			Body: c.Markdown, CreatedAt: c.CreationDate}
		if e.AuthorURL == "undefined" { // Commento's word for none
			e.AuthorURL = ""
		}
		if c.CommenterHex == "anonymous" {
			e.AuthorName, e.AuthorEmail, e.AuthorURL = "", "", ""
		}
		if e.Body == "" {
			e.Body = htmlToText(c.HTML)
		}
		if c.ParentHex != "" && c.ParentHex != "root" {
			e.ParentSourceID = c.ParentHex
		}
		switch {
		case c.Deleted:
			e.Status = comment.StatusDeleted
			if strings.TrimSpace(e.Body) == "" || e.Body == "[deleted]" {
				e.Body = "[deleted]"
			}
		case c.State == "approved" || c.State == "":
			e.Status = comment.StatusApproved
		case c.State == "unapproved":
			e.Status = comment.StatusPending
		case c.State == "flagged":
			e.Status = comment.StatusSpam
		default:
			e.Err = comment.Invalid("state", fmt.Sprintf("%q: want approved, unapproved or flagged", c.State))
		}
		return emit(ctx, e)
	})
}

// commentoList opens the file and calls each for every value of the top-level
// array named list, one at a time.
func commentoList(open func() (io.ReadCloser, error), list string, each func(dec *json.Decoder, n int) error) error {
	return withFile(open, func(r io.Reader) error {
		in := &boundedReader{r: r, limit: maxToken}
		dec := json.NewDecoder(in)
		notCommento := func(why string) error {
			return &StopError{Message: "not a Commento export: " + why}
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return notCommento(`it does not start with {"version":1,"comments":[...]`)
		}
		found := false
		for dec.More() {
			in.mark()
			t, err := dec.Token()
			if err != nil {
				return &StopError{Message: "malformed JSON: " + jsonProblem(err)}
			}
			key, _ := t.(string)
			switch {
			case key == "version":
				var v int
				if err := dec.Decode(&v); err != nil || v != 1 {
					return notCommento("its version is not 1")
				}
			case key == list:
				found = true
				if t, err := dec.Token(); err != nil || t != json.Delim('[') {
					return notCommento(fmt.Sprintf("%q is not a list", list))
				}
				for n := 1; dec.More(); n++ {
					in.mark()
					if err := each(dec, n); err != nil {
						return err
					}
				}
				if _, err := dec.Token(); err != nil {
					return &StopError{Message: "malformed JSON: " + jsonProblem(err)}
				}
			default:
				if err := skipValue(dec, in); err != nil {
					return &StopError{Message: "malformed JSON: " + jsonProblem(err)}
				}
			}
		}
		if !found && list == "comments" {
			return notCommento(`it has no "comments" list`)
		}
		return nil
	})
}

// skipValue reads past one JSON value token by token, so that skipping the other
// list holds one token at a time, not the list.
func skipValue(dec *json.Decoder, in *boundedReader) error {
	depth := 0
	for {
		in.mark()
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
