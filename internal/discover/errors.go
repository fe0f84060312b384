package discover

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrDisabled is returned by Refresh when the config does not ask for
// discovery.
var ErrDisabled = errors.New("account discovery is off: add [discover] with organizations = true to the config")

// describe turns an Organizations error into one line a person can act on.
// The original error stays reachable for errors.Is and errors.As.
func describe(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("organizations:%s denied: the IAM user needs that permission in the management account (or in a delegated administrator account): %w", op, oneLine(err))
		case "AWSOrganizationsNotInUseException":
			return fmt.Errorf("the IAM user's account is not in an AWS Organization: discovery needs a user of the management account (or set organizations = false in [discover]): %w", oneLine(err))
		case "TooManyRequestsException", "ThrottlingException":
			return fmt.Errorf("AWS Organizations is throttling %s: hopd keeps the last list and tries again later: %w", op, oneLine(err))
		case "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException":
			return fmt.Errorf("AWS Organizations refused the user's session (%s): hopd starts a new session on the next try: %w", api.ErrorCode(), oneLine(err))
		}
		return fmt.Errorf("organizations:%s failed (%s): %w", op, api.ErrorCode(), oneLine(err))
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("cannot reach AWS Organizations for %s: check the network; hopd keeps the last list and tries again later: %w", op, oneLine(err))
	}
	return fmt.Errorf("organizations:%s failed: %w", op, oneLine(err))
}

// sessionError says that listing waits on the user's session; the broker's
// error already says what to do (run hopd mfa, store keys).
func sessionError(err error) error {
	return fmt.Errorf("listing the organization's accounts needs the IAM user's session: %w", err)
}

// describeParent is describe for calls about one OU, which may not exist.
func describeParent(op, parent string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ParentNotFoundException" {
		return fmt.Errorf("discover ous: the organization has no OU or root with id %s: check the id in the AWS console: %w", parent, oneLine(err))
	}
	return describe(op, err)
}

// lineError keeps an error's chain but prints it on one line, since SDK
// errors can carry line breaks from a response body.
type lineError struct{ err error }

func (e lineError) Error() string {
	return strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e lineError) Unwrap() error { return e.err }

func oneLine(err error) error { return lineError{err} }
