package console

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/cli/browser"
)

// ErrNoDefaultBrowser is Open's error when no default browser would open:
// callers add the advice that fits what they were opening (a console's is
// the browser setting, the dashboard's is `hopd dashboard --print`).
var ErrNoDefaultBrowser = errors.New("the default browser could not be opened")

// URLPlaceholder is where a browser command template puts the sign-in URL.
const URLPlaceholder = "{url}"

// quickExit is how long Open waits to see whether a browser command fails
// at once; browsers that stay open are left running.
const quickExit = 2 * time.Second

// Open opens url in the default browser, or, when template is set, by
// running it: the template is split into words like a shell would (quotes
// group, no variables, no pipes), {url} (or {url_query}, the URL
// query-escaped) is replaced in each word, and the result runs without a
// shell. Callers pass a one-time loopback link, never the sign-in URL: a
// command line is readable by every local user. Errors never hold the URL.
func Open(ctx context.Context, url, template string) error {
	if template == "" {
		if err := browser.OpenURL(url); err != nil {
			return fmt.Errorf("%w (%v)", ErrNoDefaultBrowser, err)
		}
		return nil
	}
	argv, err := Command(template, url)
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running the browser command %q failed: %w; check browser in the config", argv[0], unwrapExec(err))
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(quickExit)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the browser command %q failed (%v); check browser in the config", argv[0], err)
		}
	case <-t.C:
		// Still running: a browser that stays in the foreground. Wait reaps it
		// when it ends.
	case <-ctx.Done():
	}
	return nil
}

// ConsoleAdvice adds to err, when the default browser would not open for an
// account's console, what the user can do about it.
func ConsoleAdvice(err error, account string) error {
	if errors.Is(err, ErrNoDefaultBrowser) {
		return fmt.Errorf("%w: set browser = \"... {url}\" for the account or in [console] in the config, or print the link with `hopd console %s --print`", err, account)
	}
	return err
}

// DashboardAdvice adds to err, when the default browser would not open for
// the dashboard, the command that prints its link instead.
func DashboardAdvice(err error) error {
	if errors.Is(err, ErrNoDefaultBrowser) {
		return fmt.Errorf("%w: run `hopd dashboard --print` and open the link it prints in a browser", err)
	}
	return err
}

// unwrapExec drops the *exec.Error wrapper, whose text repeats the name.
func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// Command turns a browser command template into the argv to run for url.
func Command(template, url string) ([]string, error) {
	words, err := SplitWords(template)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("the browser command is empty: set browser = \"firefox --new-tab {url}\" or remove it")
	}
	found := false
	for i, w := range words {
		if strings.Contains(w, URLPlaceholder) || strings.Contains(w, URLQueryPlaceholder) {
			found = true
			w = strings.ReplaceAll(w, URLQueryPlaceholder, neturl.QueryEscape(url))
			words[i] = strings.ReplaceAll(w, URLPlaceholder, url)
		}
	}
	if !found {
		return nil, errors.New(`the browser command has no {url}: write it where the console address goes, like "firefox --new-tab {url}"`)
	}
	return words, nil
}

// SplitWords splits a command line into words: blanks separate words,
// single quotes keep everything literally, double quotes keep blanks, and a
// backslash escapes a quote, a blank or a backslash. Any other backslash
// stays, so Windows paths need no doubling.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`"'\ `+"\t", s[i+1]) >= 0 && !(quote == '"' && s[i+1] == '\''):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("the browser command has an unclosed %c quote: close it", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
