package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/broker"
	"github.com/hopd/hopd/internal/testenv"
	"github.com/hopd/hopd/internal/tray"
)

// 500 accounts: how long a listing takes, how long the menu takes to build,
// and how much memory the daemon holds. The numbers are logged; the bounds
// asserted are only generous ones, as the machine is shared.
func TestDiscoverScale(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 500 accounts in moto")
	}
	t.Parallel()
	m := ownMoto(t)
	o := newOrg(t, m)
	start := time.Now()
	for i := range 500 {
		o.Account("Account "+strconv.Itoa(i), "")
	}
	t.Logf("created 500 accounts in moto in %s", time.Since(start).Round(time.Millisecond))

	d := newDaemon(t, options{accounts: []account{}, moto: m})
	d.WriteConfig(d.discoverConfig("", ""))
	d.setKeys(iamKeyID, iamSecret)
	d.start()
	rssStart := vmRSS(t, d.PID())
	eventually(t, time.Minute, func() string {
		if n := len(d.accountsJSON()); n != 500 {
			return fmt.Sprintf("hopd lists %d accounts; want 500", n)
		}
		return ""
	})

	// Timed: listings on demand, as the control API sees them end to end,
	// and as the daemon's log says the listing itself took.
	var took []time.Duration
	for range 3 {
		t0 := time.Now()
		d.mustRun("accounts", "--refresh")
		took = append(took, time.Since(t0))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	rss := vmRSS(t, d.PID())

	// The menu as the tray builds it from the daemon's state.
	var st struct {
		Broker broker.Status `json:"broker"`
	}
	if err := json.Unmarshal([]byte(d.mustRun("status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	menu := len(tray.Build(tray.State{Users: st.Broker.Users, Accounts: st.Broker.Accounts, Now: time.Now()}).Items)
	build := time.Since(t0)

	t.Logf("500 accounts: `hopd accounts --refresh` %v (median %v); daemon log: %s; menu of %d top-level items built in %v; daemon VmRSS %d kB at start, %d kB after the listings",
		took, took[1], listingTimes(d.Log()), menu, build, rssStart, rss)
	if took[1] > 30*time.Second {
		t.Errorf("a listing of 500 accounts takes %v; want well under 30 s", took[1])
	}
	if rss > 200*1024 {
		t.Errorf("the daemon holds %d kB with 500 accounts; want well under 200 MB", rss)
	}
	if cache, err := os.Stat(filepath.Join(d.State, "discovered-accounts.json")); err != nil || cache.Size() == 0 {
		t.Errorf("no cache of the listing in the state directory: %v", err)
	}
}

// vmRSS is a process's resident set in kB, from /proc.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		testenv.Missing(t, "/proc (to measure the daemon's memory)", err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// listingTimes picks what the daemon logged about its listings.
func listingTimes(log string) string {
	var out []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, "listed the organization's accounts") {
			if i := strings.Index(line, "took="); i >= 0 {
				out = append(out, strings.Fields(line[i:])[0])
			}
		}
	}
	return strings.Join(out, " ")
}
