package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/winnow/winnow/internal/comment"
)

// fastParams keep unit tests quick; the format and the checks are the same.
func fastParams() Params { return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

func TestHashPasswordEncodesParametersAndVerifies(t *testing.T) {
	tests := []struct {
		name   string
		params Params
		prefix string
	}{
		{"defaults", DefaultParams(), "$argon2id$v=19$m=19456,t=2,p=1$"},
		{"small", fastParams(), "$argon2id$v=19$m=64,t=1,p=1$"},
		{"more lanes and passes", Params{Memory: 256, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 16}, "$argon2id$v=19$m=256,t=3,p=2$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const pw = "correct horse battery staple"
			h, err := HashPassword(pw, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, tt.prefix) || strings.Contains(h, pw) {
				t.Fatalf("hash %q, want prefix %q and no password", h, tt.prefix)
			}
			again, _ := HashPassword(pw, tt.params)
			if again == h {
				t.Error("two hashes of one password are equal: the salt is not random")
			}
			for _, c := range []struct {
				pw   string
				want bool
			}{{pw, true}, {pw + " ", false}, {"", false}, {strings.ToUpper(pw), false}} {
				ok, err := VerifyPassword(c.pw, h)
				if err != nil || ok != c.want {
					t.Errorf("VerifyPassword(%q) = %v, %v; want %v", c.pw, ok, err, c.want)
				}
			}
			p, salt, key, err := decodeHash(h)
			if err != nil || p != tt.params || len(salt) != int(tt.params.SaltLen) || len(key) != int(tt.params.KeyLen) {
				t.Errorf("decodeHash = %+v, %d, %d, %v", p, len(salt), len(key), err)
			}
		})
	}
	if _, err := HashPassword("x", Params{}); err == nil {
		t.Error("HashPassword with zero parameters succeeded")
	}
}

func TestVerifyPasswordRefusesMalformedAndCostlyHashes(t *testing.T) {
	good, _ := HashPassword("a password long enough", fastParams())
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, h := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":        with(1, "argon2i"),
		"old version":    with(2, "v=16"),
		"no params":      with(3, "m=64"),
		"huge memory":    with(3, "m=4194304,t=1,p=1"),
		"many passes":    with(3, "m=64,t=1000,p=1"),
		"zero lanes":     with(3, "m=64,t=1,p=0"),
		"bad salt":       with(4, "!!!"),
		"short salt":     with(4, "AAAA"),
		"bad key":        with(5, "%%%"),
		"too many parts": good + "$x",
	} {
		t.Run(name, func(t *testing.T) {
			if ok, err := VerifyPassword("a password long enough", h); ok || !errors.Is(err, errMalformedHash) {
				t.Errorf("VerifyPassword = %v, %v; want errMalformedHash", ok, err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ééééééééééé", false}, // 11 characters, 22 bytes
		{"éééééééééééé", true},
		{strings.Repeat("x", 1024), true},
		{strings.Repeat("x", 1025), false},
		{"twelve chars\xff", false},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.pw)
		var ve *comment.ValidationError
		if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &ve) || ve.Fields["password"] == "")) {
			t.Errorf("CheckPassword(%.20q) = %v, want ok=%v", tt.pw, err, tt.ok)
		}
		if err != nil && tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	if p, err := GeneratePassword(); err != nil || CheckPassword(p) != nil {
		t.Errorf("GeneratePassword = %q, %v: not acceptable", p, err)
	}
}

func TestCSRF(t *testing.T) {
	a, b := "wns_session-a", "wns_session-b"
	ta := CSRFToken(a)
	tests := []struct {
		name           string
		session, token string
		want           bool
	}{
		{"its own token", a, ta, true},
		{"another session's token", b, ta, false},
		{"no token", a, "", false},
		{"no session", "", CSRFToken(""), false},
		{"the session id itself", a, a, false},
		{"a truncated token", a, ta[:len(ta)-1], false},
	}
	for _, tt := range tests {
		if got := CheckCSRF(tt.session, tt.token); got != tt.want {
			t.Errorf("%s: CheckCSRF = %v, want %v", tt.name, got, tt.want)
		}
	}
	if strings.Contains(ta, strings.TrimPrefix(a, "wns_")) || CSRFToken(a) != ta {
		t.Error("the token must be stable per session and must not contain it")
	}
}
