package httpapi

import (
	"mime"
	"net/http"
)

// maxWidgetReport caps a widget's report: a page address, a build and a short error.
const maxWidgetReport = 4 << 10

// widgetReport takes what the widget says about the page it runs on, for the site
// page's installation panel. The widget sends it with navigator.sendBeacon as a
// text/plain body holding JSON, which needs no CORS preflight; the origin is the
// browser's Origin header, and a page on an origin the site does not allow is recorded
// as exactly that (site.Site.Report). It answers 204 whatever it kept.
func (s *server) widgetReport(w http.ResponseWriter, r *http.Request) {
	st, _, err := s.site(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/plain" && mt != "application/json" {
		s.writeError(w, r, &httpError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "Content-Type must be text/plain or application/json"})
		return
	}
	var rep struct {
		Page    string `json:"page"`
		Version string `json:"version"`
		Error   string `json:"error"`
	}
	if err := decodeJSONBody(http.MaxBytesReader(w, r.Body, maxWidgetReport), &rep); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in, ok := st.Report(r.Header.Get("Origin"), rep.Page, rep.Version, rep.Error, s.now()); ok && s.installs != nil {
		s.installs.Report(in)
	}
	w.WriteHeader(http.StatusNoContent)
}
