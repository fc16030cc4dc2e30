package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/winnow/winnow/internal/comment"
)

// Body kinds a handler accepts.
const (
	kindJSON = "json"
	kindForm = "form"
)

// requestKind checks the Content-Type against what the handler accepts: 415 otherwise.
func requestKind(r *http.Request, allowForm bool) (string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && mt == "application/json":
		return kindJSON, nil
	case err == nil && allowForm && mt == "application/x-www-form-urlencoded":
		return kindForm, nil
	}
	want := "application/json"
	if allowForm {
		want += " or application/x-www-form-urlencoded"
	}
	return "", &httpError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: "Content-Type must be " + want}
}

// decodeJSON reads exactly one JSON object into v from a body already capped by the
// size-limit middleware, and says what was wrong and where.
func decodeJSON(r *http.Request, v any) error {
	if _, err := requestKind(r, false); err != nil {
		return err
	}
	return decodeJSONBody(r.Body, v)
}

// jsonOptions are the decoding rules of every JSON body winnow reads. They are those
// of encoding/json, which winnow used before, but for two refusals: a string holding
// invalid UTF-8 or a lone surrogate escape (\ud800), which encoding/json would store as
// U+FFFD without a word, and an object naming a member twice (also when the names
// differ only in case), which encoding/json resolves silently to the last one. Names
// still match struct fields without regard to case, though not across "_" and "-", as
// with encoding/json; unknown members are still ignored.
var jsonOptions = jsonv2.JoinOptions(
	jsontext.AllowInvalidUTF8(false),
	jsontext.AllowDuplicateNames(false),
	jsonv2.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsonv2.RejectUnknownMembers(false),
)

func decodeJSONBody(body io.Reader, v any) error {
	dec := jsontext.NewDecoder(body, jsonOptions)
	if err := jsonv2.UnmarshalDecode(dec, v, jsonOptions); err != nil {
		return jsonError(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		if tooLarge(err) {
			return jsonError(err)
		}
		return badRequest("the body must hold a single JSON object", nil)
	}
	return nil
}

// jsonError turns a decoding error into a client error that names the field.
func jsonError(err error) error {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case tooLarge(err):
		return &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the request body is too large"}
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty", nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the JSON body ends early", nil)
	case errors.As(err, &syn) && badEncoding(syn.Err):
		// The same answer the form path gives: the text cannot be stored as sent.
		if field := jsonField(syn.JSONPointer); field != "" {
			return comment.Invalid(field, "must be valid UTF-8")
		}
		return badRequest("the JSON body must be valid UTF-8", nil)
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		field := jsonField(syn.JSONPointer)
		return badRequest("a member is named twice", map[string]string{field: "given more than once"})
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", syn.ByteOffset), nil)
	case errors.As(err, &sem):
		field := jsonField(sem.JSONPointer)
		if field == "" {
			return badRequest("the body must be a JSON object", nil)
		}
		return badRequest("a field has the wrong type", map[string]string{field: "must be " + jsonKind(sem.GoType)})
	}
	return badRequest("malformed JSON", nil)
}

// badEncoding tells a string that is not Unicode text (invalid UTF-8 bytes, or an
// escaped UTF-16 surrogate without its pair) from other syntax errors. jsontext does
// not export these errors, so they are known by their text; the decoder's tests hold
// every case, so a change in the library's wording fails them rather than passing
// bad text as malformed JSON.
func badEncoding(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return msg == "invalid UTF-8" || strings.HasPrefix(msg, "invalid surrogate pair")
}

// jsonField names a member by its path, as the error vocabulary does ("body",
// "rate_limits.ip.period"); array positions are left out ("sites", not "sites.0"),
// as encoding/json named them. "" is the body itself, or a member's name.
func jsonField(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" {
			continue
		}
		parts = append(parts, tok)
	}
	return strings.Join(parts, ".")
}

func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch k := t.Kind(); {
	case k >= reflect.Int && k <= reflect.Float64:
		return "a number"
	case k == reflect.String:
		return "a string"
	case k == reflect.Bool:
		return "true or false"
	case k == reflect.Slice || k == reflect.Array:
		return "an array"
	case k == reflect.Struct || k == reflect.Map:
		return "an object"
	default:
		return "a " + k.String()
	}
}

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// parseForm reads a form-encoded body; ParseForm reports an oversized body too.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		if tooLarge(err) {
			return &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the request body is too large"}
		}
		return badRequest("malformed form body", nil)
	}
	return nil
}
