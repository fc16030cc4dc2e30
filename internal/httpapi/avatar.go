package httpapi

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// avatar draws a 5x5 mirrored identicon from the avatar hash. The hash is already a
// keyed hash of the email, so the picture reveals nothing, and nothing is fetched from
// a third party that would learn who reads which page.
func (s *server) avatar(w http.ResponseWriter, r *http.Request) {
	b, err := hex.DecodeString(mux.Vars(r)["hash"])
	if err != nil || len(b) < 16 {
		s.writeError(w, r, badRequest("invalid avatar hash", nil))
		return
	}
	hue := (int(b[0])<<8 | int(b[1])) % 360
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 5 5" width="48" height="48" shape-rendering="crispEdges">`+
		`<rect width="5" height="5" fill="hsl(%d,30%%,92%%)"/><g fill="hsl(%d,55%%,45%%)">`, hue, hue)
	for row := 0; row < 5; row++ {
		for col := 0; col < 3; col++ {
			bit := row*3 + col
			if b[2+bit/8]>>(bit%8)&1 == 0 {
				continue
			}
			fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="1" height="1"/>`, col, row)
			if col < 2 {
				fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="1" height="1"/>`, 4-col, row)
			}
		}
	}
	sb.WriteString(`</g></svg>`)
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(sb.String()))
}
