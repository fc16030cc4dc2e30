package email_test

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// mimeDecoder reads encoded headers and bodies back as a mail reader would.
type mimeDecoder struct{ dec mime.WordDecoder }

func (d *mimeDecoder) header(t *testing.T, v string) string {
	t.Helper()
	s, err := d.dec.DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode header %q: %v", v, err)
	}
	return s
}

func (d *mimeDecoder) body(t *testing.T, cte, body string) string {
	t.Helper()
	if strings.EqualFold(cte, "quoted-printable") {
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err != nil {
			t.Fatalf("decode body: %v", err)
		}
		return string(b)
	}
	return body
}
