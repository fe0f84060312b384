package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hopd/hopd/internal/api"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/discover"
)

// defaultSSO is the IAM Identity Center client when the caller gave none.
func (d *Daemon) defaultSSO() SSO { return noSSO{} }

// errNoSSO says that this build cannot sign in to Identity Center.
var errNoSSO = errors.New("this hopd cannot sign in to IAM Identity Center yet: use an [user] with keys or a profile")

// noSSO is an Identity Center that nobody can sign in to.
type noSSO struct{}

func (noSSO) RoleCredentials(context.Context, string, string, string) (aws.Credentials, error) {
	return aws.Credentials{}, errNoSSO
}
func (noSSO) Assignments(context.Context, string) ([]discover.SSOAccount, error) {
	return nil, errNoSSO
}
func (noSSO) SetConfig(*config.Config) {}
func (noSSO) Login(context.Context, string, bool) (api.SSOLogin, error) {
	return api.SSOLogin{}, errNoSSO
}
func (noSSO) State(string) (api.SSOState, time.Time, *api.SSOLogin, string) {
	return api.SSOError, time.Time{}, nil, errNoSSO.Error()
}
func (noSSO) OnSignIn(func(string)) {}
