package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/hopd/hopd/internal/filetrust"
	"github.com/pelletier/go-toml/v2/unstable"
)

// The file as go-toml decodes it. There are two shapes because [user] (one
// user) and [[user]] (several) decode into different Go types.

type fileUser struct {
	Name            string `toml:"name"`
	MFASerial       string `toml:"mfa_serial"`
	MFAProcess      string `toml:"mfa_process"`
	Region          string `toml:"region"`
	SessionDuration string `toml:"session_duration"`
	Console         bool   `toml:"console"`
	Profile         string `toml:"profile"`
}

type fileAccount struct {
	Name     string `toml:"name"`
	ID       string `toml:"id"`
	Role     string `toml:"role"`
	Color    string `toml:"color"`
	Region   string `toml:"region"`
	User     string `toml:"user"`
	IMDSPort int64  `toml:"imds_port"`
	IMDSv1   bool   `toml:"imdsv1"`
	Browser  string `toml:"browser"`
}

type fileOneUser struct {
	Listen    string        `toml:"listen"`
	SigninURL string        `toml:"signin_url"`
	User      *fileUser     `toml:"user"`
	Account   []fileAccount `toml:"account"`
	SSO       []fileSSO     `toml:"sso"`
	Discover  *fileDiscover `toml:"discover"`
	Console   *fileConsole  `toml:"console"`

	AllowUnknownRegion bool `toml:"allow_unknown_region"`
}

type fileUsers struct {
	Listen    string        `toml:"listen"`
	SigninURL string        `toml:"signin_url"`
	User      []fileUser    `toml:"user"`
	Account   []fileAccount `toml:"account"`
	SSO       []fileSSO     `toml:"sso"`
	Discover  *fileDiscover `toml:"discover"`
	Console   *fileConsole  `toml:"console"`

	AllowUnknownRegion bool `toml:"allow_unknown_region"`
}

// raw is the decoded file in one shape, plus whether users came as [user].
type raw struct {
	listen, signinURL  string
	users              []fileUser
	accounts           []fileAccount
	sso                []fileSSO
	discover           *fileDiscover
	console            *fileConsole
	oneUser            bool
	allowUnknownRegion bool
}

// Load reads and parses the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := readTrusted(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: path, Msg: "no such file; create it with at least a [user] table naming the IAM user whose keys are in the keychain, like: [user] name = \"michael\", or an [[sso]] block for IAM Identity Center", cause: err}
	}
	if err != nil {
		var perr *fs.PathError
		if errors.As(err, &perr) {
			err = perr.Err // the path is already in the message
		}
		var untrusted *filetrust.UntrustedError
		if errors.As(err, &untrusted) {
			return nil, &Error{File: path, Msg: untrusted.Why + "; " + untrusted.Fix, cause: err}
		}
		return nil, &Error{File: path, Msg: "cannot read it: " + err.Error(), cause: err}
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// readTrusted reads the config file once filetrust says no other user
// could have written it. The check is on the open file, so the file read
// is the file checked.
func readTrusted(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := filetrust.Config(path, f); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// Parse parses and validates a configuration file's contents. name is used in
// error messages only. Any error is a *Error with the line and column of the
// problem.
func Parse(name string, data []byte) (*Config, error) {
	// Some Windows editors start UTF-8 files with a byte order mark, which
	// TOML does not allow; editors don't count it in columns either.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	d, r, err := decode(data)
	var c *Config
	if err == nil {
		c, err = validate(d, r)
	}
	if err != nil {
		err.File = name
		return nil, err
	}
	return c, nil
}

// decode checks the syntax, the keys and their types, and decodes. It returns
// *Error (not error) so that Parse can fill in the file name.
func decode(data []byte) (d *document, r *raw, err *Error) {
	// go-toml is well fuzzed, but a bug in it must not take the daemon
	// down because someone saved a half-edited file.
	defer func() {
		if p := recover(); p != nil {
			d, r, err = nil, nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("cannot parse this file (internal error: %v); please report it", p)}
		}
	}()

	doc, serr := scan(data)
	if serr != nil {
		return nil, nil, serr
	}
	// The index above does not catch what TOML forbids beyond syntax, like
	// a key defined twice; decoding into a map does.
	var loose map[string]any
	if e := toml.Unmarshal(data, &loose); e != nil {
		return nil, nil, decodeError(doc, e)
	}
	if e := checkShape(doc); e != nil {
		return nil, nil, e
	}

	r = &raw{}
	r.oneUser = doc.oneUser()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if r.oneUser {
		var f fileOneUser
		if e := dec.Decode(&f); e != nil {
			return nil, nil, decodeError(doc, e)
		}
		r.listen, r.signinURL, r.accounts, r.sso, r.discover, r.console = f.Listen, f.SigninURL, f.Account, f.SSO, f.Discover, f.Console
		r.allowUnknownRegion = f.AllowUnknownRegion
		if f.User != nil {
			r.users = []fileUser{*f.User}
		}
	} else {
		var f fileUsers
		if e := dec.Decode(&f); e != nil {
			return nil, nil, decodeError(doc, e)
		}
		r.listen, r.signinURL, r.users, r.accounts, r.sso, r.discover, r.console = f.Listen, f.SigninURL, f.User, f.Account, f.SSO, f.Discover, f.Console
		r.allowUnknownRegion = f.AllowUnknownRegion
	}
	return doc, r, nil
}

// oneUser says whether the file has a single [user] table rather than an
// array of them.
func (d *document) oneUser() bool {
	for _, e := range d.entries {
		if e.segs[0].key != "user" {
			continue
		}
		if len(e.segs) == 1 {
			return e.kind != unstable.Array
		}
		return e.segs[1].index < 0
	}
	return true
}

// decodeError converts go-toml's errors, which checkShape should leave only
// for things like duplicate keys and out-of-range numbers.
func decodeError(d *document, err error) *Error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		e := &strict.Errors[0]
		line, col := e.Position()
		return &Error{Line: line, Column: col, Field: d.fieldAt(line, col, strings.Join(e.Key(), ".")),
			Msg: "unknown key; remove it or fix its spelling"}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if strings.Contains(msg, "already defined") {
			msg += "; remove or rename one of them"
		}
		return &Error{Line: line, Column: col, Field: d.fieldAt(line, col, strings.Join(de.Key(), ".")), Msg: msg}
	}
	return &Error{Line: 1, Column: 1, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}
