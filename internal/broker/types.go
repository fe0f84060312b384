package broker

import (
	"errors"
	"time"

	"github.com/hopd/hopd/internal/api"
)

// Creds are temporary credentials for one account's role.
type Creds struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	AccountID       string
	RoleARN         string
}

// ErrUnknownAccount is returned for an account name the config does not have.
var ErrUnknownAccount = errors.New("unknown account")

// ErrNeedMFA is wrapped by errors returned while a user's session waits for
// an MFA code.
var ErrNeedMFA = errors.New("an MFA code is needed")

// UnavailableError says why credentials cannot be had right now. The server
// answers it with 503 and its message, which a person can act on and which
// never holds a secret.
type UnavailableError struct {
	Account string
	Reason  string // a sentence for a person: what is wrong and what to do
	Err     error  // the cause, for errors.Is
}

func (e *UnavailableError) Error() string {
	return "credentials for " + e.Account + " are unavailable: " + e.Reason
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Status is a snapshot of the broker's state for the CLI, the tray and the
// page. Its parts are the control API's own types: what the broker reports
// is what goes on the wire.
type Status = api.BrokerStatus

// UserStatus is the state of one user's session.
type UserStatus = api.UserStatus

// AccountStatus is the state of one account's role credentials.
type AccountStatus = api.AccountStatus
