package daemon

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hopd/hopd/internal/atomicfile"
	"github.com/hopd/hopd/internal/console"
	"github.com/hopd/hopd/internal/filetrust"
)

// maxRecent is how many services the tray's "Open console at" remembers.
const maxRecent = 5

// defaultServices fill "Open console at" until the user has recent ones.
var defaultServices = []string{"s3", "ec2", "lambda", "iam", "logs", "cloudformation"}

// recentServices are the console services opened last, most recent first,
// kept in the state directory so that the tray offers them after a restart.
type recentServices struct {
	path string

	mu       sync.Mutex
	services []string
	loaded   bool
}

// list is what the tray offers: the recent services, then the defaults.
func (r *recentServices) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	out := slices.Clone(r.services)
	for _, s := range defaultServices {
		if len(out) >= maxRecent+3 {
			break
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// use notes that a service was opened. It returns whether the list
// changed, so the tray is rebuilt only then.
func (r *recentServices) use(service string) (bool, error) {
	name, ok := console.ServiceName(service)
	if !ok {
		return false, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.load()
	if len(r.services) > 0 && r.services[0] == name {
		return false, nil
	}
	r.services = slices.DeleteFunc(r.services, func(s string) bool { return s == name })
	r.services = append([]string{name}, r.services...)
	if len(r.services) > maxRecent {
		r.services = r.services[:maxRecent]
	}
	data, _ := json.Marshal(r.services)
	return true, atomicfile.Write(r.path, data, 0o600)
}

// load reads the file once; a missing or unreadable one is an empty list:
// remembering services is a convenience, never a reason to fail.
func (r *recentServices) load() {
	if r.loaded {
		return
	}
	r.loaded = true
	data, err := filetrust.ReadFile(r.path)
	if err != nil {
		return
	}
	var names []string
	if json.Unmarshal(data, &names) != nil {
		return
	}
	for _, n := range names {
		if c, ok := console.ServiceName(n); ok && !slices.Contains(r.services, c) && len(r.services) < maxRecent {
			r.services = append(r.services, c)
		}
	}
}

// consoleSessions remember when the console sessions hopd opened end, so
// that the tray and the page can say so and offer to open them again:
// on the IAM-user path role chaining ends them within the hour.
type consoleSessions struct {
	mu   sync.Mutex
	ends map[string]time.Time // account -> when its last console session ends
}

func (c *consoleSessions) opened(account string, ends time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ends == nil {
		c.ends = map[string]time.Time{}
	}
	c.ends[account] = ends
}

// live returns the sessions that have not ended by now.
func (c *consoleSessions) live(now time.Time) map[string]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.DeleteFunc(c.ends, func(_ string, end time.Time) bool { return !now.Before(end) })
	return maps.Clone(c.ends)
}
