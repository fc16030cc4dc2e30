package httpapi

import (
	"net/http"
	"strconv"

	"github.com/winnow/winnow/web"
)

// openAPI serves the OpenAPI 3.1 description of this API, as embedded in the binary.
// Anyone may read it: it describes the routes, and holds nothing of any site.
func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	b := web.OpenAPI()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*") // for API explorers on other origins
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
