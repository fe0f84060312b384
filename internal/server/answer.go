package server

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hopd/hopd/internal/broker"
)

// answer is one version of an account's credentials as both endpoints
// send them. Encoding a kilobyte of JSON with escaping was the larger part
// of the handler's own time, for bytes that change only when the broker
// refreshes; an answer is built once per version and only read after.
type answer struct {
	src broker.Creds // what it was built from, to tell whether it is still the current version

	ecs, imds       []byte
	ecsLen, imdsLen []string // Content-Length values, so the answer can be flushed before the bookkeeping
}

// answers holds the newest answer of each account that was served. The map
// is replaced, never changed, so the hot path reads it without a lock.
type answers struct {
	m  atomic.Pointer[map[string]*answer]
	mu sync.Mutex // serialises replacements of m
}

// maxAnswers bounds the cache: names of accounts removed from the config
// stay in it until it starts over, and a config may name hundreds.
const maxAnswers = 4096

// get returns the answer for c, building it when c is not the version the
// cache holds. Versions are told apart by every field the answer encodes,
// so a stale answer can never be served: the broker hands out the same
// strings until it refreshes, and comparing those is cheap.
func (as *answers) get(account string, c *broker.Creds) *answer {
	if m := as.m.Load(); m != nil {
		if a := (*m)[account]; a != nil && sameCreds(&a.src, c) {
			return a
		}
	}
	a := buildAnswer(c, time.Now())
	as.mu.Lock()
	var next map[string]*answer
	if old := as.m.Load(); old != nil && len(*old) < maxAnswers {
		next = make(map[string]*answer, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
	} else {
		next = make(map[string]*answer, 1)
	}
	next[account] = a
	as.m.Store(&next)
	as.mu.Unlock()
	return a
}

func sameCreds(a, b *broker.Creds) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey == b.SecretAccessKey &&
		a.SessionToken == b.SessionToken && a.AccountID == b.AccountID && a.Expiration.Equal(b.Expiration)
}

// buildAnswer encodes c. The IMDS answer's LastUpdated is when this
// version was first served, which is what EC2 reports too (when the
// credentials last changed), rather than the time of each request.
func buildAnswer(c *broker.Creds, now time.Time) *answer {
	secrets := len(c.AccessKeyID) + len(c.SecretAccessKey) + len(c.SessionToken)
	b := make([]byte, 0, 2*secrets+256)
	b = append(b, '{')
	b = appendField(b, "AccessKeyId", c.AccessKeyID, true)
	b = appendField(b, "SecretAccessKey", c.SecretAccessKey, false)
	b = appendField(b, "Token", c.SessionToken, false)
	b = appendTimeField(b, "Expiration", c.Expiration)
	b = appendField(b, "AccountId", c.AccountID, false)
	b = append(b, '}')
	ecs := b

	b = b[len(b):] // the IMDS answer after it, in the same array
	b = append(b, `{"Code":"Success"`...)
	b = appendTimeField(b, "LastUpdated", now)
	b = append(b, `,"Type":"AWS-HMAC"`...)
	b = appendField(b, "AccessKeyId", c.AccessKeyID, false)
	b = appendField(b, "SecretAccessKey", c.SecretAccessKey, false)
	b = appendField(b, "Token", c.SessionToken, false)
	b = appendTimeField(b, "Expiration", c.Expiration)
	b = append(b, '}')
	imds := b[:len(b):len(b)]
	return &answer{
		src:    *c,
		ecs:    ecs[:len(ecs):len(ecs)],
		imds:   imds,
		ecsLen: []string{strconv.Itoa(len(ecs))}, imdsLen: []string{strconv.Itoa(len(imds))},
	}
}

// writeAnswer sends body and flushes it, so that what the handler does
// after (the dashboard's record, the log) no longer delays the client.
// The Content-Length keeps the flushed answer from being chunked.
func writeAnswer(w http.ResponseWriter, body []byte, clen []string) int {
	setHeaders(w, hdrJSON)
	w.Header()["Content-Length"] = clen
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return http.StatusOK
}
