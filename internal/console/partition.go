package console

import (
	"fmt"

	"github.com/hopd/hopd/internal/config"
)

// Partition is what console sign-in needs to know about an AWS partition.
type Partition struct {
	Name    string   // "aws", "aws-us-gov", "aws-cn"
	Signin  string   // the federation endpoint
	console string   // the console's host, without a region
	Regions []string // the regions offered in the tray, most used first
}

var partitions = map[string]Partition{
	"aws": {
		Name:    "aws",
		Signin:  "https://signin.aws.amazon.com/federation",
		console: "console.aws.amazon.com",
		Regions: []string{
			"us-east-1", "us-east-2", "us-west-1", "us-west-2",
			"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
			"ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
			"ca-central-1", "sa-east-1", "me-central-1", "af-south-1",
		},
	},
	"aws-us-gov": {
		Name:    "aws-us-gov",
		Signin:  "https://signin.amazonaws-us-gov.com/federation",
		console: "console.amazonaws-us-gov.com",
		Regions: []string{"us-gov-west-1", "us-gov-east-1"},
	},
	"aws-cn": {
		Name:    "aws-cn",
		Signin:  "https://signin.amazonaws.cn/federation",
		console: "console.amazonaws.cn",
		Regions: []string{"cn-north-1", "cn-northwest-1"},
	},
}

// PartitionOf returns the partition a region belongs to.
func PartitionOf(region string) Partition { return partitions[config.Partition(region)] }

// RegionError says that a region cannot be used for an account.
type RegionError struct{ msg string }

func (e *RegionError) Error() string { return e.msg }

// BadRequest marks the error as the caller's, for the control API (400).
func (e *RegionError) BadRequest() bool { return true }

// CheckRegion makes sure region is a region name in the same partition as
// home, the account's own region: credentials never cross partitions.
func CheckRegion(region, home string) error {
	if !config.ValidRegion(region) {
		return &RegionError{fmt.Sprintf("%q is not an AWS region; use one like \"eu-west-1\"", region)}
	}
	if p, h := config.Partition(region), config.Partition(home); p != h {
		return &RegionError{fmt.Sprintf("region %s is in partition %s but the account is in %s: pick a region of %s, like %s", region, p, h, h, partitions[h].Regions[0])}
	}
	return nil
}

// ConsoleHome is the console's home page in region: the Destination of a
// sign-in.
func ConsoleHome(region string) string {
	p := PartitionOf(region)
	host := p.console
	if p.Name == "aws" {
		// The commercial console serves each region from its own host;
		// going there directly saves a redirect after sign-in.
		host = region + "." + host
	}
	return "https://" + host + "/console/home?region=" + region
}
