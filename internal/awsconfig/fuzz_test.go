package awsconfig

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzBlock: for any file without hopd's markers, writing the block keeps
// the file as a prefix, writing it again changes nothing, and removing it
// gives the file back byte for byte.
func FuzzBlock(f *testing.F) {
	for _, s := range realWorld {
		f.Add(s)
	}
	f.Add("a\r")
	f.Add("a\r\nb\n")
	f.Add("a\nb\r\n")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, beginPrefix) || strings.Contains(s, endPrefix) {
			return
		}
		in := []byte(s)
		out, err := SetBlock(in, testProfiles)
		if err != nil {
			if strings.Contains(err.Error(), "outside hopd's block") {
				return // the file has a profile of that name
			}
			t.Fatalf("SetBlock(%q): %v", s, err)
		}
		if !bytes.HasPrefix(out, in) {
			t.Fatalf("SetBlock(%q) = %q does not keep the file", s, out)
		}
		again, err := SetBlock(out, testProfiles)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("SetBlock twice on %q: %q, %v", s, again, err)
		}
		back, had, err := RemoveBlock(out)
		if err != nil || !had || !bytes.Equal(back, in) {
			t.Fatalf("RemoveBlock(SetBlock(%q)) = %q, %v, %v", s, back, had, err)
		}
		_ = parse(out) // never panics
	})
}
