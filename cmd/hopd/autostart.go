package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/autostart"
)

func newAutostartCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "autostart",
		Short: "Start hopd when you log in",
		Long: `Start hopd when you log in, so that credentials are always there.

  Linux    an XDG autostart entry, ~/.config/autostart/hopd.desktop (default),
           or with --systemd a systemd --user unit bound to
           graphical-session.target
  macOS    a LaunchAgent, ~/Library/LaunchAgents/com.github.hopd.plist
  Windows  the value "hopd" under HKCU\Software\Microsoft\Windows\CurrentVersion\Run

The entry starts this hopd binary by its absolute path with "serve
--autostart" (and --config / --state-dir when you give them here). If you
move or upgrade hopd to another path, "hopd autostart status" says so and
"hopd autostart enable" repairs the entry. "disable" removes only what hopd
wrote.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New("say what to do: hopd autostart enable, disable or status (see hopd autostart --help)")
		},
	}
	cmd.AddCommand(newAutostartEnableCmd(g), newAutostartDisableCmd(), newAutostartStatusCmd())
	return cmd
}

func newAutostartEnableCmd(g *globals) *cobra.Command {
	var useSystemd, useXDG bool
	cmd := &cobra.Command{
		Use:   "enable",
		Short: "Start this hopd at login (or repair the entry)",
		Long: `Write the entry that starts this hopd at login, or point an existing one
at this binary. With neither --systemd nor --xdg, a Linux entry keeps the
method it has. On macOS the agent is also loaded at once, which starts
hopd now if it is not running.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if useSystemd && useXDG {
				return errors.New("choose one of --systemd and --xdg")
			}
			opts := autostart.Options{}
			switch {
			case useSystemd:
				opts.Method = autostart.Systemd
			case useXDG:
				opts.Method = autostart.XDG
			}
			if g.configPath != "" {
				p, err := absPath(g.configPath)
				if err != nil {
					return err
				}
				opts.Args = append(opts.Args, "--config", p)
			}
			if g.stateDir != "" {
				p, err := absPath(g.stateDir)
				if err != nil {
					return err
				}
				opts.Args = append(opts.Args, "--state-dir", p)
			}
			dir, err := g.state()
			if err != nil {
				return err
			}
			opts.StateDir = dir
			st, err := autostart.Enable(cmd.Context(), opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "hopd will start at login: %s\n", describeEntry(st))
			fmt.Fprintf(out, "  runs %s\n", strings.Join(quoteArgs(st.Command), " "))
			if st.Note != "" {
				fmt.Fprintf(out, "note: %s\n", st.Note)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&useSystemd, "systemd", false, "Linux: use a systemd --user unit bound to graphical-session.target")
	cmd.Flags().BoolVar(&useXDG, "xdg", false, "Linux: use an XDG autostart entry (the default)")
	return cmd
}

func newAutostartDisableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "disable",
		Short: "Stop starting hopd at login",
		Long: `Remove the entry that starts hopd at login. Only what hopd wrote is
removed; when a package installed an entry for every user, a hidden entry
in your autostart folder opts you out. A running hopd keeps running.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := autostart.Disable(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "hopd will not start at login (a running hopd keeps running)")
			return nil
		},
	}
}

func newAutostartStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Say whether hopd starts at login, and whether the entry still works",
		Long: `Say whether hopd starts at login and how. Exits 1 when the entry starts a
program that no longer exists (hopd was moved or upgraded to another path):
run "hopd autostart enable" from the hopd you want to repair it.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := autostart.New()
			if err != nil {
				return err
			}
			st, err := m.Status()
			if err != nil {
				return err
			}
			exe, err := autostart.Executable()
			if err != nil {
				return err
			}
			return printAutostart(cmd.OutOrStdout(), st, exe)
		},
	}
}

func printAutostart(w io.Writer, st autostart.State, exe string) error {
	if !st.Enabled {
		fmt.Fprintln(w, "disabled: hopd does not start at login; `hopd autostart enable` turns it on")
		return nil
	}
	if p := st.Problem(exe); p != "" {
		return errors.New(p)
	}
	fmt.Fprintf(w, "enabled: %s\n", describeEntry(st))
	fmt.Fprintf(w, "  runs %s\n", strings.Join(quoteArgs(st.Command), " "))
	if !st.Current {
		fmt.Fprintf(w, "note: it starts %s, not this hopd (%s); run `hopd autostart enable` to switch\n", st.Program(), exe)
	}
	return nil
}

func describeEntry(st autostart.State) string {
	kind := map[autostart.Method]string{
		autostart.XDG:         "XDG autostart entry",
		autostart.Systemd:     "systemd --user unit",
		autostart.LaunchAgent: "LaunchAgent",
		autostart.RunKey:      "Run registry value",
	}[st.Method]
	if st.System {
		kind += ", installed for every user"
	}
	return st.Path + " (" + kind + ")"
}

// quoteArgs quotes the arguments a shell would split, for display.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'\\$`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// absPath makes a path given on the command line absolute, for an entry
// that runs from another working directory.
func absPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("making %s an absolute path: %w", p, err)
	}
	return abs, nil
}
