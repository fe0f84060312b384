package discover

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

// Moto answers every Organizations call of its management account, so the
// refusals of real AWS are checked here on the errors the SDK returns.
func TestDescribe(t *testing.T) {
	apiErr := func(code string) error {
		return fmt.Errorf("operation error Organizations: ListAccounts, https response error StatusCode: 400,\nRequestID: x, %w", &smithy.GenericAPIError{Code: code, Message: "msg"})
	}
	tests := []struct {
		err  error
		want string
	}{
		{apiErr("AccessDeniedException"), "organizations:ListAccounts denied: the IAM user needs that permission in the management account"},
		{apiErr("AWSOrganizationsNotInUseException"), "not in an AWS Organization"},
		{apiErr("TooManyRequestsException"), "throttling"},
		{apiErr("ExpiredTokenException"), "new session"},
		{apiErr("SomethingElse"), "organizations:ListAccounts failed (SomethingElse)"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, "cannot reach AWS Organizations"},
	}
	for _, tt := range tests {
		got := describe("ListAccounts", tt.err)
		if !strings.Contains(got.Error(), tt.want) {
			t.Errorf("describe(%v) = %q; want it to say %q", tt.err, got, tt.want)
		}
		if strings.Contains(got.Error(), "\n") {
			t.Errorf("describe(%v) is not one line: %q", tt.err, got)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("describe(%v) lost the cause", tt.err)
		}
	}
	got := describeParent("ListAccountsForParent", "ou-ab12-cdef3456", apiErr("ParentNotFoundException"))
	if !strings.Contains(got.Error(), "no OU or root with id ou-ab12-cdef3456") {
		t.Errorf("describeParent: %q", got)
	}
}
