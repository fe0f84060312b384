package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Organization is an AWS Organization in moto, built through its
// management account: the tests' stand-in for a company's accounts.
type Organization struct {
	API  *organizations.Client
	Root string            // the root's id
	IDs  map[string]string // account name -> id, for the accounts made here

	tb testing.TB
}

// NewOrganization creates an organization in the moto at motoURL, as the
// account that creds belong to.
func NewOrganization(tb testing.TB, motoURL string, creds aws.Credentials) *Organization {
	tb.Helper()
	o := &Organization{tb: tb, IDs: map[string]string{}, API: organizations.New(organizations.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(motoURL),
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
	})}
	ctx := context.Background()
	if _, err := o.API.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
		tb.Fatalf("creating an organization in moto: %v", err)
	}
	roots, err := o.API.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		tb.Fatalf("listing the organization's roots in moto: %v", err)
	}
	o.Root = aws.ToString(roots.Roots[0].Id)
	return o
}

// OU creates an organizational unit under parent ("" for the root) and
// returns its id.
func (o *Organization) OU(parent, name string) string {
	o.tb.Helper()
	if parent == "" {
		parent = o.Root
	}
	out, err := o.API.CreateOrganizationalUnit(context.Background(), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
	if err != nil {
		o.tb.Fatalf("creating OU %s in moto: %v", name, err)
	}
	return aws.ToString(out.OrganizationalUnit.Id)
}

// Account creates an account under parent ("" for the root) and returns
// its id.
func (o *Organization) Account(name, parent string) string {
	o.tb.Helper()
	ctx := context.Background()
	out, err := o.API.CreateAccount(ctx, &organizations.CreateAccountInput{
		AccountName: aws.String(name),
		Email:       aws.String(strings.ToLower(strings.ReplaceAll(name, " ", "-")) + "@example.com"),
	})
	if err != nil {
		o.tb.Fatalf("creating account %s in moto: %v", name, err)
	}
	id := aws.ToString(out.CreateAccountStatus.AccountId)
	if parent != "" && parent != o.Root {
		if _, err := o.API.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(o.Root), DestinationParentId: aws.String(parent)}); err != nil {
			o.tb.Fatalf("moving account %s in moto: %v", name, err)
		}
	}
	o.IDs[name] = id
	return id
}

// Close closes (suspends) the account named name.
func (o *Organization) Close(name string) {
	o.tb.Helper()
	id, ok := o.IDs[name]
	if !ok {
		o.tb.Fatalf("closing account %s: it was not made through this Organization", name)
	}
	if _, err := o.API.CloseAccount(context.Background(), &organizations.CloseAccountInput{AccountId: aws.String(id)}); err != nil {
		o.tb.Fatalf("closing account %s in moto: %v", name, err)
	}
}
