package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/httpx"
	"github.com/winnow/winnow/internal/importer"
	"github.com/winnow/winnow/internal/site"
)

// Importer imports files into sites (importer.Service): the same call as `winnow
// import`, so both keep one set of rules.
type Importer interface {
	Import(ctx context.Context, req importer.Request) (importer.Report, error)
}

// Exporter writes a site's threads and comments out (importer.Exporter), as `winnow
// export` does.
type Exporter interface {
	Prepare(ctx context.Context, req importer.ExportRequest) (site.Site, error)
	Export(ctx context.Context, req importer.ExportRequest, w io.Writer) error
}

// uploadRoute names the route whose body may be as large as MaxUploadBytes rather
// than MaxBodyBytes (observe reads the name).
const uploadRoute = "import"

// transferTime is how long an import upload or an export may take to read and write:
// the server's read and write timeouts are made for comments, not for a blog's
// history.
const transferTime = time.Hour

// longTransfer lifts the server's read and write deadlines for one request.
func longTransfer(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(transferTime)) // not every writer can (httptest's)
	_ = rc.SetWriteDeadline(time.Now().Add(transferTime))
}

// importSite takes a file of another system's export (or winnow's) as the request
// body, spools it to a temporary file (at most MaxUploadBytes) and imports it into
// the site, answering with the report: its counts and every refused entry by line.
//
//	POST /api/v1/admin/sites/{site}/import?format=wxr&thread_key=path&strict=1&learn=1
func (s *server) importSite(w http.ResponseWriter, r *http.Request) {
	if s.importer == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	siteID := mux.Vars(r)["site"]
	if err := principal(r).See(siteID); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	req := importer.Request{Site: siteID, Format: importer.Format(q.Get("format")), ThreadKey: importer.ThreadKey(q.Get("thread_key"))}
	fields := map[string]string{}
	for name, dst := range map[string]*bool{"strict": &req.Strict, "learn": &req.Learn} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				fields[name] = "must be true or false"
			}
			*dst = b
		}
	}
	if len(fields) > 0 {
		s.writeError(w, r, &httpError{Status: http.StatusBadRequest, Code: "bad_request", Message: "malformed query", Fields: fields})
		return
	}
	req.Open = func() (io.ReadCloser, error) { return nil, errors.New("no file") }
	if err := req.Check(); err != nil { // before reading a large body for nothing
		s.writeError(w, r, err)
		return
	}
	longTransfer(w)
	file, err := importer.Spool(r.Body, "", s.maxUpload)
	var mb *http.MaxBytesError
	switch {
	case errors.Is(err, importer.ErrTooLarge) || errors.As(err, &mb):
		s.writeError(w, r, &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("the file is larger than import.max_upload_bytes (%d bytes); import it with `winnow import`, which reads a file of any size", s.maxUpload)})
		return
	case err != nil:
		s.writeError(w, r, err)
		return
	}
	defer file.Remove()
	if file.Size == 0 {
		s.writeError(w, r, comment.Invalid("file", "required: send the export file as the request body"))
		return
	}
	req.Open = file.Open
	rep, err := s.importer.Import(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if rep.Aborted {
		status = http.StatusUnprocessableEntity // nothing written
	}
	writeJSON(w, status, map[string]any{"report": rep})
}

// exportSite streams every thread and comment of a site, in winnow's format (JSON
// Lines, docs/export-format.md) or as a WordPress export, with the authors' emails,
// addresses and user agents unless private=false. Admins only.
//
//	GET /api/v1/admin/sites/{site}/export?format=winnow|wxr&private=false
func (s *server) exportSite(w http.ResponseWriter, r *http.Request) {
	if s.exporter == nil {
		s.writeError(w, r, comment.ErrNotFound)
		return
	}
	siteID := mux.Vars(r)["site"]
	if err := principal(r).See(siteID); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	req := importer.ExportRequest{Site: siteID, Format: importer.Format(q.Get("format")), Private: true}
	if req.Format == "" {
		req.Format = importer.FormatWinnow
	}
	if v := q.Get("private"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, r, &httpError{Status: http.StatusBadRequest, Code: "bad_request", Message: "malformed query",
				Fields: map[string]string{"private": "must be true or false"}})
			return
		}
		req.Private = b
	}
	if _, err := s.exporter.Prepare(r.Context(), req); err != nil {
		s.writeError(w, r, err)
		return
	}
	longTransfer(w)
	name := siteID + ".winnow.jsonl"
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	if req.Format == importer.FormatWXR {
		name = siteID + ".wxr.xml"
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.exporter.Export(r.Context(), req, w); err != nil {
		// The answer has begun: the client sees a cut-off file (a winnow export's
		// reader notices no end; an XML reader the unclosed elements).
		s.log.LogAttrs(r.Context(), slog.LevelError, "export failed", slog.String("request_id", httpx.RequestID(r.Context())),
			slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
}
