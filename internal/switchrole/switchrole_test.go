package switchrole

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// threeAccounts is a config with one account that has no colour and one
// in GovCloud, which must be sent to another sign-in host.
func threeAccounts() []Account {
	return []Account{
		{Name: "production", ID: "222222222222", Role: "OrganizationAccountAccessRole", Color: "#D13212", Region: "eu-west-1"},
		{Name: "sandbox", ID: "333333333333", Role: "team/Admin", Color: "", Region: "us-east-1"},
		{Name: "govcloud", ID: "444444444444", Role: "Admin", Color: "#0073bb", Region: "us-gov-west-1"},
	}
}

func TestLink(t *testing.T) {
	accounts := threeAccounts()
	long := strings.Repeat("x", 70)
	tests := []struct {
		name     string
		account  Account
		host     string
		want     map[string]string // every query parameter the link must have, and no other
		rawParts []string          // pieces the raw link must contain, for the encoding
	}{
		{
			name:    "commercial with colour",
			account: accounts[0],
			host:    "signin.aws.amazon.com",
			want:    map[string]string{"account": "222222222222", "roleName": "OrganizationAccountAccessRole", "displayName": "production", "color": "f2b0a9"},
		},
		{
			name:     "no colour and a role path",
			account:  accounts[1],
			host:     "signin.aws.amazon.com",
			want:     map[string]string{"account": "333333333333", "roleName": "team/Admin", "displayName": "sandbox"},
			rawParts: []string{"roleName=team%2FAdmin"},
		},
		{
			name:    "govcloud",
			account: accounts[2],
			host:    "signin.amazonaws-us-gov.com",
			want:    map[string]string{"account": "444444444444", "roleName": "Admin", "displayName": "govcloud", "color": "83d4e8"},
		},
		{
			name:    "china",
			account: Account{Name: "beijing", ID: "555555555555", Role: "Admin", Region: "cn-north-1"},
			host:    "signin.amazonaws.cn",
			want:    map[string]string{"account": "555555555555", "roleName": "Admin", "displayName": "beijing"},
		},
		{
			name:    "long name is cut to 64",
			account: Account{Name: long, ID: "666666666666", Role: "Admin", Region: "eu-west-1"},
			host:    "signin.aws.amazon.com",
			want:    map[string]string{"account": "666666666666", "roleName": "Admin", "displayName": long[:64]},
		},
		{
			name:    "cut counts characters, not bytes",
			account: Account{Name: strings.Repeat("é", 70), ID: "666666666666", Role: "Admin", Region: "eu-west-1"},
			host:    "signin.aws.amazon.com",
			want:    map[string]string{"account": "666666666666", "roleName": "Admin", "displayName": strings.Repeat("é", 64)},
		},
		{
			name:     "name needing escapes",
			account:  Account{Name: "a&b=c d", ID: "777777777777", Role: "Admin", Region: "eu-west-1"},
			host:     "signin.aws.amazon.com",
			want:     map[string]string{"account": "777777777777", "roleName": "Admin", "displayName": "a&b=c d"},
			rawParts: []string{"displayName=a%26b%3Dc+d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link := Link(tt.account)
			u, err := url.Parse(link)
			if err != nil {
				t.Fatalf("Link = %q does not parse: %v", link, err)
			}
			if u.Scheme != "https" || u.Host != tt.host || u.Path != "/switchrole" {
				t.Errorf("Link = %q, want https://%s/switchrole?...", link, tt.host)
			}
			q := u.Query()
			got := map[string]string{}
			for k, v := range q {
				if len(v) != 1 {
					t.Errorf("parameter %s appears %d times in %q", k, len(v), link)
				}
				got[k] = v[0]
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Link = %q\nparameters %v\nwant       %v", link, got, tt.want)
			}
			for _, part := range tt.rawParts {
				if !strings.Contains(link, part) {
					t.Errorf("Link = %q, want it to contain %q", link, part)
				}
			}
		})
	}
}

