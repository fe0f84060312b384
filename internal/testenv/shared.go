package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

var shared struct {
	sync.Mutex
	moto *Moto
	dir  string
}

// SharedMoto returns one moto server for the whole test process, started on
// first use and stopped by Shutdown (use Main). Starting moto takes seconds,
// so tests that only need STS to answer share it; they must not Stop it, and
// should put a CountingProxy in front of it to count or cut their own calls.
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.moto != nil {
		return shared.moto
	}
	dir, err := os.MkdirTemp("", "hopd-moto-")
	if err != nil {
		t.Fatalf("creating a folder for moto: %v", err)
	}
	port := FreePort(t)
	m := &Moto{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		Port:    port,
		logPath: filepath.Join(dir, "moto.log"),
	}
	m.Start(t)
	shared.moto, shared.dir = m, dir
	atShutdown(func() {
		m.Stop()
		os.RemoveAll(dir)
	})
	return m
}
