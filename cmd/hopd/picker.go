package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/client"
)

// pickAccount asks which account to use when none was named: a numbered
// list (name, id, a swatch of its colour) that narrows as letters are
// typed. Without a terminal it says to name one instead.
func pickAccount(ctx context.Context, c *client.Client, usage string) (string, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stderr.Fd())) {
		return "", fmt.Errorf("usage: %s: name an account, or run it on a terminal to pick one (see `hopd accounts`)", usage)
	}
	accounts, err := c.Accounts(ctx)
	if err != nil {
		return "", err
	}
	if len(accounts) == 0 {
		return "", errors.New("hopd has no accounts: add [[account]] to the config, or sign in to an [[sso]]")
	}
	return pick(bufio.NewReader(os.Stdin), os.Stderr, accounts)
}

// pick runs the list on in and out; its own function so that a test can
// drive it.
func pick(in *bufio.Reader, out io.Writer, accounts []api.AccountStatus) (string, error) {
	shown := accounts
	for {
		for i, a := range shown {
			fmt.Fprintf(out, "%3d  %s  %-24s %s\n", i+1, swatch(a.Color), a.Name, a.ID)
		}
		fmt.Fprint(out, "Account (number, or letters to narrow the list; empty to cancel): ")
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			if err != nil && !errors.Is(err, io.EOF) {
				return "", err
			}
			return "", errors.New("no account chosen")
		}
		// A number as long as the list's is a position; longer, a piece of
		// an account id.
		if n, err := strconv.Atoi(line); err == nil && len(line) <= len(strconv.Itoa(len(shown))) {
			if n >= 1 && n <= len(shown) {
				return shown[n-1].Name, nil
			}
			fmt.Fprintf(out, "There is no %d: pick one from 1 to %d.\n", n, len(shown))
			continue
		}
		var narrowed []api.AccountStatus
		for _, a := range accounts {
			if strings.Contains(a.Name, strings.ToLower(line)) || strings.Contains(a.ID, line) {
				narrowed = append(narrowed, a)
			}
		}
		switch len(narrowed) {
		case 0:
			fmt.Fprintf(out, "No account matches %q.\n", line)
		case 1:
			return narrowed[0].Name, nil
		default:
			shown = narrowed
		}
	}
}

// swatch is a block in the account's colour, for terminals that show
// 24-bit colour; "" when the colour is not "#rrggbb".
func swatch(color string) string {
	var r, g, b int
	if _, err := fmt.Sscanf(color, "#%02x%02x%02x", &r, &g, &b); err != nil || len(color) != 7 {
		return "  "
	}
	return fmt.Sprintf("\x1b[48;2;%d;%d;%dm  \x1b[0m", r, g, b)
}
