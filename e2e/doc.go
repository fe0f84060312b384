// Package e2e holds hopd's end-to-end tests against a running daemon and
// real SDK clients.
//
// Each test starts its own hopd (the binary, built once per run) against a
// moto server behind a counting STS proxy, with the IAM user's keys in a real
// gnome-keyring on a private D-Bus, and talks to it the way users' tools do:
// over HTTP, through the hopd command line, and through the Go SDK v2,
// boto3, the AWS CLI and the JavaScript SDK v3. Parts that are missing skip
// the tests that need them, except under CI=true, where they fail.
//
//	go test ./e2e/
package e2e
