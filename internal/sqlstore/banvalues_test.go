package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/winnow/winnow/internal/comment"
)

// TestBanValuesIsTheJSONOfTheValues: the ban values written at once are what the JSON
// encoder makes of them, escaping and all.
func TestBanValuesIsTheJSONOfTheValues(t *testing.T) {
	secret := []byte("s")
	for _, k := range []comment.BanKeys{
		comment.SubmissionBanKeys(secret, 64, "ada@example.com", "https://ada.example", "192.0.2.1"),
		comment.SubmissionBanKeys(secret, 64, "ada@example.com", "", ""),
		comment.SubmissionBanKeys(secret, 64, "x@exämple.org", "http://a<b>&\"c\\d\x01.example", "2001:db8::1"),
		{Email: "e"},
	} {
		got, err := banValues(k)
		want, _ := json.Marshal(append(append([]string{k.Email}, k.IPs...), k.Domains...))
		if err != nil || got != string(want) {
			t.Errorf("banValues %s (%v), want %s", got, err, want)
		}
	}
	if _, err := banValues(comment.BanKeys{Email: "e", IPs: make([]string, comment.MaxBanKeys)}); err == nil {
		t.Error("more than MaxBanKeys values accepted")
	}
}
