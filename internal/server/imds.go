package server

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hopd/hopd/internal/config"
)

const (
	hdrIMDSToken = "X-Aws-Ec2-Metadata-Token"             // canonical form of X-aws-ec2-metadata-token
	hdrIMDSTTL   = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds" // canonical form of X-aws-ec2-metadata-token-ttl-seconds
	maxIMDSTTL   = 21600
	instanceID   = "i-hopd"

	credsPath = "/latest/meta-data/iam/security-credentials/"
)

// imdsHandler serves one listener. The account sits behind an atomic
// pointer so that a reload that changes the account's role or region takes
// effect without reopening the port.
type imdsHandler struct {
	s    *Server
	port int
	acct atomic.Pointer[config.Account]
}

func (h *imdsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	a := h.acct.Load()
	route, status := h.serve(w, r, a)
	h.s.logRequest(r, route, a.Name, status, start)
}

func (h *imdsHandler) serve(w http.ResponseWriter, r *http.Request, a *config.Account) (route string, status int) {
	if msg := h.s.checkConn(r, h.port); msg != "" {
		return "guard", writeError(w, http.StatusForbidden, "forbidden", msg)
	}
	if fromBrowser(r.Header) {
		return "guard", writeError(w, http.StatusForbidden, "forbidden", msgBrowser)
	}
	p := r.URL.Path
	for len(p) > 1 && p[1] == '/' { // the Java SDK sends //latest/...
		p = p[1:]
	}
	if p == "/latest/api/token" {
		return "imds-token", h.serveToken(w, r)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "imds", methodNotAllowed(w, "GET")
	}
	if tok, ok := r.Header[hdrIMDSToken]; ok {
		if len(tok) != 1 || !h.s.validIMDSToken(tok[0], h.port, time.Now()) {
			return "imds", writeError(w, http.StatusUnauthorized, "unauthorized", "the IMDSv2 token is wrong or expired; PUT /latest/api/token for a new one")
		}
	} else if !a.IMDSv1 {
		return "imds", writeError(w, http.StatusUnauthorized, "unauthorized", "IMDSv1 is off for this account: PUT /latest/api/token first, or set imdsv1 = true for it")
	}

	if role, ok := strings.CutPrefix(p, credsPath); ok && role != "" {
		return "imds-creds", h.serveCreds(w, r, a, role)
	}
	switch p {
	case credsPath, credsPath[:len(credsPath)-1]:
		return "imds-role", writeText(w, a.Role)
	case "/latest/meta-data/placement/region":
		return "imds-region", writeText(w, a.Region)
	case "/latest/meta-data/placement/availability-zone":
		return "imds-az", writeText(w, a.Region+"a")
	case "/latest/dynamic/instance-identity/document":
		return "imds-identity", h.serveIdentity(w, a)
	case "/latest/meta-data/iam/info":
		return "imds-info", writeValue(w, map[string]string{
			"Code":               "Success",
			"LastUpdated":        string(appendTime(nil, time.Now())),
			"InstanceProfileArn": "arn:" + config.Partition(a.Region) + ":iam::" + a.ID + ":instance-profile/" + a.Role,
			"InstanceProfileId":  "AIPAHOPD" + a.ID,
		})
	case "/latest/meta-data/instance-id":
		return "imds", writeText(w, instanceID)
	case "/latest", "/latest/":
		return "imds", writeText(w, "api/\ndynamic/\nmeta-data/")
	case "/latest/meta-data", "/latest/meta-data/":
		return "imds", writeText(w, "iam/\ninstance-id\nplacement/")
	case "/latest/meta-data/iam", "/latest/meta-data/iam/":
		return "imds", writeText(w, "info\nsecurity-credentials/")
	case "/latest/meta-data/placement", "/latest/meta-data/placement/":
		return "imds", writeText(w, "availability-zone\nregion")
	case "/latest/dynamic", "/latest/dynamic/":
		return "imds", writeText(w, "instance-identity/")
	case "/latest/dynamic/instance-identity", "/latest/dynamic/instance-identity/":
		return "imds", writeText(w, "document")
	}
	return "unknown", writeError(w, http.StatusNotFound, "not_found", "hopd's IMDS has nothing at this path")
}

func (h *imdsHandler) serveToken(w http.ResponseWriter, r *http.Request) int {
	// Real IMDS refuses forwarded token requests, so that a misconfigured
	// proxy on the machine cannot hand tokens to others.
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		return writeError(w, http.StatusForbidden, "forbidden", "IMDS tokens are not handed out through proxies")
	}
	if r.Method != http.MethodPut {
		return methodNotAllowed(w, "PUT")
	}
	ttl := r.Header.Get(hdrIMDSTTL)
	secs, ok := parseTTL(ttl)
	if !ok {
		return writeError(w, http.StatusBadRequest, "bad_request", "X-aws-ec2-metadata-token-ttl-seconds must be a whole number of seconds from 1 to 21600")
	}
	tok := h.s.mintIMDSToken(h.port, time.Now().Add(time.Duration(secs)*time.Second))
	// The Go SDK reads the TTL from the response, not from its request.
	w.Header()[hdrIMDSTTL] = []string{ttl}
	return writeText(w, tok)
}

func parseTTL(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= 1 && n <= maxIMDSTTL
}

func (h *imdsHandler) serveCreds(w http.ResponseWriter, r *http.Request, a *config.Account, role string) int {
	if role != a.Role {
		return writeError(w, http.StatusNotFound, "not_found", "this IMDS serves only the role "+a.Role)
	}
	c, err := h.s.opts.Source.Credentials(r.Context(), a.Name)
	if err == nil {
		err = checkFresh(a.Name, c)
	}
	if err != nil {
		return h.s.writeSourceError(w, r, a.Name, err)
	}
	ans := h.s.answers.get(a.Name, &c)
	writeAnswer(w, ans.imds, ans.imdsLen)
	if h.s.opts.OnServe != nil {
		h.s.onServe(r, a.Name, "imds")
	}
	return http.StatusOK
}

// serveIdentity answers the instance identity document, from which SDKs
// (Go's imds.GetRegion among them) learn their region.
func (h *imdsHandler) serveIdentity(w http.ResponseWriter, a *config.Account) int {
	return writeValue(w, map[string]any{
		"accountId":               a.ID,
		"architecture":            "x86_64",
		"availabilityZone":        a.Region + "a",
		"billingProducts":         nil,
		"devpayProductCodes":      nil,
		"imageId":                 "ami-00000000000000000",
		"instanceId":              instanceID,
		"instanceType":            "t3.micro",
		"kernelId":                nil,
		"marketplaceProductCodes": nil,
		"pendingTime":             string(appendTime(nil, h.s.created)),
		"privateIp":               IMDSHost,
		"ramdiskId":               nil,
		"region":                  a.Region,
		"version":                 "2017-09-30",
	})
}
