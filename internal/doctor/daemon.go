package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hopd/hopd/internal/client"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/peercred"
)

// Daemon is what the running hopd said about itself; PID is 0 when none
// runs.
type Daemon struct {
	PID       int
	Listen    string
	IMDSPorts map[int]bool
}

// CheckDaemon asks the running hopd, if any, for its status.
func CheckDaemon(ctx context.Context, stateDir string, timeout time.Duration) (Daemon, Result) {
	c, err := client.New(stateDir)
	if errors.Is(err, client.ErrNotRunning) {
		return Daemon{}, Result{"daemon", Warn, err.Error()}
	}
	if err != nil {
		return Daemon{}, Result{"daemon", Fail, err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := c.Status(ctx)
	if errors.Is(err, client.ErrNotRunning) {
		// daemon.json outlived a daemon that was killed.
		return Daemon{}, Result{"daemon", Warn, err.Error()}
	}
	var impostor *client.ImpostorError
	if errors.As(err, &impostor) {
		return Daemon{}, Result{"daemon", Fail, err.Error()}
	}
	if err != nil {
		return Daemon{}, Result{"daemon", Fail, "hopd runs but does not answer its control API (" + err.Error() + "): restart it"}
	}
	d := Daemon{PID: st.Daemon.PID, Listen: st.Daemon.Listen, IMDSPorts: map[int]bool{}}
	for _, a := range st.Broker.Accounts {
		if a.IMDSPort > 0 && !a.IMDSTaken {
			d.IMDSPorts[a.IMDSPort] = true
		}
	}
	if st.Daemon.ConfigError != "" {
		return d, Result{"daemon", Fail, fmt.Sprintf("hopd runs (pid %d) but refused the last config edit, so it serves the config before it: %s", d.PID, st.Daemon.ConfigError)}
	}
	return d, Result{"daemon", OK, fmt.Sprintf("hopd %s runs (pid %d) on %s", st.Daemon.Version, d.PID, d.Listen)}
}

// CheckPorts makes sure hopd can listen where the config says: each port
// is either the running hopd's or free.
func CheckPorts(cfg *config.Config, d Daemon) []Result {
	if cfg == nil {
		return []Result{{"ports", Warn, "not checked: the ports to check come from a valid config"}}
	}
	type port struct{ addr, what, fix string }
	ports := []port{{cfg.Listen, "listen", "set another listen address in the config"}}
	for _, a := range cfg.Accounts {
		if a.IMDSPort > 0 {
			ports = append(ports, port{
				net.JoinHostPort("127.0.0.1", strconv.Itoa(a.IMDSPort)),
				"the imds_port of account " + a.Name,
				"set another imds_port for " + a.Name,
			})
		}
	}
	var out []Result
	free, ours := 0, 0
	for _, p := range ports {
		if d.PID != 0 && (p.addr == d.Listen || p.what != "listen" && d.IMDSPorts[portOf(p.addr)]) {
			ours++
			continue
		}
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			msg := fmt.Sprintf("%s (%s) is taken: %v; stop the program that holds it or %s", p.addr, p.what, err, p.fix)
			if uid, known := peercred.Holder(context.Background(), p.addr); known && uid != os.Getuid() {
				msg = fmt.Sprintf("%s (%s) is held by a program of %s, not by your hopd: it could pose as hopd; stop it or %s", p.addr, p.what, peercred.UserName(uid), p.fix)
			} else if d.PID == 0 {
				msg = fmt.Sprintf("%s (%s) is taken by another program (another hopd with another state directory?): stop it or %s", p.addr, p.what, p.fix)
			}
			out = append(out, Result{"ports", Fail, msg})
			continue
		}
		ln.Close()
		free++
	}
	if len(out) == 0 {
		msg := fmt.Sprintf("all %s free", plural(free, "port"))
		if d.PID != 0 {
			msg = fmt.Sprintf("%s in use by hopd (pid %d), %d free", plural(ours, "port"), d.PID, free)
		}
		out = append(out, Result{"ports", OK, msg})
	}
	return out
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
