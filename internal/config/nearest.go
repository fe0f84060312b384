package config

import (
	"math"
	"strconv"
	"strings"
)

// NearestColor returns the index of the colour in candidates ("#rrggbb"
// or "rrggbb" each) nearest to c, or -1 when c is not such a colour.
// Places that take only a few colours (the console's Switch Role, Firefox
// containers) get the one closest to an account's own.
func NearestColor(c string, candidates []string) int {
	rgbIn, ok := parseHex(c)
	if !ok {
		return -1
	}
	// Palettes like the console's are pale pastels, so plain RGB or Lab
	// distance sends saturated colours to whichever is brightest (#ff9900
	// came out yellow or red). Matching the hue angle in Oklab keeps an
	// orange orange; only colours with no hue fall back to distance.
	in := oklab(rgbIn)
	grey := math.Hypot(in.a, in.b) < greyChroma || in.l < blackL
	best, bestD := -1, math.Inf(1)
	for i, h := range candidates {
		p, ok := parseHex(h)
		if !ok {
			continue
		}
		pc := oklab(p)
		var d float64
		if grey {
			d = sq(in.l-pc.l) + sq(in.a-pc.a) + sq(in.b-pc.b)
		} else {
			d = math.Abs(math.Remainder(hue(in)-hue(pc), 2*math.Pi))
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// Below greyChroma, or darker than blackL, a colour has no hue a person
// would see (Oklab's cube roots make the hue of near-black swing wildly),
// so there the plain distance decides.
const (
	greyChroma = 0.02
	blackL     = 0.12
)

type rgb [3]uint8

func parseHex(s string) (rgb, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return rgb{}, false
	}
	var c rgb
	for i := range c {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return rgb{}, false
		}
		c[i] = uint8(v)
	}
	return c, true
}

type lab struct{ l, a, b float64 }

// oklab converts an sRGB colour to Oklab, a space where distances and hue
// angles follow what people see far better than RGB does.
func oklab(c rgb) lab {
	r, g, b := linear(c[0]), linear(c[1]), linear(c[2])
	l := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*b)
	m := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*b)
	s := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*b)
	return lab{
		l: 0.2104542553*l + 0.7936177850*m - 0.0040720468*s,
		a: 1.9779984951*l - 2.4285922050*m + 0.4505937099*s,
		b: 0.0259040371*l + 0.7827717662*m - 0.8086757660*s,
	}
}

func linear(v uint8) float64 {
	c := float64(v) / 255
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

func hue(c lab) float64 { return math.Atan2(c.b, c.a) }

func sq(x float64) float64 { return x * x }
