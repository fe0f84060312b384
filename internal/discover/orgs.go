package discover

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/hopd/hopd/internal/config"

	"github.com/hopd/hopd/internal/awsenv"
)

// OrgAPI is the part of the AWS Organizations API discovery calls.
type OrgAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListRoots(ctx context.Context, in *organizations.ListRootsInput, optFns ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
}

// OrgFactory makes an Organizations client for the partition of region that
// signs with the given credentials.
type OrgFactory func(region string, creds aws.Credentials) OrgAPI

// NewOrgFactory returns the real client factory. Like the broker's STS
// client it honours AWS_ENDPOINT_URL_ORGANIZATIONS and AWS_ENDPOINT_URL
// (how tests point it at moto) and reads no shared config files.
func NewOrgFactory() OrgFactory {
	endpoint := awsenv.Endpoint("ORGANIZATIONS")
	httpClient := &http.Client{Timeout: 20 * time.Second}
	return func(region string, creds aws.Credentials) OrgAPI {
		opts := organizations.Options{
			Region:      orgRegion(region),
			Credentials: credentials.StaticCredentialsProvider{Value: creds},
			HTTPClient:  httpClient,
			// ListAccounts allows a few calls a second; the standard
			// retryer backs off with jitter when it is throttled.
			Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 5
				o.MaxBackoff = 5 * time.Second
			}),
		}
		if endpoint != "" {
			opts.BaseEndpoint = aws.String(endpoint)
		}
		return organizations.New(opts)
	}
}

// orgRegion is where the Organizations endpoint of region's partition lives:
// the service is global, with one endpoint per partition.
func orgRegion(region string) string {
	switch config.Partition(region) {
	case "aws-cn":
		return "cn-northwest-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	}
	return "us-east-1"
}

// listAccounts returns the organization's ACTIVE member accounts, or those
// under the OUs named in ous (and their child OUs), without the management
// account, which has no role to assume.
func listAccounts(ctx context.Context, api OrgAPI, ous []string) ([]Account, error) {
	var raw []types.Account
	if len(ous) == 0 {
		p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, describe("ListAccounts", err)
			}
			raw = append(raw, page.Accounts...)
		}
	} else {
		parents, err := resolveOUs(ctx, api, ous)
		if err != nil {
			return nil, err
		}
		for _, parent := range parents {
			p := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, describeParent("ListAccountsForParent", parent, err)
				}
				raw = append(raw, page.Accounts...)
			}
		}
	}

	seen := make(map[string]bool, len(raw))
	out := make([]Account, 0, len(raw))
	for _, a := range raw {
		id := aws.ToString(a.Id)
		if !config.IsAccountID(id) || seen[id] || !active(a) || isManagement(a) {
			continue
		}
		seen[id] = true
		out = append(out, Account{ID: id, AWSName: aws.ToString(a.Name)})
	}
	return out, nil
}

// active reads the account's state, or its older status field when the
// endpoint sends no state.
func active(a types.Account) bool {
	if a.State != "" {
		return a.State == types.AccountStateActive
	}
	return a.Status == types.AccountStatusActive
}

// isManagement recognises the management account by its ARN, which names
// the management account as its owner:
// arn:aws:organizations::<management>:account/o-.../<id>.
func isManagement(a types.Account) bool {
	parts := strings.SplitN(aws.ToString(a.Arn), ":", 6)
	return len(parts) == 6 && parts[4] == aws.ToString(a.Id)
}

// resolveOUs turns the configured OUs (ids or name paths) into the ids of
// those OUs and of every OU below them.
func resolveOUs(ctx context.Context, api OrgAPI, ous []string) ([]string, error) {
	var names []string
	selected := map[string]bool{}
	for _, ou := range ous {
		if config.IsOUID(ou) {
			selected[ou] = true
		} else {
			names = append(names, ou)
		}
	}

	// Walk the whole tree once: names need it, and so do the child OUs of
	// every selected OU.
	type node struct{ id, path string }
	var queue []node
	rp := organizations.NewListRootsPaginator(api, &organizations.ListRootsInput{})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			return nil, describe("ListRoots", err)
		}
		for _, r := range page.Roots {
			queue = append(queue, node{id: aws.ToString(r.Id)})
		}
	}
	children := map[string][]string{} // parent id -> child OU ids
	byPath := map[string][]string{}   // lower-cased path from the root -> ids
	byName := map[string][]string{}   // lower-cased name -> ids, at any depth
	var all []string
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		p := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(n.id)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, describeParent("ListOrganizationalUnitsForParent", n.id, err)
			}
			for _, ou := range page.OrganizationalUnits {
				id, name := aws.ToString(ou.Id), aws.ToString(ou.Name)
				path := name
				if n.path != "" {
					path = n.path + "/" + name
				}
				children[n.id] = append(children[n.id], id)
				byPath[strings.ToLower(path)] = append(byPath[strings.ToLower(path)], id)
				byName[strings.ToLower(name)] = append(byName[strings.ToLower(name)], id)
				all = append(all, path)
				queue = append(queue, node{id: id, path: path})
			}
		}
	}

	for _, name := range names {
		key := strings.ToLower(strings.Trim(name, "/"))
		ids := byPath[key]
		if len(ids) == 0 && !strings.Contains(key, "/") {
			ids = byName[key]
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("discover ous: the organization has no OU %q; it has %s", name, listOf(all))
		}
		for _, id := range ids {
			selected[id] = true
		}
	}

	// Every OU below a selected one is selected too.
	var out []string
	stack := make([]string, 0, len(selected))
	for id := range selected {
		stack = append(stack, id)
	}
	sort.Strings(stack)
	done := map[string]bool{}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if done[id] {
			continue
		}
		done[id] = true
		out = append(out, id)
		stack = append(stack, children[id]...)
	}
	return out, nil
}

// listOf names up to ten OU paths for a message.
func listOf(paths []string) string {
	if len(paths) == 0 {
		return "no OUs at all"
	}
	sort.Strings(paths)
	more := ""
	if len(paths) > 10 {
		more = fmt.Sprintf(" and %d more", len(paths)-10)
		paths = paths[:10]
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	return strings.Join(quoted, ", ") + more
}
