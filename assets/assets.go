// Package assets holds hopd's files that are built into the binary: the tray icons and the browser page.
//
// The icons are drawn by `go run ./internal/tray/icon/gen` (see internal/tray/icon) and
// committed, so a build needs no drawing step.
package assets

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed tray/*.png tray/*.ico
var files embed.FS

//go:embed web
var web embed.FS

// Web is the browser page's files (assets/web: HTML, CSS, JavaScript),
// served by internal/dashboard. They are plain files: no build step.
func Web() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic("assets: no embedded web folder: " + err.Error())
	}
	return sub
}

// Icon states, as named in the file names.
const (
	Normal = "normal"
	MFA    = "mfa"
	Error  = "error"
)

// TrayPNG is the tray icon for state as PNG (Linux StatusNotifierItem).
func TrayPNG(state string) []byte { return read(state + ".png") }

// TrayICO is the tray icon for state as ICO (Windows notification area).
func TrayICO(state string) []byte { return read(state + ".ico") }

// TrayTemplate is the macOS menu-bar template icon for state.
func TrayTemplate(state string) []byte { return read(state + "-template.png") }

func read(name string) []byte {
	data, err := files.ReadFile("tray/" + name)
	if err != nil {
		// The names are fixed and the files embedded: a miss is a build mistake.
		panic(fmt.Sprintf("assets: no embedded icon %s: run go run ./internal/tray/icon/gen", name))
	}
	return data
}
