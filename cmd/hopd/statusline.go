package main

import (
	"fmt"
	"io"
	"time"

	"github.com/hopd/hopd/internal/api"
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
