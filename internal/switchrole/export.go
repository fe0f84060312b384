package switchrole

import (
	"html"
	"strings"

	"github.com/hopd/hopd/internal/config"
)

// Bookmarks returns the accounts' Switch Role links as a Netscape bookmark
// file, the one format every browser imports, in a folder named hopd.
func Bookmarks(accounts []Account) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n")
	b.WriteString("<!-- Switch Role links written by hopd. -->\n")
	b.WriteString(`<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">` + "\n")
	b.WriteString("<TITLE>Bookmarks</TITLE>\n")
	b.WriteString("<H1>Bookmarks</H1>\n")
	b.WriteString("<DL><p>\n")
	b.WriteString("    <DT><H3>hopd</H3>\n")
	b.WriteString("    <DL><p>\n")
	for _, a := range accounts {
		title := a.Name
		if title == "" {
			// An empty title imports as an unclickable blank row.
			title = a.ID
		}
		b.WriteString(`        <DT><A HREF="` + html.EscapeString(Link(a)) + `">` + html.EscapeString(title) + "</A>\n")
	}
	b.WriteString("    </DL><p>\n")
	b.WriteString("</DL><p>\n")
	return []byte(b.String())
}

// AESR returns a config for the AWS Extend Switch Roles browser extension,
// one profile per account.
func AESR(accounts []Account) []byte {
	var b strings.Builder
	b.WriteString("; Written by hopd. To load it, paste this text into the Configuration page of the AWS Extend Switch Roles extension.\n")
	for _, a := range accounts {
		name := strings.Map(dropSectionBreakers, a.Name)
		if name == "" {
			name = oneLine(a.ID)
		}
		b.WriteString("\n[" + name + "]\n")
		b.WriteString("aws_account_id = " + oneLine(a.ID) + "\n")
		b.WriteString("role_name = " + oneLine(a.Role) + "\n")
		// AESR takes any RGB colour, so the account's own is kept rather
		// than the console's nearest.
		if c, ok := config.ParseColor(a.Color); ok {
			b.WriteString("color = " + c[1:] + "\n")
		}
		if r := oneLine(a.Region); r != "" {
			b.WriteString("region = " + r + "\n")
		}
	}
	return []byte(b.String())
}

// dropSectionBreakers removes what would end a section header early or
// start a new line, so a name can never inject keys or sections.
func dropSectionBreakers(r rune) rune {
	switch r {
	case '[', ']', '\n', '\r':
		return -1
	}
	return r
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}
