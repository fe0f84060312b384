package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"sync"
	"time"
)

// IMDSv2 tokens are stateless so that nothing grows per request:
// base64url(expiry || HMAC-SHA256(key, port || expiry)). The key is random
// per Server, so tokens die with the daemon (SDKs fetch a new one on 401),
// and the port binds a token to one account's listener.
const (
	imdsMACLen   = sha256.Size
	imdsRawLen   = 8 + imdsMACLen
	imdsTokenLen = (imdsRawLen*8 + 5) / 6 // unpadded base64
)

// tokenEncoding is strict so that each token has exactly one spelling.
var tokenEncoding = base64.RawURLEncoding.Strict()

// macState is pooled with its buffers, since slices handed to hash.Hash's
// interface methods escape and would otherwise be allocated per request.
type macState struct {
	h   hash.Hash
	msg [10]byte
	sum [imdsMACLen]byte
	raw [imdsRawLen]byte
	tok [imdsTokenLen]byte
}

type macPool struct{ p sync.Pool }

func (mp *macPool) init(key []byte) {
	mp.p.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
}

// mac fills st.sum with the MAC of port and expiry.
func (st *macState) mac(port int, expiry int64) {
	binary.BigEndian.PutUint16(st.msg[0:], uint16(port))
	binary.BigEndian.PutUint64(st.msg[2:], uint64(expiry))
	st.h.Reset()
	st.h.Write(st.msg[:])
	st.h.Sum(st.sum[:0])
}

func (s *Server) mintIMDSToken(port int, expires time.Time) string {
	st := s.macs.p.Get().(*macState)
	defer s.macs.p.Put(st)
	exp := expires.Unix()
	st.mac(port, exp)
	binary.BigEndian.PutUint64(st.raw[:8], uint64(exp))
	copy(st.raw[8:], st.sum[:])
	return tokenEncoding.EncodeToString(st.raw[:])
}

// validIMDSToken checks the MAC and that the token has not expired.
func (s *Server) validIMDSToken(tok string, port int, now time.Time) bool {
	if len(tok) != imdsTokenLen {
		return false
	}
	st := s.macs.p.Get().(*macState)
	defer s.macs.p.Put(st)
	copy(st.tok[:], tok)
	n, err := tokenEncoding.Decode(st.raw[:], st.tok[:])
	if err != nil || n != imdsRawLen {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(st.raw[:8]))
	if now.Unix() >= exp {
		return false
	}
	st.mac(port, exp)
	return hmac.Equal(st.sum[:], st.raw[8:])
}
