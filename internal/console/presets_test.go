package console

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// lookIn finds only the named commands, under /opt/bin.
func lookIn(names ...string) func(string) (string, error) {
	return func(n string) (string, error) {
		for _, have := range names {
			if n == have {
				return "/opt/bin/" + n, nil
			}
		}
		return "", errors.New("not found")
	}
}

func TestBrowserTemplatePresets(t *testing.T) {
	const link = "http://127.0.0.1:9911/console/abc?x=1&y=2"
	for _, tc := range []struct {
		name, browser, account, color string
		look                          func(string) (string, error)
		want                          []string
	}{
		{"container production", "firefox-container", "production", "#d13212", nil,
			[]string{"firefox", "ext+container:name=production&color=red&icon=briefcase&url=" + url.QueryEscape(link)}},
		{"container staging", "firefox-container", "staging", "#1d8102", nil,
			[]string{"firefox", "ext+container:name=staging&color=green&icon=briefcase&url=" + url.QueryEscape(link)}},
		{"container without colour", "firefox-container", "sandbox", "", nil,
			[]string{"firefox", "ext+container:name=sandbox&color=blue&icon=briefcase&url=" + url.QueryEscape(link)}},
		{"chrome", "chrome-profile", "production", "", lookIn("google-chrome", "chromium"),
			[]string{"/opt/bin/google-chrome", "--profile-directory=hopd-production", link}},
		{"chromium", "chrome-profile", "staging", "", lookIn("chromium"),
			[]string{"/opt/bin/chromium", "--profile-directory=hopd-staging", link}},
		{"template", "firefox --new-tab {url}", "production", "", nil, []string{"firefox", "--new-tab", link}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := BrowserTemplate(tc.browser, tc.account, tc.color, tc.look)
			if err != nil {
				t.Fatal(err)
			}
			argv, err := Command(tmpl, link)
			if err != nil || strings.Join(argv, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s for %s runs %q (%v); want %q", tc.browser, tc.account, argv, err, tc.want)
			}
		})
	}
	if tmpl, err := BrowserTemplate("", "production", "", nil); tmpl != "" || err != nil {
		t.Errorf("no browser gave %q, %v; want the default browser", tmpl, err)
	}
	_, err := BrowserTemplate("chrome-profile", "production", "", lookIn())
	if err == nil || !strings.Contains(err.Error(), "needs Chrome or Chromium") {
		t.Errorf("chrome-profile without Chrome: %v; want an error saying it needs one", err)
	}
}

func TestQuoteWordSurvivesSplitWords(t *testing.T) {
	for _, p := range []string{`/opt/Google Chrome/chrome`, `C:\Program Files\chrome.exe`, `/it's/chrome`, `/a"b/c`} {
		words, err := SplitWords(quoteWord(p) + " {url}")
		if err != nil || len(words) != 2 || words[0] != p {
			t.Errorf("quoteWord(%q) splits into %q (%v); want the path back", p, words, err)
		}
	}
}

func TestContainerColor(t *testing.T) {
	for hex, want := range map[string]string{
		"#d13212": "red", "#ff9900": "orange", "#1d8102": "green", "#0073bb": "blue",
		"#8c4fff": "purple", "#067f68": "turquoise", "#c7157f": "pink", "#ffd700": "yellow", "not": "blue",
	} {
		if got := ContainerColor(hex); got != want {
			t.Errorf("ContainerColor(%q) = %q; want %q", hex, got, want)
		}
	}
}
