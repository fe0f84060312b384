package config

import (
	"fmt"
	"slices"
)

// KnownRegions are the AWS regions this build knows, in every partition.
// A region newer than the build is an error unless the file says
// allow_unknown_region = true: a typo like "eu-wst-1" must not pass for a
// region and fail later, one request at a time.
var KnownRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"af-south-1",
	"ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"eu-south-1", "eu-south-2", "eu-north-1",
	"il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
	"us-gov-east-1", "us-gov-west-1",
	"cn-north-1", "cn-northwest-1",
}

// KnownRegion says whether this build knows the region.
func KnownRegion(s string) bool { return slices.Contains(KnownRegions, s) }

// NearestRegion is the known region that differs least from s, for "did
// you mean".
func NearestRegion(s string) string {
	best, bestD := KnownRegions[0], -1
	for _, r := range KnownRegions {
		if d := editDistance(s, r); bestD < 0 || d < bestD {
			best, bestD = r, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unknownRegion is the message for a region this build does not know.
func unknownRegion(s string) string {
	return fmt.Sprintf("%q is not a region hopd knows; did you mean %q? (for a region newer than this hopd, set allow_unknown_region = true at the top of the file)", s, NearestRegion(s))
}
