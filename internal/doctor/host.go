package doctor

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/autostart"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/desktop"

	"github.com/hopd/hopd/internal/awsenv"
)

// CheckTray says whether the desktop can show hopd's tray icon, asking
// what the daemon's tray asks (desktop.ProbeTray) so that the two agree.
// busAddr is desktop.SessionBus's answer.
func CheckTray(ctx context.Context, goos, busAddr string, timeout time.Duration) Result {
	if goos == "darwin" || goos == "windows" {
		return Result{"tray", OK, "the tray is part of the desktop"}
	}
	if busAddr == "" {
		return Result{"tray", Warn, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so hopd runs without a tray icon: run hopd inside your desktop session"}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, err := desktop.ProbeTray(ctx, goos, busAddr)
	switch {
	case err != nil:
		return Result{"tray", Warn, fmt.Sprintf("%v, so hopd runs without a tray icon: run hopd inside your desktop session", err)}
	case host != desktop.TrayHostReady:
		return Result{"tray", Warn, "the desktop shows no tray icons (nothing owns " + desktop.WatcherName + "), so hopd runs without one: on GNOME install the AppIndicator extension (gnome-shell-extension-appindicator)"}
	}
	return Result{"tray", OK, "the desktop shows tray icons"}
}

// CheckAutostart says whether hopd starts at login and whether the entry
// still starts a hopd that exists.
func CheckAutostart(status func() (autostart.State, error), exe string) Result {
	st, err := status()
	switch {
	case err != nil:
		return Result{"autostart", Fail, err.Error()}
	case !st.Enabled:
		return Result{"autostart", Warn, "hopd does not start at login: run `hopd autostart enable`"}
	case st.Missing:
		return Result{"autostart", Fail, st.Problem(exe)}
	case !st.Current:
		return Result{"autostart", Warn, fmt.Sprintf("the autostart entry %s starts %s, not this hopd (%s): run `hopd autostart enable` to switch", st.Path, st.Program(), exe)}
	}
	return Result{"autostart", OK, "hopd starts at login: " + st.Path}
}

// STSEndpoint is where hopd's STS calls go: AWS_ENDPOINT_URL_STS, else
// AWS_ENDPOINT_URL (as the SDK reads them), else the regional endpoint of
// the first user's region.
func STSEndpoint(cfg *config.Config, getenv func(string) string) string {
	if v := awsenv.EndpointFrom(getenv, "STS"); v != "" {
		return v
	}
	region := "us-east-1"
	if cfg != nil && len(cfg.Users) > 0 && cfg.Users[0].Region != "" {
		region = cfg.Users[0].Region
	}
	if config.Partition(region) == "aws-cn" {
		return "https://sts." + region + ".amazonaws.com.cn"
	}
	return "https://sts." + region + ".amazonaws.com"
}

// Skew limits: AWS refuses requests signed more than 5 minutes off its
// clock; a minute off is a clock that is drifting.
const (
	skewFail = 5 * time.Minute
	skewWarn = time.Minute
)

// CheckClock compares the local clock with the Date of an unsigned request
// to STS, which every AWS endpoint (and moto) sends.
func CheckClock(ctx context.Context, hc *http.Client, endpoint string, now func() time.Time, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return Result{"clock", Fail, fmt.Sprintf("the STS endpoint %q is not a URL: fix AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL", endpoint)}
	}
	sent := now()
	resp, err := hc.Do(req)
	if err != nil {
		return Result{"clock", Fail, fmt.Sprintf("cannot reach STS at %s (%s): hopd cannot refresh credentials without it; check the network or proxy", endpoint, oneLine(err))}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	got := now()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return Result{"clock", Warn, fmt.Sprintf("STS at %s sent no usable Date header, so the clock was not compared", endpoint)}
	}
	// The server stamped its Date somewhere between sending and receiving,
	// cut to the second: judge the middle against the middle.
	local := sent.Add(got.Sub(sent) / 2)
	date = date.Add(500 * time.Millisecond)
	skew := local.Sub(date)
	abs := time.Duration(math.Abs(float64(skew))).Round(time.Second)
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	switch {
	case abs >= skewFail:
		return Result{"clock", Fail, fmt.Sprintf("this computer's clock is %s %s STS's (%s): AWS refuses requests signed more than 5 minutes off; set the clock right (turn on automatic time / NTP)", abs, dir, endpoint)}
	case abs >= skewWarn:
		return Result{"clock", Warn, fmt.Sprintf("this computer's clock is %s %s STS's (%s): turn on automatic time (NTP) before it drifts past AWS's 5-minute limit", abs, dir, endpoint)}
	}
	return Result{"clock", OK, fmt.Sprintf("the clock agrees with STS (%s) to within a minute", endpoint)}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
