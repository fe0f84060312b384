package broker

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/smithy-go"

	"github.com/hopd/hopd/internal/config"
)

// describeAssumeError turns an AssumeRole failure into a sentence that says
// what to check.
func describeAssumeError(roleARN, userName string, err error) error {
	switch code := apiCode(err); {
	case code == "AccessDenied":
		return fmt.Errorf("access denied assuming %s: check the role's trust policy and that user %s may call sts:AssumeRole on it", roleARN, userName)
	case code == "ExpiredToken" || code == "InvalidClientTokenId":
		return fmt.Errorf("STS rejected user %s's session while assuming %s: hopd will start a new session; if it keeps failing run `hopd keys set %s`", userName, roleARN, userName)
	case isThrottle(code):
		return fmt.Errorf("STS is throttling requests (assuming %s); hopd retries with backoff", roleARN)
	case code != "":
		return fmt.Errorf("assuming %s failed: %s", roleARN, apiMessage(err))
	case networkCause(err) != nil:
		return fmt.Errorf("cannot reach STS to assume %s: check the network (hopd keeps retrying): %w", roleARN, networkCause(err))
	}
	return fmt.Errorf("assuming %s failed: %w", roleARN, err)
}

// describeSessionError turns a GetSessionToken failure into a sentence.
func describeSessionError(userName string, withMFA bool, err error) error {
	switch code := apiCode(err); {
	case code == "AccessDenied" && withMFA:
		return fmt.Errorf("%w: the MFA code for user %s was not accepted: check the code (and mfa_serial) and try again", ErrNeedMFA, userName)
	case code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch":
		return fmt.Errorf("STS does not accept the keys stored for user %s: run `hopd keys set %s` with a current access key", userName, userName)
	case code == "AccessDenied":
		return fmt.Errorf("user %s may not call sts:GetSessionToken: check the user's IAM policies", userName)
	case isThrottle(code):
		return fmt.Errorf("STS is throttling requests (session for user %s); hopd retries with backoff", userName)
	case code != "":
		return fmt.Errorf("starting a session for user %s failed: %s", userName, apiMessage(err))
	case networkCause(err) != nil:
		return fmt.Errorf("cannot reach STS to start a session for user %s: check the network (hopd keeps retrying): %w", userName, networkCause(err))
	}
	return fmt.Errorf("starting a session for user %s failed: %w", userName, err)
}

// sessionRejected reports whether STS refused the session credentials
// themselves, as opposed to the role.
func sessionRejected(err error) bool {
	code := apiCode(err)
	return code == "ExpiredToken" || code == "InvalidClientTokenId"
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException":
		return true
	}
	return false
}

// networkCause digs the dial or read error out of the SDK's wrapping, whose
// full text repeats the operation and attempt count.
func networkCause(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ne
	}
	return nil
}

// reasonOf is the sentence for a person behind an error.
func reasonOf(err error) string { return err.Error() }

// tooShortError refuses credentials that STS gave with less than the floor
// left by this computer's clock, or already expired: serving them could let
// an SDK sign with expired credentials. Since STS gives an hour, the clock
// is the likely culprit.
func tooShortError(ac config.Account, c Creds, now time.Time, floor time.Duration) error {
	left := c.Expiration.Sub(now).Round(time.Second)
	when := "expire in " + left.String()
	if left <= 0 {
		when = "expired " + (-left).String() + " ago"
	}
	return &UnavailableError{
		Account: ac.Name,
		Reason: fmt.Sprintf("STS gave credentials for %s that %s by this computer's clock, under the %s hopd must leave clients: check that the clock is right (hopd retries)",
			ac.RoleARN(), when, floor),
	}
}
