package autostart

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hopd/hopd/internal/api"
)

// agentLabel names hopd's LaunchAgent for launchd.
const agentLabel = "com.github.hopd"

func (m *Manager) plistPath() string {
	return filepath.Join(m.home, "Library", "LaunchAgents", agentLabel+".plist")
}

// renderPlist is a LaunchAgent that starts cmd at login (RunAtLoad) and
// again only after a crash: KeepAlive's SuccessfulExit=false leaves a hopd
// that quit cleanly or found another already running (exit 0) alone.
func renderPlist(cmd []string, stateDir string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<!-- " + marker + " -->\n")
	b.WriteString(`<plist version="1.0">` + "\n<dict>\n")
	key := func(k string) { b.WriteString("\t<key>" + k + "</key>\n") }
	str := func(indent, s string) {
		b.WriteString(indent + "<string>")
		_ = xml.EscapeText(&b, []byte(s))
		b.WriteString("</string>\n")
	}
	key("Label")
	str("\t", agentLabel)
	key("ProgramArguments")
	b.WriteString("\t<array>\n")
	for _, a := range cmd {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	key("RunAtLoad")
	b.WriteString("\t<true/>\n")
	key("KeepAlive")
	b.WriteString("\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	key("ThrottleInterval")
	b.WriteString("\t<integer>10</integer>\n")
	// A GUI session only: the tray needs the window server.
	key("LimitLoadToSessionType")
	str("\t", "Aqua")
	key("ProcessType")
	str("\t", "Interactive")
	// hopd logs to hopd.log itself; this catches what happens before
	// that file is open and crashes.
	key("StandardOutPath")
	str("\t", api.StateDir(stateDir).LaunchdLogFile())
	key("StandardErrorPath")
	str("\t", api.StateDir(stateDir).LaunchdLogFile())
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}

// parsePlist reads an XML property list into Go values: map[string]any
// for dict, []any for array, string, bool, int64 and float64.
func parsePlist(data []byte) (map[string]any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("not a property list: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "plist" {
				return nil, fmt.Errorf("not a property list: the root is <%s>", se.Name.Local)
			}
			v, err := plistValue(d)
			if err != nil {
				return nil, err
			}
			dict, ok := v.(map[string]any)
			if !ok {
				return nil, errors.New("the property list's root is not a dict")
			}
			return dict, nil
		}
	}
}

// plistValue reads the next value element.
func plistValue(d *xml.Decoder) (any, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("a truncated property list: %w", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil, io.EOF // the end of the enclosing array or dict
		case xml.StartElement:
			return plistElement(d, t)
		}
	}
}

func plistElement(d *xml.Decoder, se xml.StartElement) (any, error) {
	switch se.Name.Local {
	case "dict":
		m := map[string]any{}
		for {
			k, err := plistValue(d)
			if err == io.EOF {
				return m, nil
			}
			if err != nil {
				return nil, err
			}
			ks, ok := k.(plistKey)
			if !ok {
				return nil, errors.New("a dict value without its <key>")
			}
			v, err := plistValue(d)
			if err != nil {
				return nil, fmt.Errorf("the key %q has no value", string(ks))
			}
			if _, dup := m[string(ks)]; dup {
				return nil, fmt.Errorf("the key %q appears twice", string(ks))
			}
			m[string(ks)] = v
		}
	case "array":
		var a []any
		for {
			v, err := plistValue(d)
			if err == io.EOF {
				return a, nil
			}
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case "true", "false":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return se.Name.Local == "true", nil
	}
	var text string
	if err := d.DecodeElement(&text, &se); err != nil {
		return nil, err
	}
	switch se.Name.Local {
	case "key":
		return plistKey(text), nil
	case "string":
		return text, nil
	case "integer":
		return strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	case "real":
		return strconv.ParseFloat(strings.TrimSpace(text), 64)
	}
	return nil, fmt.Errorf("<%s> is not a property list element hopd reads", se.Name.Local)
}

type plistKey string

func (m *Manager) writePlist(cmd []string, stateDir string) error {
	return writeOurs(m.plistPath(), renderPlist(cmd, stateDir))
}

// removePlist removes the file only. The job stays loaded until logout:
// `launchctl bootout` would stop the running hopd, which may be the very
// process whose tray the user just clicked.
func (m *Manager) removePlist() error {
	return removeOurs(m.plistPath())
}

func (m *Manager) plistState() (State, error) {
	path := m.plistPath()
	data, ours, err := readOurs(path)
	if err != nil || data == nil {
		return State{Method: LaunchAgent}, err
	}
	pl, err := parsePlist(data)
	if err != nil {
		return State{}, fmt.Errorf("the LaunchAgent %s cannot be read (%v): run `hopd autostart enable` to rewrite it", path, err)
	}
	st := State{Enabled: true, Method: LaunchAgent, Path: path, Ours: ours}
	args, _ := pl["ProgramArguments"].([]any)
	for _, a := range args {
		s, _ := a.(string)
		st.Command = append(st.Command, s)
	}
	if p, ok := pl["Program"].(string); ok && p != "" {
		st.Command = append([]string{p}, st.Command...)
	}
	if st.Program() == "" {
		return State{}, fmt.Errorf("the LaunchAgent %s names no program: run `hopd autostart enable` to rewrite it", path)
	}
	return st, nil
}

// bootstrap loads the agent into the running GUI session, which starts
// hopd now (RunAtLoad); a hopd already running makes the new one exit 0.
// An agent that is loaded already is left as it is: the file takes effect
// at the next login.
func (m *Manager) bootstrap(ctx context.Context) string {
	if m.goos != "darwin" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	domain := "gui/" + strconv.Itoa(m.uid)
	if m.run(ctx, "launchctl", "print", domain+"/"+agentLabel) == nil {
		return ""
	}
	if err := m.run(ctx, "launchctl", "bootstrap", domain, m.plistPath()); err != nil {
		return "launchd did not load the agent now (" + err.Error() + "); it starts hopd at the next login"
	}
	return ""
}
