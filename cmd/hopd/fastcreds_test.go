package main

import (
	"io"
	"testing"

	"github.com/spf13/cobra"
)

// TestCredsArgsAgreesWithCobra checks that whatever credsArgs takes,
// cobra would have run `hopd creds` with the same account and flags, so
// that the fast path changes nothing but the time it takes.
func TestCredsArgsAgreesWithCobra(t *testing.T) {
	for _, tc := range []struct {
		args []string
		fast bool
	}{
		{[]string{"creds", "production"}, true},
		{[]string{"creds", "prod-1", "--config", "/c.toml"}, true},
		{[]string{"--config=/c.toml", "creds", "production"}, true},
		{[]string{"--state-dir", "/s", "creds", "--log-level=debug", "staging"}, true},
		{[]string{"creds", "production", "--state-dir="}, true},
		{[]string{"--config", "creds", "creds", "x"}, true},
		{[]string{"creds"}, false},
		{[]string{"creds", "a", "b"}, false},
		{[]string{"creds", ""}, false},
		{[]string{"creds", "--help"}, false},
		{[]string{"creds", "-h", "production"}, false},
		{[]string{"creds", "--", "production"}, false},
		{[]string{"creds", "production", "--config"}, false},
		{[]string{"creds", "production", "--config", "-x"}, false},
		{[]string{"creds", "production", "--verbose"}, false},
		{[]string{"help", "creds"}, false},
		{[]string{"__complete", "creds", ""}, false},
		{[]string{"production", "creds"}, false},
		{[]string{"env", "production"}, false},
		{nil, false},
	} {
		g, account, ok := credsArgs(tc.args)
		if ok != tc.fast {
			t.Errorf("credsArgs(%q) took it: %v; want %v", tc.args, ok, tc.fast)
		}
		if !ok {
			continue
		}
		var got struct {
			ran                          bool
			account, config, state, logs string
		}
		root := newRoot()
		creds, _, err := root.Find([]string{"creds"})
		if err != nil {
			t.Fatal(err)
		}
		creds.RunE = func(cmd *cobra.Command, args []string) error {
			got.ran, got.account = true, args[0]
			got.config, _ = cmd.Flags().GetString("config")
			got.state, _ = cmd.Flags().GetString("state-dir")
			got.logs, _ = cmd.Flags().GetString("log-level")
			return nil
		}
		root.SetArgs(tc.args)
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		if err := root.Execute(); err != nil || !got.ran {
			t.Errorf("%q: credsArgs took it, cobra did not run creds: %v", tc.args, err)
			continue
		}
		if got.account != account || got.config != g.configPath || got.state != g.stateDir || got.logs != g.logLevel {
			t.Errorf("%q: credsArgs read account %q, config %q, state %q, log level %q; cobra %q, %q, %q, %q",
				tc.args, account, g.configPath, g.stateDir, g.logLevel, got.account, got.config, got.state, got.logs)
		}
	}
}
