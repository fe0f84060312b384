package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/hopd/hopd/internal/config"
)

func TestCheckMFAEnforced(t *testing.T) {
	cfg := &config.Config{Users: []config.User{
		{Name: "m", MFASerial: "arn:aws:iam::111111111111:mfa/m"},
		{Name: "nomfa"},
	}}
	for _, tc := range []struct {
		name  string
		err   error
		level Level
		says  string
	}{
		{"keys alone work", nil, Warn, "work without MFA"},
		{"refused", &smithy.GenericAPIError{Code: "AccessDenied", Message: "explicit deny"}, OK, "need MFA"},
		{"IAM unreachable", errors.New("dial tcp: connection refused"), Warn, "cannot tell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			rs := CheckMFAEnforced(context.Background(), func(_ context.Context, u config.User) error {
				asked = append(asked, u.Name)
				return tc.err
			}, cfg, time.Second)
			if len(asked) != 1 || asked[0] != "m" {
				t.Fatalf("asked about %v; want only the user with mfa_serial", asked)
			}
			if len(rs) != 1 || rs[0].Level != tc.level || !strings.Contains(rs[0].Message, tc.says) {
				t.Errorf("got %+v; want %s saying %q", rs, tc.level, tc.says)
			}
		})
	}
}

func TestCheckKeyAge(t *testing.T) {
	cfg := &config.Config{Users: []config.User{{Name: "m"}, {Name: "p", Profile: "sso"}}}
	for _, tc := range []struct {
		age   time.Duration
		level Level
		says  string
	}{
		{89 * 24 * time.Hour, OK, "89 days old"},
		{91 * 24 * time.Hour, Warn, "hopd keys rotate m"},
	} {
		rs := CheckKeyAge(context.Background(), func(context.Context, config.User) (string, time.Duration, error) {
			return "AKIAEXAMPLE", tc.age, nil
		}, cfg, time.Second)
		if len(rs) != 1 || rs[0].Level != tc.level || !strings.Contains(rs[0].Message, tc.says) {
			t.Errorf("age %s: got %+v; want %s saying %q", tc.age, rs, tc.level, tc.says)
		}
	}
}
