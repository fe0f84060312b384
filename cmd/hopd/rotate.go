package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/hopd/hopd/internal/awsenv"
	"github.com/hopd/hopd/internal/config"
	"github.com/hopd/hopd/internal/keychain"
	"github.com/hopd/hopd/internal/keyrotate"
)

func newKeysRotateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate [USER]",
		Short: "Replace the IAM user's access key with a new one",
		Long: `Create a new access key for the IAM user (iam:CreateAccessKey), check that
it works (sts:GetCallerIdentity), store it in the keychain and delete the
old one (iam:DeleteAccessKey, tried three times). The old key stays stored
and in use until the new one works, so a failure at any step leaves one
working key. IAM allows two keys per user: with two already, nothing is
changed and the error names the one to delete.

With mfa_serial set the IAM calls use the user's MFA session, so start
one first (hopd mfa). USER defaults to the only user in the config.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, err := g.userArg(args)
			if err != nil {
				return err
			}
			u, err := g.configUser(user)
			if err != nil {
				return err
			}
			if u.Profile != "" {
				return fmt.Errorf("user %s takes its credentials from the AWS profile %s, so hopd holds no key of its to rotate", user, u.Profile)
			}
			kc := keychain.New()
			signer, err := iamSigner(kc, u)
			if err != nil {
				return err
			}
			r := keyrotate.Rotator{
				IAM:    iam.New(iam.Options{Region: u.Region, Credentials: credentials.StaticCredentialsProvider{Value: signer}, BaseEndpoint: endpoint("IAM")}),
				Store:  kc,
				Verify: func(ctx context.Context, k keychain.Keys) error { return callerIdentity(ctx, u.Region, k) },
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			res, err := r.Rotate(ctx, user)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Rotated the access key of %s: %s is stored and works; %s is deleted.\n", user, res.New, res.Old)
			return nil
		},
	}
}

// configUser is the config's [user] named user.
func (g *globals) configUser(user string) (config.User, error) {
	path, err := g.config()
	if err != nil {
		return config.User{}, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return config.User{}, err
	}
	u, ok := cfg.User(user)
	if !ok {
		return config.User{}, fmt.Errorf("the config has no user %s: see the [user] tables in %s", user, path)
	}
	return u, nil
}

// iamSigner is what signs the IAM calls: the keys, or the MFA session
// when the user's policies want MFA.
func iamSigner(kc *keychain.Keychain, u config.User) (aws.Credentials, error) {
	if u.MFASerial != "" {
		s, err := kc.Session(u.Name)
		if errors.Is(err, keychain.ErrNotFound) || err == nil && time.Until(s.Expiration) < time.Minute {
			return aws.Credentials{}, fmt.Errorf("user %s has mfa_serial, so its IAM calls need an MFA session: run `hopd mfa` first", u.Name)
		}
		if err != nil {
			return aws.Credentials{}, err
		}
		return aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken}, nil
	}
	k, err := kc.Keys(u.Name)
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}, nil
}

func callerIdentity(ctx context.Context, region string, k keychain.Keys) error {
	c := sts.New(sts.Options{Region: region, BaseEndpoint: endpoint("STS"),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")})
	_, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	return err
}

// endpoint is an AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL override
// (a local emulator), nil for AWS's own.
func endpoint(service string) *string {
	if e := awsenv.Endpoint(service); e != "" {
		return aws.String(e)
	}
	return nil
}

// keyAge is the doctor's look at a user's stored key: its CreateDate,
// from iam:ListAccessKeys.
func keyAge(ctx context.Context, u config.User) (string, time.Duration, error) {
	kc := keychain.New()
	k, err := kc.Keys(u.Name)
	if err != nil {
		return "", 0, err
	}
	signer, err := iamSigner(kc, u)
	if err != nil {
		return k.AccessKeyID, 0, err
	}
	c := iam.New(iam.Options{Region: u.Region, Credentials: credentials.StaticCredentialsProvider{Value: signer}, BaseEndpoint: endpoint("IAM")})
	out, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.Name)})
	if err != nil {
		return k.AccessKeyID, 0, fmt.Errorf("iam:ListAccessKeys: %w", err)
	}
	for _, m := range out.AccessKeyMetadata {
		if aws.ToString(m.AccessKeyId) == k.AccessKeyID && m.CreateDate != nil {
			return k.AccessKeyID, testNow().Sub(*m.CreateDate), nil
		}
	}
	return k.AccessKeyID, 0, fmt.Errorf("IAM does not list the stored key %s for %s: was it deleted? store a current one with `hopd keys set %s`", k.AccessKeyID, u.Name, u.Name)
}

// withoutMFA signs an IAM call with the user's keys alone, for the
// doctor to see whether their policies insist on MFA.
func withoutMFA(ctx context.Context, u config.User) error {
	k, err := keychain.New().Keys(u.Name)
	if err != nil {
		return err
	}
	c := iam.New(iam.Options{Region: u.Region, BaseEndpoint: endpoint("IAM"),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")})
	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.Name)})
	return err
}
