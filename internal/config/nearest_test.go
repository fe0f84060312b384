package config

import "testing"

func TestNearestColor(t *testing.T) {
	palette := []string{"#ff0000", "00ff00", "#0000ff", "#ffffff", "#000000"}
	for _, tc := range []struct {
		c    string
		want int
	}{
		{"#ee1111", 0}, {"#11cc22", 1}, {"#2233dd", 2}, {"#fafafa", 3}, {"#050505", 4},
		{"#d13212", 0}, {"not a colour", -1}, {"", -1}, {"#12345", -1},
	} {
		if got := NearestColor(tc.c, palette); got != tc.want {
			t.Errorf("NearestColor(%q) = %d; want %d", tc.c, got, tc.want)
		}
	}
	if got := NearestColor("#ff0000", []string{"bad", "#ff0000"}); got != 1 {
		t.Errorf("NearestColor skipping a bad candidate = %d; want 1", got)
	}
}
