// Package icon draws hopd's tray icons and account colour dots and encodes them as PNG or ICO.
package icon

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
)

// A shape reports whether a point of the unit square [0,1]x[0,1] is inside it.
type shape func(x, y float64) bool

// layer is a shape painted in one colour; later layers paint over earlier ones.
type layer struct {
	in shape
	c  color.NRGBA
}

// samples per pixel side: 4x4 samples give smooth edges at 16 px.
const samples = 4

// render rasterises layers into a size x size image, anti-aliased by
// supersampling, with straight (non-premultiplied) alpha.
func render(size int, layers []layer) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < samples; sy++ {
				for sx := 0; sx < samples; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/samples) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/samples) / float64(size)
					for i := len(layers) - 1; i >= 0; i-- {
						if l := layers[i]; l.in(x, y) {
							la := float64(l.c.A) / 255
							r += float64(l.c.R) * la
							g += float64(l.c.G) * la
							b += float64(l.c.B) * la
							a += la
							break
						}
					}
				}
			}
			const n = samples * samples
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)),
				G: uint8(math.Round(g / a)),
				B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / n * 255)),
			})
		}
	}
	return img
}

func circle(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

func ring(cx, cy, r, width float64) shape {
	return func(x, y float64) bool {
		d := math.Hypot(x-cx, y-cy)
		return d <= r && d >= r-width
	}
}

func rect(x0, y0, x1, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x <= x1 && y >= y0 && y <= y1 }
}

func roundRect(x0, y0, x1, y1, r float64) shape {
	return func(x, y float64) bool {
		cx := math.Max(x0+r, math.Min(x, x1-r))
		cy := math.Max(y0+r, math.Min(y, y1-r))
		return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
	}
}

// upperArc is the part of a ring above its centre: the path of a hop.
func upperArc(cx, cy, r, width float64) shape {
	return func(x, y float64) bool {
		if y > cy {
			return false
		}
		d := math.Hypot(x-cx, y-cy)
		return d <= r+width/2 && d >= r-width/2
	}
}

