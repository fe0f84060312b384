// Command gen draws hopd's tray icons into assets/tray: PNG for Linux, ICO
// for Windows and template PNG for macOS, for each icon state. It lives
// next to the drawing code so that assets imports nothing of hopd's.
//
//	go run ./internal/tray/icon/gen
package main

import (
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/hopd/hopd/internal/tray/icon"

	"github.com/hopd/hopd/internal/atomicfile"
)

func main() {
	dir := flag.String("dir", filepath.Join("assets", "tray"), "folder to write the icons into")
	flag.Parse()
	if err := write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen: "+err.Error())
		os.Exit(1)
	}
}

func write(dir string) error {
	states := map[string]icon.State{"normal": icon.Normal, "mfa": icon.NeedsMFA, "error": icon.Error}
	for name, s := range states {
		files := map[string][]byte{
			// StatusNotifierItem hosts scale one pixmap to the panel's size.
			name + ".png": icon.PNG(icon.Tray(s, 64)),
			// Windows picks the entry that fits the notification area's DPI.
			name + ".ico": icon.ICO(sizes(func(n int) *image.NRGBA { return icon.Tray(s, n) }, 16, 20, 24, 32, 48)...),
			// The macOS menu bar is 22 pt high; 36 px is an 18 pt icon at 2x.
			name + "-template.png": icon.PNG(icon.Template(s, 36)),
		}
		for file, data := range files {
			if err := atomicfile.Write(filepath.Join(dir, file), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func sizes(draw func(int) *image.NRGBA, ns ...int) []*image.NRGBA {
	imgs := make([]*image.NRGBA, len(ns))
	for i, n := range ns {
		imgs[i] = draw(n)
	}
	return imgs
}
