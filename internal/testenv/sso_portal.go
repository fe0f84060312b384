package testenv

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The portal half of the SSO stand-in: the sso operations ListAccounts,
// ListAccountRoles, GetRoleCredentials and Logout, authenticated by the
// access token in the x-amz-sso_bearer_token header.

// portalError writes an sso error: type in the header and __type, and a
// message.
func portalError(w http.ResponseWriter, status int, typ, msg string) {
	awsError(w, status, typ, map[string]any{"message": msg})
}

// portalCallLocked counts op, applies Throttle, and checks the bearer
// token; it returns the token, or nil after answering. The caller holds s.mu.
func (s *SSO) portalCallLocked(w http.ResponseWriter, r *http.Request, op string) *ssoToken {
	if s.countLocked(op) {
		portalError(w, 429, "TooManyRequestsException", "Rate exceeded")
		return nil
	}
	tok := s.access[r.Header.Get("x-amz-sso_bearer_token")]
	if tok == nil || !time.Now().Before(tok.expires) || !s.liveLocked(tok.session) {
		portalError(w, 401, "UnauthorizedException", "Session token not found or invalid")
		return nil
	}
	return tok
}

// page cuts n items into the page the request asks for: max_result (1 to
// 100) and next_token, a token an earlier page returned for the same list.
func (s *SSO) pageLocked(w http.ResponseWriter, r *http.Request, list string, n int) (from, to int, next string, ok bool) {
	q := r.URL.Query()
	size := s.pageSize
	if v := q.Get("max_result"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 100 {
			portalError(w, 400, "InvalidRequestException", "max_result must be between 1 and 100")
			return 0, 0, "", false
		}
		size = m
	}
	if t := q.Get("next_token"); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		rest, found := strings.CutPrefix(string(raw), list+"@")
		from, err2 := strconv.Atoi(rest)
		if err != nil || !found || err2 != nil || from < 0 || from > n {
			portalError(w, 400, "InvalidRequestException", "Invalid next_token")
			return 0, 0, "", false
		}
		return s.cut(list, from, size, n)
	}
	return s.cut(list, 0, size, n)
}

func (s *SSO) cut(list string, from, size, n int) (int, int, string, bool) {
	to := min(from+size, n)
	next := ""
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(list + "@" + strconv.Itoa(to)))
	}
	return from, to, next, true
}

func (s *SSO) listAccounts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.portalCallLocked(w, r, "ListAccounts") == nil {
		return
	}
	from, to, next, ok := s.pageLocked(w, r, "accounts", len(s.accounts))
	if !ok {
		return
	}
	list := make([]map[string]string, 0, to-from)
	for _, a := range s.accounts[from:to] {
		list = append(list, map[string]string{"accountId": a.ID, "accountName": a.Name, "emailAddress": a.Email})
	}
	out := map[string]any{"accountList": list}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, 200, out)
}

func (s *SSO) listAccountRoles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.portalCallLocked(w, r, "ListAccountRoles") == nil {
		return
	}
	id := r.URL.Query().Get("account_id")
	if id == "" {
		portalError(w, 400, "InvalidRequestException", "account_id is required")
		return
	}
	var roles []string
	if i, ok := s.byID[id]; ok {
		roles = s.accounts[i].Roles
	}
	from, to, next, ok := s.pageLocked(w, r, "roles:"+id, len(roles))
	if !ok {
		return
	}
	list := make([]map[string]string, 0, to-from)
	for _, role := range roles[from:to] {
		list = append(list, map[string]string{"roleName": role, "accountId": id})
	}
	out := map[string]any{"roleList": list}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, 200, out)
}

// getRoleCredentials answers with a new moto session of the role behind
// the permission set, named for the user; expiration is in epoch
// milliseconds, as the real portal sends it.
func (s *SSO) getRoleCredentials(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	account, set := q.Get("account_id"), q.Get("role_name")
	s.mu.Lock()
	s.counts["GetRoleCredentials:"+account+"/"+set]++
	if s.portalCallLocked(w, r, "GetRoleCredentials") == nil {
		s.mu.Unlock()
		return
	}
	i, assigned := s.byID[account]
	user, ttl := s.user, s.roleTTL
	s.mu.Unlock()

	if account == "" || set == "" {
		portalError(w, 400, "InvalidRequestException", "account_id and role_name are required")
		return
	}
	if !assigned || !slices.Contains(s.accounts[i].Roles, set) {
		// What the real portal answers; the model does not list it.
		portalError(w, 403, "ForbiddenException", "No access")
		return
	}
	if err := s.ensureRole(r.Context(), account, set); err != nil {
		portalError(w, 500, "InternalServerException", err.Error())
		return
	}
	c, err := s.moto.assumeRole(r.Context(), s.RoleARN(account, set), user, ttl)
	if err != nil {
		portalError(w, 500, "InternalServerException", err.Error())
		return
	}
	exp := c.Expires
	if e := time.Now().Add(ttl); e.Before(exp) {
		exp = e
	}
	writeJSON(w, 200, map[string]any{"roleCredentials": map[string]any{
		"accessKeyId":     c.AccessKeyID,
		"secretAccessKey": c.SecretAccessKey,
		"sessionToken":    c.SessionToken,
		"expiration":      exp.UnixMilli(),
	}})
}

// logout ends the sign-in session the token belongs to.
func (s *SSO) logout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.portalCallLocked(w, r, "Logout")
	if tok == nil {
		return
	}
	s.loggedOut[tok.session] = true
	w.WriteHeader(http.StatusOK)
}
