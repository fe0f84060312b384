package console

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/hopd/hopd/internal/config"
)

// TargetError says that a page to land on after sign-in cannot be used.
type TargetError struct{ msg string }

func (e *TargetError) Error() string { return e.msg }

// BadRequest marks the error as the caller's, for the control API (400).
func (e *TargetError) BadRequest() bool { return true }

// shorthand is a region written the way people say it: "euw1", "apse2".
// This file's patterns are compiled at first use, not in every hopd
// process at start (`hopd creds` runs before every AWS call of a profile).
var shorthand = lazyRE(`^(usgov|usg|us|eu|ap|ca|sa|me|af|il|mx|cn)(ne|nw|se|sw|n|s|e|w|c)([1-9][0-9]*)$`)

var directions = map[string]string{
	"n": "north", "s": "south", "e": "east", "w": "west", "c": "central",
	"ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
}

// ExpandRegion turns a region or its shorthand ("euw1", "apse2", "usgw1")
// into the region's name.
func ExpandRegion(s string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(s))
	if config.ValidRegion(r) {
		return r, nil
	}
	m := shorthand().FindStringSubmatch(r)
	if m == nil {
		return "", &RegionError{fmt.Sprintf("%q is not an AWS region or a shorthand like \"euw1\"; use one like \"eu-west-1\"", s)}
	}
	prefix := m[1]
	if prefix == "usg" || prefix == "usgov" {
		prefix = "us-gov"
	}
	return prefix + "-" + directions[m[2]] + "-" + m[3], nil
}

// service is where a service's console starts. Global services live on
// the partition's console host alone: a region in their URL only costs a
// redirect, and some of them refuse it.
type service struct {
	path    string // under the console host, with an optional "#fragment"
	global  bool
	aliases []string
}

var services = map[string]service{
	"acm":              {path: "acm/home"},
	"apigateway":       {path: "apigateway/home", aliases: []string{"apigw"}},
	"athena":           {path: "athena/home"},
	"bedrock":          {path: "bedrock/home"},
	"billing":          {path: "billing/home", global: true},
	"cloudformation":   {path: "cloudformation/home", aliases: []string{"cfn"}},
	"cloudfront":       {path: "cloudfront/v4/home", global: true, aliases: []string{"cf"}},
	"cloudtrail":       {path: "cloudtrail/home", aliases: []string{"ct"}},
	"cloudwatch":       {path: "cloudwatch/home", aliases: []string{"cw"}},
	"codebuild":        {path: "codesuite/codebuild/home"},
	"codepipeline":     {path: "codesuite/codepipeline/home"},
	"cognito":          {path: "cognito/home"},
	"config":           {path: "config/home"},
	"cost-explorer":    {path: "costmanagement/home", global: true, aliases: []string{"ce"}},
	"dynamodb":         {path: "dynamodbv2/home", aliases: []string{"ddb"}},
	"ec2":              {path: "ec2/home"},
	"ecr":              {path: "ecr/home"},
	"ecs":              {path: "ecs/home"},
	"eks":              {path: "eks/home"},
	"elasticbeanstalk": {path: "elasticbeanstalk/home", aliases: []string{"eb"}},
	"glue":             {path: "glue/home"},
	"guardduty":        {path: "guardduty/home"},
	"iam":              {path: "iam/home", global: true},
	"kinesis":          {path: "kinesis/home"},
	"kms":              {path: "kms/home"},
	"lambda":           {path: "lambda/home"},
	"logs":             {path: "cloudwatch/home#logsV2:log-groups"},
	"organizations":    {path: "organizations/v2/home", global: true, aliases: []string{"org"}},
	"parameters":       {path: "systems-manager/parameters", aliases: []string{"param"}},
	"rds":              {path: "rds/home"},
	"route53":          {path: "route53/v2/home", global: true, aliases: []string{"r53"}},
	"s3":               {path: "s3/home"},
	"sagemaker":        {path: "sagemaker/home"},
	"secretsmanager":   {path: "secretsmanager/home", aliases: []string{"sm"}},
	"securityhub":      {path: "securityhub/home"},
	"sns":              {path: "sns/home"},
	"sqs":              {path: "sqs/home"},
	"ssm":              {path: "systems-manager/home", aliases: []string{"systems-manager"}},
	"sso":              {path: "singlesignon/home", aliases: []string{"identity-center"}},
	"stepfunctions":    {path: "states/home", aliases: []string{"sfn", "states"}},
	"support":          {path: "support/home", global: true},
	"vpc":              {path: "vpc/home"},
}