func union(shapes ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range shapes {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

func minus(a, b shape) shape {
	return func(x, y float64) bool { return a(x, y) && !b(x, y) }
}

// glyph is hopd's mark: a jump from one point to another.
func glyph() shape {
	return union(
		upperArc(0.5, 0.62, 0.29, 0.11),
		circle(0.21, 0.66, 0.1),
		circle(0.79, 0.66, 0.1),
	)
}

// State is what the tray icon tells at a glance.
type State int

// The icon states.
const (
	Normal   State = iota // a session, or none needed yet
	NeedsMFA              // waiting for an MFA code
	Error                 // something needs attention
)

var (
	ink   = color.NRGBA{0x23, 0x2f, 0x3e, 0xff} // dark slate: readable on light and dark panels behind a white glyph
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	amber = color.NRGBA{0xf5, 0xa6, 0x23, 0xff}
	red   = color.NRGBA{0xd1, 0x32, 0x12, 0xff}
	black = color.NRGBA{0, 0, 0, 0xff}
)

// badge sits in the top-right corner.
const badgeX, badgeY, badgeR = 0.78, 0.22, 0.2

// exclamation is a "!" inside the badge.
func exclamation() shape {
	return union(
		rect(badgeX-0.035, badgeY-0.12, badgeX+0.035, badgeY+0.03),
		circle(badgeX, badgeY+0.09, 0.04),
	)
}

// Tray draws the coloured tray icon for Linux and Windows: a white mark on a
// dark tile, with an amber badge while an MFA code is needed and a red one
// with "!" on errors.
func Tray(s State, size int) *image.NRGBA {
	layers := []layer{
		{roundRect(0.04, 0.04, 0.96, 0.96, 0.2), ink},
		{glyph(), white},
	}
	switch s {
	case NeedsMFA:
		layers = append(layers,
			layer{circle(badgeX, badgeY, badgeR+0.05), ink},
			layer{circle(badgeX, badgeY, badgeR), amber},
		)
	case Error:
		layers = append(layers,
			layer{circle(badgeX, badgeY, badgeR+0.05), ink},
			layer{circle(badgeX, badgeY, badgeR), red},
			layer{exclamation(), white},
		)
	}
	return render(size, layers)
}

// Template draws the macOS menu-bar template icon: black on transparent
// (macOS recolours it for light and dark menu bars), the badge as a ring
// for MFA and a solid disc with a cut-out "!" for errors.
func Template(s State, size int) *image.NRGBA {
	g := glyph()
	clear := circle(badgeX, badgeY, badgeR+0.06)
	switch s {
	case NeedsMFA:
		g = union(minus(g, clear), ring(badgeX, badgeY, badgeR, 0.07))
	case Error:
		g = union(minus(g, clear), minus(circle(badgeX, badgeY, badgeR), exclamation()))
	}
	return render(size, []layer{{g, black}})
}

// Dot draws an account's colour as a disc with a darker rim, so that pale
// colours still show on a white menu.
func Dot(c color.NRGBA, size int) *image.NRGBA {
	rim := color.NRGBA{c.R / 10 * 7, c.G / 10 * 7, c.B / 10 * 7, 0xff}
	return render(size, []layer{
		{circle(0.5, 0.5, 0.4), rim},
		{circle(0.5, 0.5, 0.32), c},
	})
}

// ParseHex reads "#rrggbb", the form the config normalises colours to.
func ParseHex(s string) (color.NRGBA, error) {
	if len(s) != 7 || s[0] != '#' {
		return color.NRGBA{}, errors.New("colour " + strconv.Quote(s) + " is not #rrggbb")
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.NRGBA{}, errors.New("colour " + strconv.Quote(s) + " is not #rrggbb")
	}
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}, nil
}

// PNG encodes an image as PNG.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	// Encoding an in-memory image into a buffer cannot fail.
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// ICO encodes images (each at most 256 px square) as a Windows icon file
// with 32-bit BMP entries, which every Windows version loads.
func ICO(imgs ...*image.NRGBA) []byte {
	var dir, data bytes.Buffer
	le := binary.LittleEndian
	_ = binary.Write(&dir, le, [3]uint16{0, 1, uint16(len(imgs))})
	offset := 6 + 16*len(imgs)
	for _, img := range imgs {
		entry := bmpEntry(img)
		w := img.Bounds().Dx()
		dim := uint8(w)
		if w >= 256 {
			dim = 0
		}
		_ = binary.Write(&dir, le, struct {
			W, H, Colors, Reserved uint8
			Planes, BPP            uint16
			Size, Offset           uint32
		}{dim, dim, 0, 0, 1, 32, uint32(len(entry)), uint32(offset)})
		offset += len(entry)
		data.Write(entry)
	}
	return append(dir.Bytes(), data.Bytes()...)
}

// bmpEntry is one icon image: a BITMAPINFOHEADER of double height, the
// BGRA rows bottom-up, then the 1-bit AND mask (all zero: alpha decides).
func bmpEntry(img *image.NRGBA) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	var b bytes.Buffer
	le := binary.LittleEndian
	maskRow := ((w + 31) / 32) * 4
	_ = binary.Write(&b, le, struct {
		Size                   uint32
		Width, Height          int32
		Planes, BitCount       uint16
		Compression, ImageSize uint32
		XPPM, YPPM             int32
		ClrUsed, ClrImportant  uint32
	}{40, int32(w), int32(2 * h), 1, 32, 0, uint32(w*h*4 + maskRow*h), 0, 0, 0, 0})
	for y := h - 1; y >= 0; y-- {
		for x := 0; x < w; x++ {
			c := img.NRGBAAt(x, y)
			b.Write([]byte{c.B, c.G, c.R, c.A})
		}
	}
	b.Write(make([]byte, maskRow*h))
	return b.Bytes()
}