func TestConsoleColor(t *testing.T) {
	const (
		red    = "f2b0a9"
		blue   = "83d4e8"
		green  = "b7ca9d"
		yellow = "efda95"
		orange = "fbc8aa"
	)
	tests := []struct {
		in, want string
	}{
		{"#d13212", red},
		{"#1d8102", green},
		{"#0073bb", blue},
		{"#ff9900", orange},
		{"#f2c94c", yellow},
		{"#ff0000", red},
		{"#00ff00", green},
		{"#0000ff", blue},
		{"#ffff00", yellow},
		{"#ffa500", orange},
		{"#ff6600", orange},
		{"#00ffff", blue},
		{"#" + red, red},
		{"#" + blue, blue},
		{"#" + green, green},
		{"#" + yellow, yellow},
		{"#" + orange, orange},
		{"#FBC8AA", orange},
		{"d13212", red},
		{"", ""},
		{"#12345", ""},
		{"#gggggg", ""},
		{"red", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			if got := ConsoleColor(tt.in); got != tt.want {
				t.Errorf("ConsoleColor(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestConsoleColorGreys pins what colours with no hue map to, so a change
// to the matching shows up here rather than as a surprise in the console.
func TestConsoleColorGreys(t *testing.T) {
	tests := []struct {
		name   string
		shades []string // all close enough that they must agree
		want   string
	}{
		{"black", []string{"#000000", "#010101", "#000001"}, "b7ca9d"},
		{"grey", []string{"#808080", "#7f7f7f", "#818181", "#808081"}, "b7ca9d"},
		{"white", []string{"#ffffff", "#fefefe", "#fffffe"}, "efda95"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.shades {
				for range 3 {
					if got := ConsoleColor(s); got != tt.want {
						t.Errorf("ConsoleColor(%q) = %q, want %q", s, got, tt.want)
					}
				}
			}
		})
	}
}

func TestConsoleColorAlwaysAccepted(t *testing.T) {
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 15 {
			for b := 0; b < 256; b += 15 {
				in := fmt.Sprintf("#%02x%02x%02x", r, g, b)
				if got := ConsoleColor(in); !slices.Contains(consoleColors, got) {
					t.Fatalf("ConsoleColor(%q) = %q, not a colour the console accepts", in, got)
				}
			}
		}
	}
}

func TestBookmarks(t *testing.T) {
	tests := []struct {
		name     string
		accounts []Account
	}{
		{"three accounts", threeAccounts()},
		{"script in a name", []Account{{Name: `<script>alert("x")</script>`, ID: "222222222222", Role: "Admin", Region: "eu-west-1"}}},
		{"none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := Bookmarks(tt.accounts)
			checkBookmarkHeader(t, raw)
			if bytes.Contains(bytes.ToLower(raw), []byte("<script")) {
				t.Errorf("Bookmarks has an unescaped <script>:\n%s", raw)
			}
			doc, err := html.Parse(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("Bookmarks does not parse: %v\n%s", err, raw)
			}
			if n := find(doc, atom.Script); len(n) != 0 {
				t.Errorf("Bookmarks parses with %d script elements", len(n))
			}
			folder := hopdFolder(t, doc)
			links := find(folder, atom.A)
			if all := find(doc, atom.A); len(all) != len(links) {
				t.Errorf("%d links in the file but %d in the hopd folder", len(all), len(links))
			}
			if len(links) != len(tt.accounts) {
				t.Fatalf("hopd folder has %d links, want %d", len(links), len(tt.accounts))
			}
			for i, a := range tt.accounts {
				if got, want := attr(links[i], "href"), Link(a); got != want {
					t.Errorf("link %d HREF = %q, want %q", i, got, want)
				}
				if got := text(links[i]); got != a.Name {
					t.Errorf("link %d text = %q, want %q", i, got, a.Name)
				}
				// The parser forgives a bare '&', so check the bytes too.
				if esc := html.EscapeString(Link(a)); !bytes.Contains(raw, []byte(`HREF="`+esc+`"`)) {
					t.Errorf("Bookmarks lacks the escaped HREF %q", esc)
				}
			}
		})
	}
}

func checkBookmarkHeader(t *testing.T, raw []byte) {
	t.Helper()
	if !bytes.HasPrefix(raw, []byte("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n")) {
		t.Errorf("Bookmarks does not start with the Netscape doctype:\n%s", raw)
	}
	for _, want := range []string{"charset=UTF-8", "<TITLE>Bookmarks</TITLE>", "<H1>Bookmarks</H1>"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("Bookmarks lacks %q", want)
		}
	}
	if got := bytes.Count(raw, []byte("<DL><p>")); got != bytes.Count(raw, []byte("</DL><p>")) || got != 2 {
		t.Errorf("Bookmarks has %d <DL><p> and %d </DL><p>, want 2 of each", got, bytes.Count(raw, []byte("</DL><p>")))
	}
}

// hopdFolder returns the list that follows the only H3, which must say
// hopd: that pairing is how browsers read a folder.
func hopdFolder(t *testing.T, doc *html.Node) *html.Node {
	t.Helper()
	h3 := find(doc, atom.H3)
	if len(h3) != 1 || text(h3[0]) != "hopd" {
		t.Fatalf("want one H3 \"hopd\", got %d", len(h3))
	}
	for n := h3[0].NextSibling; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode {
			if n.DataAtom != atom.Dl {
				t.Fatalf("H3 is followed by <%s>, want <dl>", n.Data)
			}
			return n
		}
	}
	t.Fatal("H3 \"hopd\" has no list after it")
	return nil
}

