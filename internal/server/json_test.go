package server

import (
	"encoding/json"
	"testing"
	"time"
)

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\t\r\n", "<script>&", "ü€😀", "bad \xff\xfe utf8", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendTime(t *testing.T) {
	at := time.Date(2026, 3, 4, 7, 8, 9, 999999999, time.FixedZone("X", -5*3600))
	if got := string(appendTime(nil, at)); got != "2026-03-04T12:08:09Z" {
		t.Errorf("appendTime = %s", got)
	}
}
