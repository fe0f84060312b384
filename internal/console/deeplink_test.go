package console

import (
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// wantBadRequest fails unless err is one the control API answers with 400.
func wantBadRequest(t *testing.T, err error) {
	t.Helper()
	var br interface{ BadRequest() bool }
	if !errors.As(err, &br) || !br.BadRequest() {
		t.Errorf("error %v (%T) is not marked as a bad request", err, err)
	}
}

// checkDestination compares Destination(target, region) with want; an empty
// want expects an error that holds every string of msg.
func checkDestination(t *testing.T, target Target, region, want string, msg ...string) {
	t.Helper()
	got, err := Destination(target, region)
	if want == "" {
		if err == nil {
			t.Fatalf("Destination(%+v, %s) = %s; want an error", target, region, got)
		}
		wantBadRequest(t, err)
		for _, m := range msg {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("error %q does not say %q", err, m)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q spans several lines", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Destination(%+v, %s): %v", target, region, err)
	}
	if got != want {
		t.Errorf("Destination(%+v, %s)\n got %s\nwant %s", target, region, got, want)
	}
	if _, err := url.Parse(got); err != nil {
		t.Errorf("Destination(%+v, %s) = %s, which does not parse: %v", target, region, got, err)
	}
}

func TestExpandRegion(t *testing.T) {
	for in, want := range map[string]string{
		"eu-west-1":      "eu-west-1",
		"us-gov-east-1":  "us-gov-east-1",
		"EU-West-2":      "eu-west-2",
		"euw1":           "eu-west-1",
		"EUW1":           "eu-west-1",
		"use1":           "us-east-1",
		"usw2":           "us-west-2",
		"apse2":          "ap-southeast-2",
		"apne1":          "ap-northeast-1",
		"aps1":           "ap-south-1",
		"euc1":           "eu-central-1",
		"eun1":           "eu-north-1",
		"cac1":           "ca-central-1",
		"sae1":           "sa-east-1",
		"mec1":           "me-central-1",
		"afs1":           "af-south-1",
		"ilc1":           "il-central-1",
		"mxc1":           "mx-central-1",
		"cnn1":           "cn-north-1",
		"cnnw1":          "cn-northwest-1",
		"usgw1":          "us-gov-west-1",
		"usgove1":        "us-gov-east-1",
		"apse12":         "ap-southeast-12",
		" euw1 ":         "eu-west-1",
		"eu-central-200": "eu-central-200",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := ExpandRegion(in)
			if err != nil {
				t.Fatalf("ExpandRegion(%q): %v", in, err)
			}
			if got != want {
				t.Errorf("ExpandRegion(%q) = %s; want %s", in, got, want)
			}
		})
	}
	for _, in := range []string{"", "xyz", "eu", "euw", "eux1", "zzw1", "euw0", "euw01", "euwest1", "eu-west", "euw1x", "usgx1", "eu_west_1"} {
		t.Run("bad "+in, func(t *testing.T) {
			got, err := ExpandRegion(in)
			if err == nil {
				t.Fatalf("ExpandRegion(%q) = %s; want an error", in, got)
			}
			wantBadRequest(t, err)
			for _, m := range []string{`"` + in + `"`, `"euw1"`, `"eu-west-1"`} {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %s", err, m)
				}
			}
		})
	}
}

func TestServices(t *testing.T) {
	names := Services()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Services() = %v, not sorted", names)
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
		if got, ok := ServiceName(n); !ok || got != n {
			t.Errorf("ServiceName(%q) = %q, %v; want the name itself", n, got, ok)
		}
	}
	for _, n := range []string{"ec2", "s3", "iam", "dynamodb", "logs", "stepfunctions", "route53", "cost-explorer", "sso", "cognito"} {
		if !seen[n] {
			t.Errorf("Services() lacks %s", n)
		}
	}
	for _, a := range []string{"ddb", "cfn", "sfn", "states", "r53", "ce", "apigw", "eb", "param", "cw", "sm", "org", "cf", "ct"} {
		if seen[a] {
			t.Errorf("Services() lists the alias %s, not only names", a)
		}
	}
}

func TestServiceName(t *testing.T) {
	for alias, want := range map[string]string{
		"ddb": "dynamodb", "DDB": "dynamodb", "cfn": "cloudformation", "sfn": "stepfunctions",
		"states": "stepfunctions", "r53": "route53", "ce": "cost-explorer", "param": "parameters",
		"systems-manager": "ssm", "ec2": "ec2",
	} {
		t.Run(alias, func(t *testing.T) {
			if got, ok := ServiceName(alias); !ok || got != want {
				t.Errorf("ServiceName(%q) = %q, %v; want %q", alias, got, ok, want)
			}
		})
	}
	if got, ok := ServiceName("xyz"); ok {
		t.Errorf("ServiceName(\"xyz\") = %q; want no service", got)
	}
}

func TestDestinationHome(t *testing.T) {
	for _, region := range []string{"eu-west-1", "us-gov-west-1", "cn-north-1"} {
		t.Run(region, func(t *testing.T) {
			checkDestination(t, Target{}, region, ConsoleHome(region))
		})
	}
}

