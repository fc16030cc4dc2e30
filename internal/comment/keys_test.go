package comment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

// TestSubmissionKeysAreTheKeysOneByOne: the keys made at once are, byte for byte, those
// each function makes alone, and those the HMAC of label, zero byte and value gives
// (the form keys were always stored in, so that stored keys still match).
func TestSubmissionKeysAreTheKeysOneByOne(t *testing.T) {
	secret := []byte("a 32-byte installation secret...")
	hmacHex := func(label, value string, n int) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label + "\x00" + value))
		return hex.EncodeToString(m.Sum(nil)[:n])
	}
	tests := []struct{ name, email, website, ip string }{
		{"Reader 5", "Reader5@Example.org", "", "192.0.2.1"},
		{"ada  lovelace ", " ada@example.com", "https://www.ada.example/x", "2001:db8:1:2::7"},
		{"Zoë\tÅström", "zoe@example.se", "http://example.se", "::ffff:203.0.113.9"},
		{"", "x@example.org", "not a url\x7f", ""},
		{"Bob", "bob@example.org", "", "not an address"},
		{"Bob", "bob@example.org", "", " "},
		{"Bob", "bob@example.org", "", " 203.0.113.9 "},
		{"\u00a0Bob\u2003Smith", "bob@example.org", "", "10.0.0.1"},
	}
	for _, tc := range tests {
		got := SubmissionKeys(secret, DefaultIPv6Prefix, tc.name, tc.email, tc.website, tc.ip)
		want := Keys{
			Author:  AuthorKey(secret, tc.name, tc.email),
			Email:   EmailKey(secret, tc.email),
			Avatar:  AvatarHash(secret, tc.email),
			Address: AddressKey(secret, tc.ip, DefaultIPv6Prefix),
			Bans:    SubmissionBanKeys(secret, DefaultIPv6Prefix, tc.email, tc.website, tc.ip),
		}
		if got.Author != want.Author || got.Email != want.Email || got.Avatar != want.Avatar || got.Address != want.Address ||
			got.Bans.Email != want.Bans.Email || !slices.Equal(got.Bans.IPs, want.Bans.IPs) || !slices.Equal(got.Bans.Domains, want.Bans.Domains) {
			t.Errorf("%+v:\n got %+v\nwant %+v", tc, got, want)
		}
		norm := strings.ToLower(strings.TrimSpace(tc.email))
		if a := hmacHex("author", norm+"\x00"+strings.ToLower(strings.Join(strings.Fields(tc.name), " ")), 32); got.Author != a {
			t.Errorf("%+v: author key %s, want %s", tc, got.Author, a)
		}
		if e := hmacHex("email", norm, 16); got.Email != e || got.Avatar != hmacHex("avatar", norm, 16) {
			t.Errorf("%+v: email key %s, want %s", tc, got.Email, e)
		}
	}
	if k := IPKey(secret, "203.0.113.9"); k != hmacHex("ip", "203.0.113.9", 16) {
		t.Errorf("IPKey %s", k)
	}
}

func TestCollapsedIsWhatFieldsAndJoinMake(t *testing.T) {
	for _, s := range []string{"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\u00a0b", "a\u2003b", "\xff b", "Zoë Åström"} {
		if got, want := collapsed(s), strings.Join(strings.Fields(s), " ") == s; got != want {
			t.Errorf("collapsed(%q) = %v, want %v", s, got, want)
		}
	}
}

// BenchmarkSubmissionKeys is what keying a submission costs.
func BenchmarkSubmissionKeys(b *testing.B) {
	secret := []byte("a 32-byte installation secret...")
	b.ReportAllocs()
	for b.Loop() {
		SubmissionKeys(secret, DefaultIPv6Prefix, "Reader 5", "reader5@example.org", "", "192.0.2.1")
	}
}
