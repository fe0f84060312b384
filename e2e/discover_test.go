package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hopd/hopd/internal/testenv"
)

// newOrg creates an organization in m, as the IAM user's account.
func newOrg(t *testing.T, m *testenv.Moto) *testenv.Organization {
	t.Helper()
	return testenv.NewOrganization(t, m.URL, aws.Credentials{AccessKeyID: iamKeyID, SecretAccessKey: iamSecret})
}

// ownMoto starts a moto for one test, and makes one STS call, since moto
// loads its STS emulation on first use, which takes longer than hopd waits
// for STS. Moto takes seconds to bind the port testenv picked for it, and
// a daemon of a parallel test can take that port meanwhile: then the call
// reaches that daemon, and a second moto on another port is started.
func ownMoto(t *testing.T) *testenv.Moto {
	t.Helper()
	var err error
	for range 2 {
		m := testenv.StartMoto(t)
		client := sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(m.URL),
			Credentials:  credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, ""),
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		cancel()
		if err == nil {
			return m
		}
		t.Logf("the moto on %s does not answer GetCallerIdentity (%v); starting another", m.URL, err)
		m.Stop()
	}
	t.Fatalf("moto does not answer GetCallerIdentity: %v", err)
	return nil
}

// discoverConfig is a config with [discover] and the given [[account]]
// text, for the daemon's listen address and user.
func (d *daemon) discoverConfig(accounts, discover string) string {
	return fmt.Sprintf("listen = %q\n\n[user]\nname = %q\nregion = \"us-east-1\"\n%s\n[discover]\norganizations = true\n%s\n", d.Listen, d.user, accounts, discover)
}

type statusJSON struct {
	Daemon struct {
		Discovery *struct {
			Accounts    int       `json:"accounts"`
			LastRefresh time.Time `json:"last_refresh"`
			LastError   string    `json:"last_error"`
		} `json:"discovery"`
	} `json:"daemon"`
}

func (d *daemon) status() statusJSON {
	d.t.Helper()
	var st statusJSON
	if err := json.Unmarshal([]byte(d.mustRun("status", "--json")), &st); err != nil {
		d.t.Fatalf("hopd status --json is not JSON: %v", err)
	}
	return st
}

func byName(as []accountJSON) map[string]accountJSON {
	m := map[string]accountJSON{}
	for _, a := range as {
		m[a.Name] = a
	}
	return m
}

