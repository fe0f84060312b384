// Command gen draws hopd's tray icons into assets/tray: PNG for Linux, ICO
// for Windows and template PNG for macOS, for each icon state.
//
//	go run ./assets/gen
package main

import (
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/hopd/hopd/internal/tray/icon"
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
			if err := writeAtomic(filepath.Join(dir, file), data); err != nil {
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

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w (run from the repository root, or pass -dir)", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
