package sso

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sso/types"

	"github.com/hopd/hopd/internal/discover"
)

// withToken runs call with a usable access token of the block; when the
// portal refuses the token, it is refreshed once and call runs again.
func (c *Client) withToken(ctx context.Context, name string, call func(tok *token) error) error {
	tok, err := c.accessToken(ctx, name, nil)
	if err != nil {
		return err
	}
	err = call(tok)
	var unauthorized *types.UnauthorizedException
	if !errors.As(err, &unauthorized) {
		return err
	}
	if tok, err = c.accessToken(ctx, name, tok); err != nil {
		return err
	}
	err = call(tok)
	if errors.As(err, &unauthorized) {
		c.forget(name, tok)
		return &NeedsSignInError{Name: name}
	}
	return err
}

// RoleCredentials are the role's credentials in the account, from the
// access portal (GetRoleCredentials); nothing is cached here.
func (c *Client) RoleCredentials(ctx context.Context, name, accountID, role string) (aws.Credentials, error) {
	b, err := c.block(name)
	if err != nil {
		return aws.Credentials{}, err
	}
	var out *sso.GetRoleCredentialsOutput
	err = c.withToken(ctx, name, func(tok *token) error {
		var err error
		out, err = c.portal(b).GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
			AccessToken: aws.String(tok.AccessToken), AccountId: aws.String(accountID), RoleName: aws.String(role),
		})
		return err
	})
	if err != nil {
		if isNeedsSignIn(err) {
			return aws.Credentials{}, err
		}
		var gone *types.ResourceNotFoundException
		if errors.As(err, &gone) {
			return aws.Credentials{}, fmt.Errorf("IAM Identity Center %s gives you no role %s in account %s any more: pick another account or role in `hopd accounts`", name, role, accountID)
		}
		return aws.Credentials{}, fmt.Errorf("IAM Identity Center %s did not give the credentials of %s in %s: %s", name, role, accountID, short(err))
	}
	rc := out.RoleCredentials
	if rc == nil || rc.AccessKeyId == nil || rc.SecretAccessKey == nil {
		return aws.Credentials{}, fmt.Errorf("IAM Identity Center %s answered GetRoleCredentials without credentials", name)
	}
	return aws.Credentials{
		AccessKeyID: aws.ToString(rc.AccessKeyId), SecretAccessKey: aws.ToString(rc.SecretAccessKey),
		SessionToken: aws.ToString(rc.SessionToken), CanExpire: true, Expires: time.UnixMilli(rc.Expiration),
		Source: "hopd:sso:" + name, AccountID: accountID,
	}, nil
}

// Assignments are the accounts of the block's signed-in user and the
// roles they have in each, over every page of ListAccounts and
// ListAccountRoles.
func (c *Client) Assignments(ctx context.Context, name string) ([]discover.SSOAccount, error) {
	b, err := c.block(name)
	if err != nil {
		return nil, err
	}
	var out []discover.SSOAccount
	err = c.withToken(ctx, name, func(tok *token) error {
		out = out[:0]
		portal := c.portal(b)
		accounts := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: aws.String(tok.AccessToken)})
		for accounts.HasMorePages() {
			page, err := accounts.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, a := range page.AccountList {
				acct := discover.SSOAccount{ID: aws.ToString(a.AccountId), Name: aws.ToString(a.AccountName), Email: aws.ToString(a.EmailAddress)}
				roles := sso.NewListAccountRolesPaginator(portal, &sso.ListAccountRolesInput{AccessToken: aws.String(tok.AccessToken), AccountId: a.AccountId})
				for roles.HasMorePages() {
					rp, err := roles.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, r := range rp.RoleList {
						acct.Roles = append(acct.Roles, aws.ToString(r.RoleName))
					}
				}
				slices.Sort(acct.Roles)
				out = append(out, acct)
			}
		}
		return nil
	})
	if err != nil {
		if isNeedsSignIn(err) || ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("listing the accounts of IAM Identity Center %s failed: %s", name, short(err))
	}
	return out, nil
}
