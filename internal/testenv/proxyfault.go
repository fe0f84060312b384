package testenv

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// proxyFaults are the ways an STSProxy misbehaves besides being down or
// slow: refusing every call as throttled, or handing out credentials whose
// expiry is not the one STS gave.
type proxyFaults struct {
	mu       sync.Mutex
	throttle bool
	expiry   func(time.Time) time.Time
}

// SetThrottling makes the proxy answer every call the way AWS answers when
// its rate limit is hit (400, code Throttling for the query protocol that
// STS speaks, ThrottlingException for the JSON ones), without passing it
// on. Throttled calls are counted. False turns it off.
func (p *STSProxy) SetThrottling(on bool) {
	p.faults.mu.Lock()
	defer p.faults.mu.Unlock()
	p.faults.throttle = on
}

// SetExpiry makes the proxy replace the Expiration of every set of
// credentials that passes through it (AssumeRole, GetSessionToken) with
// f(the expiration STS gave): for example a time in the past, for an STS
// that hands out expired credentials, or the given time plus an offset, for
// an STS that lives in the future of a daemon whose clock jumped. Nil turns
// it off.
func (p *STSProxy) SetExpiry(f func(time.Time) time.Time) {
	p.faults.mu.Lock()
	defer p.faults.mu.Unlock()
	p.faults.expiry = f
}

func (f *proxyFaults) serve(w http.ResponseWriter, r *http.Request, action string, next http.Handler) {
	f.mu.Lock()
	throttle, expiry := f.throttle, f.expiry
	f.mu.Unlock()
	switch {
	case throttle:
		writeThrottling(w, r)
	case expiry != nil && (action == "AssumeRole" || action == "GetSessionToken"):
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rewriteExpirations(rec.Body.Bytes(), expiry)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	default:
		next.ServeHTTP(w, r)
	}
}

// writeThrottling answers as AWS does when a caller exceeds its rate.
func writeThrottling(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>Throttling</Code>
    <Message>Rate exceeded</Message>
  </Error>
  <RequestId>00000000-0000-4000-8000-000000000001</RequestId>
</ErrorResponse>
`)
}

var expirationElem = regexp.MustCompile(`<Expiration>([^<]*)</Expiration>`)

// rewriteExpirations replaces each <Expiration> of an STS answer with
// f(its value); values that do not parse are left alone.
func rewriteExpirations(body []byte, f func(time.Time) time.Time) []byte {
	return expirationElem.ReplaceAllFunc(body, func(elem []byte) []byte {
		value := expirationElem.FindSubmatch(elem)[1]
		t, err := time.Parse(time.RFC3339, string(value))
		if err != nil {
			return elem
		}
		return []byte("<Expiration>" + f(t).UTC().Format(time.RFC3339) + "</Expiration>")
	})
}