// An organization with 3 OUs and 25 accounts, one suspended: hopd offers the
// 24 active ones without an [[account]] each, every one of them works with
// the AWS CLI, an account in the config overrides the discovered one, and
// accounts added or suspended in AWS come and go on a refresh, without a
// restart. The list survives a restart without asking AWS, and a failed
// listing keeps it.
func TestDiscoverOrganization(t *testing.T) {
	t.Parallel()
	m := ownMoto(t)
	o := newOrg(t, m)
	ous := []string{o.OU("", "Production"), o.OU("", "Staging"), o.OU("", "Sandbox")}
	for i := range 25 {
		o.Account(fmt.Sprintf("Team %02d %s", i, []string{"Prod", "Staging", "Dev"}[i%3]), ous[i%3])
	}
	o.Close("Team 07 Staging")

	d := newDaemon(t, options{accounts: []account{}, moto: m})
	imdsPort := testenv.FreePort(t)
	d.ports["main-prod"] = imdsPort
	override := fmt.Sprintf("\n[[account]]\nname = \"main-prod\"\nid = %q\ncolor = \"#123456\"\nregion = \"eu-west-1\"\nimds_port = %d\n", o.IDs["Team 00 Prod"], imdsPort)
	d.WriteConfig(d.discoverConfig(override, ""))
	d.setKeys(iamKeyID, iamSecret)
	d.start()

	var as []accountJSON
	eventually(t, 30*time.Second, func() string {
		if as = d.accountsJSON(); len(as) != 24 {
			return fmt.Sprintf("hopd accounts lists %d accounts; want the 24 active ones: %v", len(as), as)
		}
		return ""
	})
	got := byName(as)
	if p := got["main-prod"]; p.ID != o.IDs["Team 00 Prod"] || p.Region != "eu-west-1" || p.IMDSPort != imdsPort {
		t.Errorf("the configured override of Team 00 is %+v; want its config name, region and imds_port", p)
	}
	for name, id := range o.IDs {
		a, listed := got[strings.ReplaceAll(strings.ToLower(name), " ", "-")]
		switch name {
		case "Team 00 Prod":
			if listed {
				t.Error("the overridden account is listed under its discovered name too")
			}
		case "Team 07 Staging":
			if listed {
				t.Errorf("the suspended account is listed: %+v", a)
			}
		default:
			if !listed || a.ID != id || a.Role != defaultRole || a.Region != "us-east-1" {
				t.Errorf("%s is listed as %+v; want id %s, the default role and the user's region", name, a, id)
			}
		}
	}
	st := d.status().Daemon.Discovery
	if st == nil || st.Accounts != 24 || st.LastRefresh.IsZero() || st.LastError != "" {
		t.Errorf("hopd status --json says of discovery: %+v", st)
	}

	// Every active account, with the AWS CLI through hopd.
	for _, a := range as {
		d.waitECS(a.Name)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3) // the machine is shared
	for _, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := runCmd(t, d.env(), "", d.Bin, "exec", a.Name, "--", "aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text")
			if r.code != 0 || strings.TrimSpace(r.stdout) != a.ID {
				t.Errorf("hopd exec %s -- aws sts get-caller-identity: exit %d, account %q; want %s\n%s", a.Name, r.code, strings.TrimSpace(r.stdout), a.ID, r.stderr)
			}
		}()
	}
	wg.Wait()
	if c := d.waitIMDS("main-prod"); c.AccessKeyID == "" {
		t.Error("the override's imds_port serves no credentials")
	}

	// Changes in AWS show after a refresh, without a restart.
	o.Account("Team 25 New", ous[2])
	o.Close("Team 01 Staging")
	out := d.mustRun("accounts", "--refresh")
	if !strings.Contains(out, "team-25-new") || strings.Contains(out, "team-01-staging") {
		t.Errorf("hopd accounts --refresh after adding Team 25 and suspending Team 01:\n%s", out)
	}
	if !d.lists("team-25-new") || d.lists("team-01-staging") {
		t.Error("hopd accounts --json does not show the refreshed list")
	}
	d.waitECS("team-25-new")
	if r := d.ecs("team-01-staging"); r.status != 404 {
		t.Errorf("the suspended account is still served: %d", r.status)
	}

	// A config edit takes effect at once, and the changed settings make
	// hopd list the accounts again.
	before := d.status().Daemon.Discovery.LastRefresh
	d.WriteConfig(d.discoverConfig(override, `exclude = ["Team 24 Prod"]`))
	eventually(t, 20*time.Second, func() string {
		if d.lists("team-24-prod") {
			return "after excluding it, team-24-prod is still listed"
		}
		if st := d.status().Daemon.Discovery; st == nil || !st.LastRefresh.After(before) {
			return "hopd did not list the accounts again after [discover] changed"
		}
		return ""
	})

	// After a restart the accounts are there at once, from the state
	// directory, without a call to AWS.
	d.stop()
	d.proxy.Reset()
	d.start()
	if n := len(d.accountsJSON()); n != 23 {
		t.Errorf("right after a restart hopd lists %d accounts; want the 23 of before", n)
	}
	if n := d.proxy.Count("ListAccounts"); n != 0 {
		t.Errorf("a restart with a fresh list called ListAccounts %d times; want none", n)
	}

	// AWS Organizations unreachable: the list stays and the error says why.
	d.proxy.SetDown(true)
	r := d.run("accounts", "--refresh")
	if r.code == 0 || !oneLine(r.stderr) || !strings.Contains(r.stderr, "cannot reach AWS Organizations") {
		t.Errorf("hopd accounts --refresh with AWS unreachable: exit %d, %q; want one line saying AWS Organizations cannot be reached", r.code, r.stderr)
	}
	if st := d.status().Daemon.Discovery; st == nil || st.LastError == "" || st.Accounts != 23 {
		t.Errorf("hopd status after a failed listing: %+v; want the error and the 23 discovered accounts kept", st)
	}
	if out := d.mustRun("status"); !strings.Contains(out, "discovery: 23 accounts") || !strings.Contains(out, "last attempt failed") {
		t.Errorf("hopd status does not show discovery's state:\n%s", out)
	}
	if n := len(d.accountsJSON()); n != 23 {
		t.Errorf("after a failed listing hopd lists %d accounts; want the 23 kept", n)
	}
}

// The tray's menu, read over D-Bus, shows discovered accounts, and one added
// in AWS after a refresh, without a restart. Not parallel: the test is the
// tray host of the shared private bus, like TestTrayMenu.
func TestDiscoverTrayMenu(t *testing.T) {
	m := ownMoto(t)
	o := newOrg(t, m)
	o.Account("Alpha", "")
	o.Account("Beta", "")

	d := newDaemon(t, options{accounts: []account{}, moto: m, serveArgs: []string{"--no-tray=false"}})
	d.WriteConfig(d.discoverConfig("", ""))
	d.setKeys(iamKeyID, iamSecret)

	var addr string
	for _, kv := range d.keyEnv {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	conn, w := ownWatcher(t, addr)
	d.start()
	var it trayItem
	eventually(t, 15*time.Second, func() string {
		var ok bool
		if it, ok = w.item(conn, d.PID()); !ok {
			return "hopd's tray icon did not register with the watcher"
		}
		return ""
	})
	menuHas := func(names ...string) {
		t.Helper()
		eventually(t, 20*time.Second, func() string {
			menu, err := getMenu(conn, it)
			if err != nil {
				return err.Error()
			}
			for _, n := range names {
				if _, ok := menu.find(n); !ok {
					return fmt.Sprintf("the tray menu %v has no %q", menu.labels(), n)
				}
			}
			return ""
		})
	}
	menuHas("alpha", "beta")

	o.Account("Gamma", "")
	d.mustRun("accounts", "--refresh")
	if !d.lists("gamma") {
		t.Error("hopd accounts does not list gamma after a refresh")
	}
	menuHas("alpha", "beta", "gamma")
}
