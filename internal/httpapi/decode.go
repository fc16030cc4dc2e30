package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
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
	return "", &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
		msg: "Content-Type must be " + want}
}

// decodeJSON reads exactly one JSON object into v from a body already capped by the
// size-limit middleware, and says what was wrong and where.
func decodeJSON(r *http.Request, v any) error {
	if _, err := requestKind(r, false); err != nil {
		return err
	}
	return decodeJSONBody(r.Body, v)
}

func decodeJSONBody(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if tooLarge(err) {
			return jsonError(err)
		}
		return badRequest("the body must hold a single JSON object", nil)
	}
	return nil
}

// jsonError turns a decoding error into a client error that names the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case tooLarge(err):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the request body is too large"}
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", syn.Offset), nil)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("the body must be a JSON object", nil)
		}
		return badRequest("a field has the wrong type", map[string]string{field: "must be " + jsonKind(typ.Type.Kind().String())})
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty", nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the JSON body ends early", nil)
	}
	return badRequest("malformed JSON", nil)
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "true or false"
	case goKind == "slice":
		return "an array"
	}
	return "a " + goKind
}

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// parseForm reads a form-encoded body; ParseForm reports an oversized body too.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		if tooLarge(err) {
			return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the request body is too large"}
		}
		return badRequest("malformed form body", nil)
	}
	return nil
}

// writeJSONBytes writes an already encoded JSON body.
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSON writes v with status. Values are the package's own view types, which
// always encode.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	writeJSONBytes(w, status, append(body, '\n'))
}
