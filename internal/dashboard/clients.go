package dashboard

import (
	"sync"
	"time"

	"github.com/hopd/hopd/internal/peercred"
)

// keepClients is how many recent clients the page shows per account.
const keepClients = 5

// client is one recent client of an account: requests on one connection
// to one endpoint count as one client.
type client struct {
	conn     peercred.Conn
	endpoint string
	last     time.Time
	requests int
	proc     peercred.Process
	looked   bool // the process was looked up (found or not)
	// parent is the pid of the program that ran `hopd creds` for a
	// credential_process client: each run is a new connection of a process
	// that exits at once, so the client is that program, not a connection.
	parent int
}

// clients remembers the last few clients per account. Record is on the
// credentials hot path, so it only takes a lock and touches a short array;
// finding the process behind a connection happens on a goroutine of its
// own, once per connection.
type clients struct {
	now   func() time.Time
	find  func([]peercred.Conn) map[peercred.Conn]peercred.Process // the OS's lookup
	byPID func(int) (peercred.Process, bool)                       // the OS's lookup of a credential_process's parent
	wake  chan struct{}                                            // a new connection waits for its process

	mu        sync.Mutex
	byAccount map[string]*[keepClients]client
	// known remembers the process behind connections already looked up:
	// with more keep-alive clients than keepClients, every request would
	// otherwise look like a new client and cost a scan of /proc.
	known map[peercred.Conn]peercred.Process
}

// keepKnown bounds known; past it the cache starts over.
const keepKnown = 4096

func newClients(now func() time.Time) *clients {
	return &clients{now: now, find: peercred.Processes, byPID: peercred.ProcessByPID, wake: make(chan struct{}, 1), byAccount: map[string]*[keepClients]client{}, known: map[peercred.Conn]peercred.Process{}}
}

// record notes that account's credentials were served on endpoint to peer;
// parent > 0 is the program behind a credential_process, which is then the
// client whatever its connection.
func (c *clients) record(account, endpoint string, peer peercred.Conn, parent int) {
	now := c.now()
	k := peer
	if parent > 0 {
		k = peercred.Conn{}
	}
	c.mu.Lock()
	list := c.byAccount[account]
	if list == nil {
		list = new([keepClients]client)
		c.byAccount[account] = list
	}
	i := 0
	for ; i < keepClients-1; i++ {
		if list[i].conn == k && list[i].endpoint == endpoint && list[i].parent == parent {
			break
		}
	}
	e := list[i]
	fresh := e.conn != k || e.endpoint != endpoint || e.parent != parent
	if fresh {
		e = client{conn: k, endpoint: endpoint, parent: parent}
		if p, ok := c.known[k]; ok && parent == 0 {
			e.proc, e.looked = p, true
			fresh = false
		}
	}
	e.last = now
	e.requests++
	// Move it to the front; the last slot drops out when it is new.
	copy(list[1:i+1], list[:i])
	list[0] = e
	c.mu.Unlock()
	if fresh {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// lookupGap spaces the lookups: a burst of new connections costs a few
// scans of /proc, not one each.
const lookupGap = 250 * time.Millisecond

// resolve looks up the processes of connections not looked up yet, and
// calls changed after each round, until done is closed.
func (c *clients) resolve(done <-chan struct{}, changed func()) {
	for {
		select {
		case <-done:
			return
		case <-c.wake:
		}
		c.lookUp()
		changed()
		select {
		case <-done:
			return
		case <-time.After(lookupGap):
		}
	}
}

func (c *clients) lookUp() {
	var todo []peercred.Conn
	parents := map[int]peercred.Process{}
	c.mu.Lock()
	for _, list := range c.byAccount {
		for _, e := range list {
			switch {
			case e.requests == 0 || e.looked:
			case e.parent > 0:
				parents[e.parent] = peercred.Process{}
			default:
				todo = append(todo, e.conn)
			}
		}
	}
	c.mu.Unlock()
	if len(parents) > 0 {
		for pid := range parents {
			parents[pid], _ = c.byPID(pid)
		}
		c.mu.Lock()
		for _, list := range c.byAccount {
			for i := range list {
				if e := &list[i]; e.parent > 0 && !e.looked {
					if p, ok := parents[e.parent]; ok {
						e.proc, e.looked = p, true
					}
				}
			}
		}
		c.mu.Unlock()
	}
	if len(todo) == 0 {
		return
	}
	found := c.find(todo)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.known)+len(todo) > keepKnown {
		c.known = map[peercred.Conn]peercred.Process{}
	}
	for _, t := range todo {
		// Only what was found: a connection missed once (it closed before
		// the scan) may be found when it is seen again.
		if p, ok := found[t]; ok && p.PID != 0 {
			c.known[t] = p
		}
	}
	for _, list := range c.byAccount {
		for i := range list {
			e := &list[i]
			if e.requests == 0 || e.looked || e.parent > 0 {
				continue
			}
			for _, t := range todo {
				if e.conn == t {
					e.proc, e.looked = found[t], true
				}
			}
		}
	}
}

// clientView is a recent client as the page shows it.
type clientView struct {
	Time     time.Time `json:"time"`
	Endpoint string    `json:"endpoint"`
	Remote   string    `json:"remote"`
	PID      int       `json:"pid,omitempty"`
	Process  string    `json:"process,omitempty"`
	Requests int       `json:"requests"`
}

// recent lists account's recent clients, newest first.
func (c *clients) recent(account string) []clientView {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.byAccount[account]
	views := []clientView{}
	if list == nil {
		return views
	}
	for _, e := range list {
		if e.requests == 0 {
			break
		}
		views = append(views, clientView{
			Time: e.last, Endpoint: e.endpoint, Remote: e.conn.Remote.String(),
			PID: e.proc.PID, Process: e.proc.Name, Requests: e.requests,
		})
	}
	return views
}

// forget drops the accounts that are gone from the config.
func (c *clients) forget(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.byAccount {
		if !keep[name] {
			delete(c.byAccount, name)
		}
	}
}
