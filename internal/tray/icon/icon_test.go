package icon

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"image/png"
	"testing"
)

func TestDot(t *testing.T) {
	c, err := ParseHex("#d13212")
	if err != nil {
		t.Fatal(err)
	}
	img := Dot(c, 32)
	if got := img.NRGBAAt(16, 16); got != c {
		t.Errorf("the dot's centre is %v; want the account colour %v", got, c)
	}
	if got := img.NRGBAAt(0, 0); got.A != 0 {
		t.Errorf("the dot's corner is %v; want transparent", got)
	}
	if _, err := png.Decode(bytes.NewReader(PNG(img))); err != nil {
		t.Errorf("PNG does not decode: %v", err)
	}
	for _, bad := range []string{"red", "#12345", "#gggggg", ""} {
		if _, err := ParseHex(bad); err == nil {
			t.Errorf("ParseHex(%q) succeeded", bad)
		}
	}
}

func TestTrayStatesDiffer(t *testing.T) {
	at := func(s State) color.NRGBA { return Tray(s, 64).NRGBAAt(50, 14) } // inside the badge
	if at(Normal) == at(NeedsMFA) || at(NeedsMFA) == at(Error) || at(Normal) == at(Error) {
		t.Errorf("the badge corner is %v / %v / %v for normal / MFA / error; want three colours", at(Normal), at(NeedsMFA), at(Error))
	}
	tpl := Template(Normal, 36)
	for y := 0; y < 36; y++ {
		for x := 0; x < 36; x++ {
			if c := tpl.NRGBAAt(x, y); c.A != 0 && (c.R != 0 || c.G != 0 || c.B != 0) {
				t.Fatalf("template pixel (%d,%d) is %v; a macOS template icon is black with alpha", x, y, c)
			}
		}
	}
}

func TestICO(t *testing.T) {
	data := ICO(Tray(Normal, 16), Tray(Normal, 32))
	var hdr struct{ Reserved, Type, Count uint16 }
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, &hdr); err != nil || hdr.Type != 1 || hdr.Count != 2 {
		t.Fatalf("ICO header %+v (%v); want type 1 with 2 images", hdr, err)
	}
	for i, size := range []int{16, 32} {
		e := data[6+16*i:]
		w, bytesInRes, offset := int(e[0]), binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
		if w != size || int(offset)+int(bytesInRes) > len(data) {
			t.Errorf("entry %d: width %d, %d bytes at %d in %d; want width %d inside the file", i, w, bytesInRes, offset, len(data), size)
			continue
		}
		if h := int32(binary.LittleEndian.Uint32(data[offset+8:])); h != int32(2*size) {
			t.Errorf("entry %d: BMP height %d; want %d (image and mask)", i, h, 2*size)
		}
	}
}
