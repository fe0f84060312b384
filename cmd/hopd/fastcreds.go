package main

import "strings"

// credsArgs recognises the plain forms of `hopd creds ACCOUNT`, with the
// global flags as --flag VALUE or --flag=VALUE anywhere, so that main can
// answer them without building the command tree. credential_process
// runs `hopd creds` before every AWS call of a profile, and building
// cobra's tree of every command and flag costs about as much again as
// the rest of the start-up. Anything else (--help, completion, a flag it
// does not know, a second argument) returns false and goes through
// cobra, which then says what it always said; both ways run runCreds.
func credsArgs(args []string) (g *globals, account string, ok bool) {
	g = &globals{logLevel: "info"}
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			words = append(words, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		var dst *string
		switch name {
		case "--config":
			dst = &g.configPath
		case "--state-dir":
			dst = &g.stateDir
		case "--log-level":
			dst = &g.logLevel
		default:
			return nil, "", false
		}
		if !hasValue {
			// pflag would take the next word whatever it is; one that
			// looks like a flag is rare enough to leave to cobra.
			if i+1 == len(args) || strings.HasPrefix(args[i+1], "-") {
				return nil, "", false
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	if len(words) != 2 || words[0] != "creds" || words[1] == "" {
		return nil, "", false
	}
	return g, words[1], true
}