func TestDestinationService(t *testing.T) {
	for _, c := range []struct{ name, service, region, want string }{
		{"ec2 aws", "ec2", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1"},
		{"ec2 gov", "ec2", "us-gov-west-1", "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"},
		{"ec2 cn", "ec2", "cn-north-1", "https://console.amazonaws.cn/ec2/home?region=cn-north-1"},
		{"ddb", "ddb", "us-east-1", "https://us-east-1.console.aws.amazon.com/dynamodbv2/home?region=us-east-1"},
		{"cfn", "cfn", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1"},
		{"sfn", "sfn", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1"},
		{"case", "Lambda", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1"},
		{"logs query before fragment", "logs", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups"},
		{"logs gov", "logs", "us-gov-west-1", "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:log-groups"},
		{"codebuild", "codebuild", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/home?region=eu-west-1"},
		{"iam aws", "iam", "eu-west-1", "https://console.aws.amazon.com/iam/home"},
		{"iam gov", "iam", "us-gov-west-1", "https://console.amazonaws-us-gov.com/iam/home"},
		{"iam cn", "iam", "cn-north-1", "https://console.amazonaws.cn/iam/home"},
		{"r53 aws", "r53", "eu-west-1", "https://console.aws.amazon.com/route53/v2/home"},
		{"r53 cn", "route53", "cn-northwest-1", "https://console.amazonaws.cn/route53/v2/home"},
		{"ce gov", "ce", "us-gov-east-1", "https://console.amazonaws-us-gov.com/costmanagement/home"},
	} {
		t.Run(c.name, func(t *testing.T) { checkDestination(t, Target{Service: c.service}, c.region, c.want) })
	}
	t.Run("unknown", func(t *testing.T) {
		checkDestination(t, Target{Service: "xyz"}, "eu-west-1", "", `"xyz"`, "hopd console --help", "--path")
	})
}

func TestDestinationPath(t *testing.T) {
	for _, c := range []struct{ name, path, region, want string }{
		{"fragment", "ec2/home#Instances:", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"},
		{"leading slash and query", "/lambda/home?x=1#/functions", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/lambda/home?x=1&region=eu-west-1#/functions"},
		{"own region kept", "ec2/home?region=eu-west-2#Instances:", "eu-west-1", "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-2#Instances:"},
		{"gov", "s3/buckets", "us-gov-west-1", "https://console.amazonaws-us-gov.com/s3/buckets?region=us-gov-west-1"},
		{"cn", "/ec2/home", "cn-north-1", "https://console.amazonaws.cn/ec2/home?region=cn-north-1"},
	} {
		t.Run(c.name, func(t *testing.T) { checkDestination(t, Target{Path: c.path}, c.region, c.want) })
	}
	for _, path := range []string{
		"https://evil.example/", "//evil.example/x", "ec2/../../x", `ec2\home`, "/%2e%2e/x", "ec2/\thome", "ec2/home?a=%zz",
	} {
		t.Run("bad "+path, func(t *testing.T) { checkDestination(t, Target{Path: path}, "eu-west-1", "", "path") })
	}
}

func TestDestinationURL(t *testing.T) {
	for _, c := range []struct{ name, url, region, want string }{
		{"plain", "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:", "eu-west-1",
			"https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"},
		{"own region kept", "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions", "eu-west-1",
			"https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions"},
		{"multi-session", "https://123456789012-abcd1234.eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1", "eu-west-1",
			"https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1"},
		{"multi-session global", "https://123456789012-ab12cd34ef.console.aws.amazon.com/iam/home", "eu-west-1",
			"https://console.aws.amazon.com/iam/home"},
		{"s3 host kept", "https://s3.console.aws.amazon.com/s3/buckets/my-bucket?region=eu-west-1", "eu-west-1",
			"https://s3.console.aws.amazon.com/s3/buckets/my-bucket?region=eu-west-1"},
		{"bare host", "https://console.aws.amazon.com/billing/home", "us-east-1", "https://console.aws.amazon.com/billing/home"},
		{"gov", "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-east-1", "us-gov-west-1",
			"https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-east-1"},
		{"cn", "https://console.amazonaws.cn/ec2/home?region=cn-north-1", "cn-northwest-1", "https://console.amazonaws.cn/ec2/home?region=cn-north-1"},
	} {
		t.Run(c.name, func(t *testing.T) { checkDestination(t, Target{URL: c.url}, c.region, c.want) })
	}
	for _, c := range []struct{ name, url, region string }{
		{"other host", "https://evil.example/console.aws.amazon.com", "eu-west-1"},
		{"look-alike host", "https://console.aws.amazon.com.evil.example/", "eu-west-1"},
		{"suffix without dot", "https://evilconsole.aws.amazon.com/", "eu-west-1"},
		{"signin host", "https://signin.aws.amazon.com/oauth", "eu-west-1"},
		{"http", "http://eu-west-1.console.aws.amazon.com/ec2/home", "eu-west-1"},
		{"userinfo", "https://console.aws.amazon.com@evil.example/", "eu-west-1"},
		{"port", "https://console.aws.amazon.com:8443/", "eu-west-1"},
		{"relative", "/ec2/home", "eu-west-1"},
		{"does not parse", "https://console.aws.amazon.com/%zz", "eu-west-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkDestination(t, Target{URL: c.url}, c.region, "", "not a URL of the AWS console", "console.aws.amazon.com")
		})
	}
	t.Run("other partition", func(t *testing.T) {
		checkDestination(t, Target{URL: "https://console.amazonaws.cn/ec2/home"}, "eu-west-1", "", "partition aws-cn", "account is in aws")
	})
	t.Run("other partition gov", func(t *testing.T) {
		checkDestination(t, Target{URL: "https://eu-west-1.console.aws.amazon.com/ec2/home"}, "us-gov-west-1", "", "partition aws ", "account is in aws-us-gov")
	})
}

func TestDestinationOneTarget(t *testing.T) {
	checkDestination(t, Target{Service: "ec2", Path: "ec2/home"}, "eu-west-1", "", "one of")
	checkDestination(t, Target{Path: "ec2/home", URL: "https://console.aws.amazon.com/"}, "eu-west-1", "", "one of")
}
