package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// devOf is st's device as /proc/PID/maps writes it.
func devOf(st unix.Stat_t) string {
	return fmt.Sprintf("%02x:%02x", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)))
}

// dropBinaryPages unmaps, with MADV_DONTNEED, the pages of the process's
// read-only mappings of its own executable (code, constants, the tables
// of functions). Those mappings are private and never written, so the
// kernel maps the same file pages again on the next access; writable
// mappings, whose private copies MADV_DONTNEED would throw away, are left
// alone.
func dropBinaryPages() error {
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		return err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	dropped := 0
	s := bufio.NewScanner(bytes.NewReader(maps))
	for s.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(s.Text())
		if len(f) < 6 || (f[1] != "r-xp" && f[1] != "r--p") {
			continue
		}
		if ino, err := strconv.ParseUint(f[4], 10, 64); err != nil || ino != exe.Ino || f[3] != devOf(exe) {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return fmt.Errorf("unreadable line in /proc/self/maps: %q", s.Text())
		}
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED); e != 0 {
			return fmt.Errorf("madvise: %w", e)
		}
		dropped++
	}
	if err := s.Err(); err != nil {
		return err
	}
	if dropped == 0 {
		return errors.New("no read-only mapping of the executable in /proc/self/maps")
	}
	return nil
}
