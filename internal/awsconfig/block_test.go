package awsconfig

import (
	"bytes"
	"strings"
	"testing"
)

var testProfiles = []Profile{
	{Name: "hopd-production", CredentialProcess: "/usr/local/bin/hopd creds production", Region: "eu-west-1"},
	{Name: "hopd-staging", CredentialProcess: "/usr/local/bin/hopd creds staging", Region: "us-east-1"},
}

// crlf turns a file's line endings into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// Real-world shared config files, as people write them.
var realWorld = map[string]string{
	"empty":   "",
	"newline": "\n",
	"plain": `[default]
region = eu-west-1
output = json

[profile work]
role_arn = arn:aws:iam::222222222222:role/Admin
source_profile = default
`,
	"comments and odd spacing": `# my AWS config
; managed by hand
[default]
region=eu-west-1
  # indented comment
[ profile  odd ]
region   =   us-east-2
s3 =
    max_concurrent_requests = 20
    addressing_style = path
cli_pager=

[profile  tabs]
	region	=	ap-southeast-2
`,
	"sso-session blocks": `[sso-session my-sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = my-sso
sso_account_id = 111122223333
sso_role_name = PowerUserAccess
region = us-west-2

[services local]
dynamodb =
  endpoint_url = http://localhost:8000
`,
	"no final newline":       "[default]\nregion = eu-west-1",
	"blank lines at the end": "[default]\nregion = eu-west-1\n\n\n",
	"utf-8 and a BOM":        "\xef\xbb\xbf# Konfiguration für Müller\n[default]\nregion = eu-central-1\n",
	"trailing spaces":        "[default]   \nregion = eu-west-1   \n",
}

func init() {
	for _, name := range []string{"plain", "comments and odd spacing", "sso-session blocks", "no final newline"} {
		realWorld["CRLF "+name] = crlf(realWorld[name])
	}
}

func TestSetBlockKeepsEveryByteOutside(t *testing.T) {
	for name, orig := range realWorld {
		t.Run(name, func(t *testing.T) {
			in := []byte(orig)
			out, err := SetBlock(in, testProfiles)
			if err != nil {
				t.Fatal(err)
			}
			// Appended: the file is a prefix of the result, apart from the
			// line break SetBlock adds to an unfinished last line.
			if !bytes.HasPrefix(out, in) {
				t.Fatalf("the original bytes are not kept:\n%q\n%q", orig, out)
			}
			eol := eolOf(in)
			rest := string(out[len(in):])
			if len(in) > 0 {
				if !strings.HasPrefix(rest, eol) {
					t.Errorf("the block is not separated from the file by a line break: %q", rest)
				}
				rest = rest[len(eol):]
			}
			if want := string(render(testProfiles, eol)); rest != want {
				t.Errorf("the appended block is\n%q\nwant\n%q", rest, want)
			}
			if eol == "\r\n" && strings.Contains(strings.ReplaceAll(rest, "\r\n", ""), "\n") {
				t.Errorf("a CRLF file got LF line endings in the block: %q", rest)
			}

			// Idempotent.
			again, err := SetBlock(out, testProfiles)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("a second write changed the file (%v):\n%q\n%q", err, out, again)
			}
			// Other profiles replace the block in place.
			other := []Profile{{Name: "hopd-sandbox", CredentialProcess: "hopd creds sandbox"}}
			replaced, err := SetBlock(out, other)
			if err != nil {
				t.Fatal(err)
			}
			if want := string(out[:len(out)-len(rest)]) + string(render(other, eol)); string(replaced) != want {
				t.Errorf("rewriting the block:\n%q\nwant\n%q", replaced, want)
			}
			// Removing it gives the original back, byte for byte.
			back, had, err := RemoveBlock(replaced)
			if err != nil || !had || !bytes.Equal(back, in) {
				t.Errorf("RemoveBlock = %q, %v, %v; want the original %q", back, had, err, orig)
			}
			if same, had, err := RemoveBlock(in); err != nil || had || !bytes.Equal(same, in) {
				t.Errorf("RemoveBlock without a block changed the file (%v, %v)", had, err)
			}
		})
	}
}