func find(n *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.DataAtom == a {
			out = append(out, d)
		}
	}
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// ini is a parsed config: the sections in file order, and their keys.
type ini struct {
	Order    []string                     `json:"order"`
	Sections map[string]map[string]string `json:"sections"`
}

// parseINI reads the INI dialect AESR takes, failing on any line it would
// not understand.
func parseINI(t *testing.T, text []byte) ini {
	t.Helper()
	out := ini{Sections: map[string]map[string]string{}}
	var cur map[string]string
	sc := bufio.NewScanner(bytes.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, ";") || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			name := l[1 : len(l)-1]
			if _, dup := out.Sections[name]; dup {
				t.Fatalf("line %d: section [%s] again", line, name)
			}
			cur = map[string]string{}
			out.Sections[name] = cur
			out.Order = append(out.Order, name)
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || cur == nil {
				t.Fatalf("line %d: %q is neither a section nor a key in one", line, l)
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func TestAESR(t *testing.T) {
	tests := []struct {
		name     string
		accounts []Account
		want     ini
	}{
		{
			name:     "three accounts",
			accounts: threeAccounts(),
			want: ini{
				Order: []string{"production", "sandbox", "govcloud"},
				Sections: map[string]map[string]string{
					// The account's own colour, not the console's pastel.
					"production": {"aws_account_id": "222222222222", "role_name": "OrganizationAccountAccessRole", "color": "d13212", "region": "eu-west-1"},
					"sandbox":    {"aws_account_id": "333333333333", "role_name": "team/Admin", "region": "us-east-1"},
					"govcloud":   {"aws_account_id": "444444444444", "role_name": "Admin", "color": "0073bb", "region": "us-gov-west-1"},
				},
			},
		},
		{
			name:     "a name cannot break out of its section",
			accounts: []Account{{Name: "evil]\n[x\r", ID: "222222222222", Role: "Admin\nregion = cn-north-1"}},
			want: ini{
				Order:    []string{"evilx"},
				Sections: map[string]map[string]string{"evilx": {"aws_account_id": "222222222222", "role_name": "Adminregion = cn-north-1"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := AESR(tt.accounts)
			first, _, _ := bytes.Cut(text, []byte("\n"))
			if !bytes.HasPrefix(first, []byte(";")) || !bytes.Contains(first, []byte("hopd")) || !bytes.Contains(first, []byte("Configuration")) {
				t.Errorf("first line %q should be a comment naming hopd and how to load the file", first)
			}
			got := parseINI(t, text)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AESR parsed as\n%+v\nwant\n%+v\ntext:\n%s", got, tt.want, text)
			}
			t.Run("configparser", func(t *testing.T) {
				if py := pythonINI(t, text); !reflect.DeepEqual(py, tt.want) {
					t.Errorf("configparser read\n%+v\nwant\n%+v\ntext:\n%s", py, tt.want, text)
				}
			})
		})
	}
}

const configparserScript = `
import configparser, json, sys
p = configparser.ConfigParser(interpolation=None)
p.read_string(sys.stdin.read())
json.dump({"order": p.sections(), "sections": {s: dict(p[s]) for s in p.sections()}}, sys.stdout)
`

// pythonINI parses text with Python's configparser, a second reader that
// owes nothing to this package's idea of the format.
func pythonINI(t *testing.T, text []byte) ini {
	t.Helper()
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs %s: %v", python, err)
		}
		t.Skipf("%s missing: %v", python, err)
	}
	cmd := exec.CommandContext(t.Context(), python, "-c", configparserScript)
	cmd.Stdin = bytes.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("configparser: %v\n%s", err, stderr.Bytes())
	}
	var got ini
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("configparser output %q: %v", out, err)
	}
	return got
}
