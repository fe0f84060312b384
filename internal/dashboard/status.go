package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/broker"
)

// view is what /api/status and the event stream send: the broker's state
// (which holds no secrets), the recent clients and the daemon's info.
type view struct {
	Seq         uint64        `json:"seq"` // the page keeps the view with the highest
	Now         time.Time     `json:"now"` // the page's countdowns run on hopd's clock
	Version     string        `json:"version,omitempty"`
	ConfigPath  string        `json:"config_path,omitempty"`
	ConfigError string        `json:"config_error,omitempty"`
	Users       []userView    `json:"users"`
	Accounts    []accountView `json:"accounts"`
	SSO         []api.SSOInfo `json:"sso"`
	Services    []string      `json:"services"`
}

type userView struct {
	broker.UserStatus
	// NeedsCode: the page offers the MFA form. A user with an MFA device
	// and no valid session needs a code before any account works.
	NeedsCode bool `json:"needs_code"`
}

type accountView struct {
	broker.AccountStatus
	// WaitingForMFA: the account's user needs a code, so its credentials
	// wait for one rather than being broken.
	WaitingForMFA bool         `json:"waiting_for_mfa"`
	Clients       []clientView `json:"clients"`
	ConsoleEnds   time.Time    `json:"console_ends,omitzero"` // when the console session hopd opened ends
	OwnBrowser    bool         `json:"own_browser,omitempty"` // hopd opens its console with a browser command
}

func (d *Dashboard) view() view {
	d.viewMu.Lock()
	d.viewSeq++
	seq, st := d.viewSeq, d.opts.Source.Status()
	d.viewMu.Unlock()
	var consoleEnds map[string]time.Time
	var own map[string]bool
	v := view{Seq: seq, Now: d.now().UTC(), Users: []userView{}, Accounts: []accountView{}, SSO: []api.SSOInfo{}, Services: []string{}}
	if d.opts.Info != nil {
		info := d.opts.Info()
		v.Version, v.ConfigPath, v.ConfigError = info.Version, info.ConfigPath, info.ConfigError
		if info.SSO != nil {
			v.SSO = info.SSO
		}
		if info.Services != nil {
			v.Services = info.Services
		}
		consoleEnds, own = info.ConsoleEnds, info.OwnBrowser
	}
	waiting := map[string]bool{}
	for _, u := range st.Users {
		need := u.MFA && u.State != api.UserOK
		waiting[u.Name] = need
		v.Users = append(v.Users, userView{UserStatus: u, NeedsCode: need})
	}
	names := make(map[string]bool, len(st.Accounts))
	for _, a := range st.Accounts {
		names[a.Name] = true
		v.Accounts = append(v.Accounts, accountView{
			AccountStatus: a,
			WaitingForMFA: waiting[a.User] && a.State != api.AccountFresh && a.State != api.AccountRefreshing,
			Clients:       d.clients.recent(a.Name),
			ConsoleEnds:   consoleEnds[a.Name],
			OwnBrowser:    own[a.Name],
		})
	}
	d.clients.forget(names)
	return v
}

// streamRefresh is how often the event stream sends the state even when
// nothing announced a change: the config error and clients' times are
// not announced by the broker.
const streamRefresh = 10 * time.Second

// serveEvents streams the state as server-sent events: at once, whenever
// the broker announces a change, and every streamRefresh.
func (d *Dashboard) serveEvents(w http.ResponseWriter, r *http.Request) {
	select {
	case d.streams <- struct{}{}:
		defer func() { <-d.streams }()
	default:
		writeError(w, r, http.StatusServiceUnavailable, "busy", "Too many dashboard tabs are open; close some.")
		return
	}
	changes, unsubscribe := d.opts.Source.Subscribe()
	defer unsubscribe()
	tick := time.NewTicker(streamRefresh)
	defer tick.Stop()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, "retry: 2000\n\n")
	for {
		poked := d.pokes()
		// The server's write timeout is meant for short answers; a stream
		// gets a fresh deadline for every event.
		_ = rc.SetWriteDeadline(time.Now().Add(streamRefresh + 20*time.Second))
		data, err := json.Marshal(d.view())
		if err != nil {
			return
		}
		// json.Marshal writes no newlines, so the data is one event line.
		if _, err := fmt.Fprintf(w, "event: status\ndata: %s\n\n", data); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-d.done:
			return
		case <-changes:
		case <-poked:
		case <-tick.C:
		}
	}
}
