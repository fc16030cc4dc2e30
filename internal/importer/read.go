package importer

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/winnow/winnow/internal/comment"
)

// Entry is one comment as a reader found it in a file, before any rule: what every
// format comes down to.
type Entry struct {
	// Line is where the entry starts in the file (0 where a format has no lines).
	Line int
	// SourceID is the comment's id in the file, ParentSourceID its parent's ("" for
	// a top-level comment).
	SourceID, ParentSourceID string
	Thread                   Page
	AuthorName, AuthorEmail  string
	AuthorURL                string
	IP, UserAgent            string
	// Body is the text in winnow's dialect (Markdown): a reader converts the HTML
	// an export holds (htmlToText).
	Body      string
	Status    comment.Status
	CreatedAt time.Time
	// Err is why the reader could not read the entry (a date that is no date, a
	// status it does not know): the entry is reported and skipped.
	Err error
	// Ignore marks an entry that is no comment to winnow (a WordPress pingback): it
	// is counted, not reported.
	Ignore bool
}

// Page is the page a comment is on, as the file names it.
type Page struct {
	// ID is the old system's id of the page (a WordPress post id, a Disqus
	// identifier), URL its address, Title its title.
	ID, URL, Title string
	// Key is the winnow thread key, where the file names one (winnow's own format),
	// and CreatedAt the thread's own time (else its first comment's).
	Key       string
	CreatedAt time.Time
}

// emitFunc takes one entry; an error from it stops the reading.
type emitFunc func(ctx context.Context, e Entry) error

// read reads a file of format f, calling emit for each entry in file order. A file
// that cannot be read on is a *StopError with its line.
func read(ctx context.Context, f Format, open func() (io.ReadCloser, error), emit emitFunc) error {
	switch f {
	case FormatWXR:
		return withFile(open, func(r io.Reader) error { return readWXR(ctx, r, emit) })
	case FormatDisqus:
		return withFile(open, func(r io.Reader) error { return readDisqus(ctx, r, emit) })
	case FormatRemark42:
		return withFile(open, func(r io.Reader) error { return readRemark42(ctx, r, emit) })
	case FormatCommento:
		return readCommento(ctx, open, emit)
	case FormatWinnow:
		return withFile(open, func(r io.Reader) error { return readWinnow(ctx, r, emit) })
	}
	return comment.Invalid("format", fmt.Sprintf("%q is not a format winnow imports", f))
}

func withFile(open func() (io.ReadCloser, error), fn func(io.Reader) error) error {
	f, err := open()
	if err != nil {
		return fmt.Errorf("import: open: %w", err)
	}
	defer f.Close()
	r, done, err := unpacked(f)
	if err != nil {
		return err
	}
	defer done()
	return fn(r)
}

// maxToken bounds what one XML token (a comment's text, a post's body that is
// skipped) or one JSON line may hold: far above any comment (winnow takes 10,000
// characters), and what keeps a file of one endless text from being read into memory.
const maxToken = 32 << 20

// errTooLong is what boundedReader says when a token passes maxToken.
var errTooLong = errors.New("an element or line of more than 32 MiB: not a comment export, or a broken one")

// boundedReader fails a read that would take the bytes since the last mark past
// limit, so that a decoder reading one token cannot hold more than that.
type boundedReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, errTooLong
	}
	if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *boundedReader) mark() { b.n = 0 }

// xmlReader is a token stream over a file, in bounded memory, that knows its line.
type xmlReader struct {
	dec *xml.Decoder
	in  *boundedReader
}

func newXMLReader(r io.Reader) *xmlReader {
	in := &boundedReader{r: bufio.NewReaderSize(r, 64<<10), limit: maxToken}
	dec := xml.NewDecoder(in)
	// An export in another encoding (ISO-8859-1, windows-1252) says so in its XML
	// declaration; encoding/xml itself reads UTF-8 only.
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = true
	return &xmlReader{dec: dec, in: in}
}

// token returns the next token, or a *StopError naming the line for a syntax error.
func (x *xmlReader) token() (xml.Token, error) {
	x.in.mark()
	t, err := x.dec.Token()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, x.stop(err)
	}
	return t, nil
}

// element decodes the element that start opened into v.
func (x *xmlReader) element(v any, start *xml.StartElement) error {
	x.in.mark()
	if err := x.dec.DecodeElement(v, start); err != nil {
		return x.stop(err)
	}
	return nil
}

// skip skips the rest of the element just opened.
func (x *xmlReader) skip() error {
	for depth := 1; depth > 0; {
		t, err := x.token()
		if err == io.EOF {
			return x.stop(io.ErrUnexpectedEOF)
		}
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func (x *xmlReader) line() int {
	l, _ := x.dec.InputPos()
	return l
}

// stop describes a read that cannot go on, at the decoder's line.
func (x *xmlReader) stop(err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		return &StopError{Line: se.Line, Message: "malformed XML: " + se.Msg}
	case errors.Is(err, errTooLong):
		return &StopError{Line: x.line(), Message: errTooLong.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &StopError{Line: x.line(), Message: "the file ends in the middle of an element (cut short?)"}
	}
	return &StopError{Line: x.line(), Message: err.Error()}
}

// root reads up to the document's root element and checks its name.
func (x *xmlReader) root(want, format string) error {
	for {
		t, err := x.token()
		if err == io.EOF {
			return &StopError{Message: fmt.Sprintf("not a %s file: it holds no XML element", format)}
		}
		var stop *StopError
		if errors.As(err, &stop) {
			stop.Line = 0 // nothing read yet: the whole file is refused
			stop.Message = fmt.Sprintf("not a %s file: %s", format, stop.Message)
			return stop
		}
		if err != nil {
			return err
		}
		if se, ok := t.(xml.StartElement); ok {
			if se.Name.Local != want {
				return &StopError{Message: fmt.Sprintf("not a %s file: its root element is <%s>, not <%s>", format, se.Name.Local, want)}
			}
			return nil
		}
	}
}

// text is an element's text, trimmed.
type text string

func (t *text) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	*t = text(strings.TrimSpace(s))
	return nil
}