func TestSetBlockInTheMiddle(t *testing.T) {
	// The block was written, then the user added profiles after it.
	for _, conv := range []func(string) string{func(s string) string { return s }, crlf} {
		before := conv("# top\n[default]\nregion = eu-west-1\n\n")
		after := conv("\n[profile mine]\nregion = us-east-1\n; the end")
		old := conv(BeginMarker + "\n[profile hopd-old]\ncredential_process = hopd creds old\n" + EndMarker + "\n")
		out, err := SetBlock([]byte(before+old+after), testProfiles)
		if err != nil {
			t.Fatal(err)
		}
		want := before + string(render(testProfiles, eolOf([]byte(before)))) + after
		if string(out) != want {
			t.Errorf("got\n%q\nwant\n%q", out, want)
		}
		back, had, err := RemoveBlock(out)
		if err != nil || !had {
			t.Fatal(had, err)
		}
		// The blank line before the block goes with it; nothing else does.
		if want := strings.TrimSuffix(before, conv("\n")) + after; string(back) != want {
			t.Errorf("RemoveBlock:\n%q\nwant\n%q", back, want)
		}
	}
}

func TestBrokenBlocks(t *testing.T) {
	for name, src := range map[string]string{
		"begin only":  "[default]\n" + BeginMarker + "\n[profile hopd-x]\n",
		"end only":    "[default]\n" + EndMarker + "\n",
		"two blocks":  BeginMarker + "\n" + EndMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n",
		"end, begin":  EndMarker + "\n" + BeginMarker + "\n",
		"two begins":  BeginMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n",
		"end, end":    BeginMarker + "\n" + EndMarker + "\n" + EndMarker + "\n",
		"begin twice": BeginMarker + "\n[p]\n" + BeginMarker + "\n",
	} {
		if _, err := SetBlock([]byte(src), testProfiles); err == nil || !strings.Contains(err.Error(), "by hand") {
			t.Errorf("%s: SetBlock = %v; want an error that says to fix it by hand", name, err)
		}
		if _, _, err := RemoveBlock([]byte(src)); err == nil {
			t.Errorf("%s: RemoveBlock succeeded", name)
		}
	}
}

func TestSetBlockRefusesProfilesOutside(t *testing.T) {
	src := "[default]\nregion = eu-west-1\n\n[profile   hopd-staging ]\nregion = us-east-1\n"
	_, err := SetBlock([]byte(src), testProfiles)
	if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "--prefix") {
		t.Errorf("SetBlock = %v; want an error naming line 4 and --prefix", err)
	}
	// The same profile inside hopd's block is hopd's to replace.
	own, err := SetBlock([]byte("[default]\n"), testProfiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetBlock(own, testProfiles[1:]); err != nil {
		t.Errorf("replacing hopd's own profiles: %v", err)
	}
}

func TestParse(t *testing.T) {
	secs := parse([]byte(realWorld["CRLF comments and odd spacing"]))
	var got []string
	for _, s := range secs {
		got = append(got, s.Kind+":"+s.Name)
	}
	if want := "profile:default profile:odd profile:tabs"; strings.Join(got, " ") != want {
		t.Errorf("sections %v; want %s", got, want)
	}
	odd := secs[1]
	if odd.Keys["region"] != "us-east-2" || odd.Keys["s3"] != "" || odd.Keys["max_concurrent_requests"] != "" || odd.Line != 6 {
		t.Errorf("[ profile  odd ] = %+v", odd)
	}
	if secs[2].Keys["region"] != "ap-southeast-2" {
		t.Errorf("tab-separated key: %+v", secs[2])
	}
	sso := parse([]byte(realWorld["sso-session blocks"]))
	if sso[0].Kind != KindSSOSession || sso[0].Name != "my-sso" || sso[1].Keys["sso_session"] != "my-sso" || sso[2].Kind != KindServices {
		t.Errorf("sso config: %+v", sso)
	}
	if bom := parse([]byte(realWorld["utf-8 and a BOM"])); len(bom) != 1 || bom[0].Name != "default" {
		t.Errorf("a file with a BOM: %+v", bom)
	}
}