// aliases maps every name a service answers to, its own included, to the
// service's name.
var aliases = func() map[string]string {
	m := make(map[string]string)
	for name, s := range services {
		m[name] = name
		for _, a := range s.aliases {
			m[a] = name
		}
	}
	return m
}()

// Services returns the names of the services a sign-in can land on,
// sorted, for --help and completion.
func Services() []string {
	names := make([]string, 0, len(services))
	for name := range services {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ServiceName returns the name of the service that alias stands for.
func ServiceName(alias string) (string, bool) {
	name, ok := aliases[strings.ToLower(strings.TrimSpace(alias))]
	return name, ok
}

// Target is the console page to land on after sign-in: a service, a path
// under the console, or a whole console URL. At most one is set; the zero
// Target is the console home.
type Target struct {
	Service, Path, URL string
}

// Destination returns the console URL to land on after signing in to
// region, which the caller has already checked.
func Destination(t Target, region string) (string, error) {
	set := 0
	for _, v := range []string{t.Service, t.Path, t.URL} {
		if strings.TrimSpace(v) != "" {
			set++
		}
	}
	p := PartitionOf(region)
	switch {
	case set > 1:
		return "", &TargetError{"choose one of a service, a path or a URL to open, not several"}
	case strings.TrimSpace(t.Service) != "":
		name, ok := ServiceName(t.Service)
		if !ok {
			return "", &TargetError{fmt.Sprintf("unknown service %q: see `hopd console --help` for the names, or use --path", t.Service)}
		}
		s := services[name]
		if s.global {
			return "https://" + p.console + "/" + s.path, nil
		}
		return regional(p, region, s.path)
	case strings.TrimSpace(t.Path) != "":
		path := strings.TrimSpace(t.Path)
		if strings.Contains(path, "://") || strings.Contains(path, "..") || strings.Contains(path, `\`) || strings.HasPrefix(path, "//") {
			return "", badPath(t.Path)
		}
		return regional(p, region, strings.TrimPrefix(path, "/"))
	case strings.TrimSpace(t.URL) != "":
		return consoleURL(strings.TrimSpace(t.URL), p)
	}
	return ConsoleHome(region), nil
}

func badPath(path string) error {
	return &TargetError{fmt.Sprintf("%q is not a path on the console; write one like \"ec2/home#Instances:\", without \"://\", \"..\", \"\\\" or a leading \"//\"", path)}
}

// regional puts path on region's console host and names the region in the
// query, unless the path already names one: the console takes the query's
// region over the host's.
func regional(p Partition, region, path string) (string, error) {
	host := p.console
	if p.Name == "aws" {
		host = region + "." + host
	}
	u, err := url.Parse("https://" + host + "/" + path)
	// Browsers read an escaped ".." as one too.
	if err != nil || u.Host != host || strings.Contains(u.Path, "..") {
		return "", badPath(path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", &TargetError{fmt.Sprintf("the query of path %q does not parse (%v); escape its \"&\", \"=\" and \"%%\"", path, err)}
	}
	if !q.Has("region") {
		// Appended rather than re-encoded, to keep the path's own query
		// exactly as written: some consoles care about its order.
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "region=" + url.QueryEscape(region)
	}
	return u.String(), nil
}

// multiSession is the first label of a console host in multi-session mode,
// the account and a session id: it names a session of the browser the URL
// came from, which a fresh sign-in does not have.
var multiSession = lazyRE(`^[0-9]{12}-[a-z0-9]{6,10}$`)

// consoleURL checks that raw is a console URL of partition p and drops a
// multi-session label from its host. The URL's region is kept, and the
// sign-in's region is ignored: a pasted URL says where to go, and the
// partition check is what keeps credentials where they belong.
func consoleURL(raw string, p Partition) (string, error) {
	notConsole := &TargetError{fmt.Sprintf("%q is not a URL of the AWS console; paste one that starts with https:// and is on %s or a host under it", raw, p.console)}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Opaque != "" {
		return "", notConsole
	}
	host := strings.ToLower(u.Hostname())
	if !under(host, p.console) {
		// Anything but the console would make the sign-in an open
		// redirect; another partition's console would not take the
		// credentials.
		for _, other := range partitions {
			if other.Name != p.Name && under(host, other.console) {
				return "", &TargetError{fmt.Sprintf("%q is a console URL of partition %s but the account is in %s: use a console URL of %s, on %s", raw, other.Name, p.Name, p.Name, p.console)}
			}
		}
		return "", notConsole
	}
	if first, rest, ok := strings.Cut(host, "."); ok && multiSession().MatchString(first) {
		host = rest
	}
	u.Host = host
	return u.String(), nil
}

// under says whether host is domain or one of its subdomains.
func under(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
