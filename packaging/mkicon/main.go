// Command mkicon writes hopd's application icon, at the sizes of the
// freedesktop.org hicolor theme, under a packaging root:
//
//	go run ./packaging/mkicon -root build/deb
//
// writes build/deb/usr/share/icons/hicolor/NxN/apps/hopd.png. It draws the
// tray's own icon, so the menu entry and the tray look alike.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hopd/hopd/internal/tray/icon"
)

// sizes are those desktops look for first: launchers, menus, settings.
var sizes = []int{48, 128, 256}

func main() {
	root := flag.String("root", "", "packaging root to write usr/share/icons/... under (required)")
	flag.Parse()
	if *root == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "mkicon: give the packaging root: go run ./packaging/mkicon -root DIR")
		os.Exit(2)
	}
	for _, n := range sizes {
		dir := filepath.Join(*root, "usr", "share", "icons", "hicolor", strconv.Itoa(n)+"x"+strconv.Itoa(n), "apps")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "mkicon: "+err.Error())
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(dir, "hopd.png"), icon.PNG(icon.Tray(icon.Normal, n)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "mkicon: "+err.Error())
			os.Exit(1)
		}
	}
}
