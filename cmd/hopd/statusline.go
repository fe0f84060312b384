package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/peercred"
)

// printDiscovery is discovery's line in `hopd status`.
func printDiscovery(w io.Writer, di *api.DiscoveryInfo, now time.Time) {
	if di == nil {
		return
	}
	line := fmt.Sprintf("discovery: %d accounts from AWS Organizations", di.Accounts)
	if di.LastRefresh.IsZero() {
		line += ", not listed yet"
	} else {
		line += fmt.Sprintf(", listed %s ago", now.Sub(di.LastRefresh).Round(time.Second))
	}
	if !di.NextRefresh.IsZero() && di.NextRefresh.After(now) {
		line += fmt.Sprintf(", next in %s", di.NextRefresh.Sub(now).Round(time.Second))
	}
	if di.LastError != "" {
		line += "; last attempt failed (the last list stays): " + di.LastError
	}
	fmt.Fprintln(w, line)
}

// printTakenIMDS warns of each imds_port another program holds: SDKs
// pointed at it would take that program's credentials.
func printTakenIMDS(ctx context.Context, w io.Writer, accounts []api.AccountStatus) {
	for _, a := range accounts {
		if a.IMDSTaken {
			fmt.Fprintln(w, "warning: "+takenIMDS(ctx, a))
		}
	}
}

// takenIMDS says who holds an account's imds_port instead of hopd.
func takenIMDS(ctx context.Context, a api.AccountStatus) string {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(a.IMDSPort))
	who := "another program"
	if uid, known := peercred.Holder(ctx, addr); known {
		who = "a program of " + peercred.UserName(uid)
		if uid == os.Getuid() {
			who = "another program of yours"
		}
	}
	return fmt.Sprintf("imds_port %d of %s is held by %s, not by hopd, and SDKs pointed at it would take its credentials; stop it or set another imds_port (hopd keeps trying to bind it)", a.IMDSPort, a.Name, who)
}
