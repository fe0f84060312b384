package e2e_test

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Edits to the config take effect while hopd runs: an added account is
// listed and its IMDS port opens, a removed one disappears and its port
// closes, and a broken file is reported while the last good config stays in
// force.
func TestConfigLiveReload(t *testing.T) {
	t.Parallel()
	two := threeAccounts[:2]
	d := startDaemon(t, options{accounts: two})
	d.waitECS("production")

	sandbox := account{Name: "sandbox", ID: "555555555555", IMDS: true}
	d.WriteConfig(d.config(append(slices.Clone(two), sandbox)))
	port := d.ports["sandbox"]
	eventually(t, 5*time.Second, func() string {
		if !d.lists("sandbox") {
			return "hopd accounts --json does not list the added account sandbox"
		}
		if !accepts(port) {
			return fmt.Sprintf("sandbox's imds_port %d refuses connections", port)
		}
		return ""
	})
	for _, a := range d.accountsJSON() {
		if a.Name == "sandbox" && (a.ID != sandbox.ID || a.IMDSPort != port) {
			t.Errorf("hopd accounts --json lists sandbox as %+v; want id %s, imds_port %d", a, sandbox.ID, port)
		}
	}
	if c := d.waitIMDS("sandbox"); c.AccessKeyID == "" {
		t.Error("sandbox's IMDS served no credentials")
	}

	d.WriteConfig(d.config(two))
	eventually(t, 5*time.Second, func() string {
		if d.lists("sandbox") {
			return "hopd accounts --json still lists the removed account sandbox"
		}
		if accepts(port) {
			return fmt.Sprintf("the removed account's imds_port %d still accepts connections", port)
		}
		return ""
	})
	if r := d.ecs("sandbox"); r.status != 404 {
		t.Errorf("GET /creds/sandbox after its removal: %d %s; want 404", r.status, r.shown())
	}

	held := d.mustECS("production")
	d.WriteConfig(d.config(two) + "\n[[account]\nname = \"broken\n")
	var configErr string
	eventually(t, 5*time.Second, func() string {
		var st struct {
			Daemon struct {
				ConfigError string `json:"config_error"`
			} `json:"daemon"`
		}
		if err := json.Unmarshal([]byte(d.mustRun("status", "--json")), &st); err != nil {
			return "hopd status --json is not JSON: " + err.Error()
		}
		if configErr = st.Daemon.ConfigError; configErr == "" {
			return "hopd status --json shows no config error for a broken config"
		}
		return ""
	})
	if !strings.Contains(configErr, d.Config) && !strings.Contains(configErr, "config.toml") {
		t.Errorf("the config error %q does not name the file", configErr)
	}
	if out := d.mustRun("status"); !strings.Contains(out, "config error") {
		t.Errorf("hopd status does not show the config error:\n%s", out)
	}
	if c := d.mustECS("production"); c.AccessKeyID != held.AccessKeyID {
		t.Errorf("after a broken edit production was served access key %s; want the held %s", c.AccessKeyID, held.AccessKeyID)
	}
	if c := d.waitIMDS("staging"); c.AccessKeyID == "" {
		t.Error("after a broken edit staging's IMDS served no credentials")
	}
	if !d.lists("production") || !d.lists("staging") {
		t.Errorf("after a broken edit hopd accounts --json lists %v; want the old accounts", d.accountsJSON())
	}
}

// lists reports whether `hopd accounts --json` names the account.
func (d *daemon) lists(name string) bool {
	d.t.Helper()
	for _, a := range d.accountsJSON() {
		if a.Name == name {
			return true
		}
	}
	return false
}

// accepts reports whether a TCP connection to 127.0.0.1:port succeeds.
func accepts(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
