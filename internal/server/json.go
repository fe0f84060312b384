package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"
)

// Shared header values: assigning a ready slice to the header map costs no
// allocation, where Header().Set would make a new one per response. net/http
// never writes into header value slices, and Set/Add replace or copy them.
var (
	hdrJSON    = []string{"application/json"} // exactly: the Go SDK parses error bodies only then
	hdrText    = []string{"text/plain"}
	hdrNoStore = []string{"no-store"}
	hdrNoSniff = []string{"nosniff"}
)

const maxBody = 4 << 10

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

func setHeaders(w http.ResponseWriter, contentType []string) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNoSniff
}

// writeBody sends a ready body and returns status, so handlers can end with
// `return writeBody(...)` and the caller logs the status without wrapping
// the ResponseWriter.
func writeBody(w http.ResponseWriter, status int, contentType []string, body []byte) int {
	setHeaders(w, contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

func writeText(w http.ResponseWriter, text string) int {
	setHeaders(w, hdrText)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(text))
	return http.StatusOK
}

// writeError answers {"code","message"}. Messages are fixed sentences or
// broker reasons, which never hold secrets.
func writeError(w http.ResponseWriter, status int, code, msg string) int {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"code":`...)
	b = appendString(b, code)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, '}')
	writeBody(w, status, hdrJSON, b)
	*bp = b
	bufPool.Put(bp)
	return status
}

// writeValue is for the cold paths (status, accounts) where encoding/json's
// reflection costs nothing that matters.
func writeValue(w http.ResponseWriter, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return writeError(w, http.StatusInternalServerError, "internal", "hopd could not encode its answer; see its log")
	}
	return writeBody(w, http.StatusOK, hdrJSON, b)
}

// appendField appends `"name":"value"` with a leading comma unless first.
func appendField(b []byte, name, value string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return appendString(b, value)
}

func appendTimeField(b []byte, name string, t time.Time) []byte {
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":"`...)
	b = appendTime(b, t)
	return append(b, '"')
}

// appendTime writes RFC 3339 UTC with a Z and whole seconds, the one form
// every SDK parses.
func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().Truncate(time.Second).AppendFormat(b, time.RFC3339)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping like encoding/json
// (including <, > and & and invalid UTF-8) so output is safe anywhere.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
