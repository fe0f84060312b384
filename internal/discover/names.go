package discover

import (
	"sort"

	"github.com/hopd/hopd/internal/config"
)

// candidates are the names an account may get, best first: its base name,
// then the base name with the last four digits of its id, then with all
// twelve. Two accounts never share the last one.
func candidates(awsName, id string) []string {
	base := config.AccountNameFrom(awsName, id)
	return []string{base, config.NameWithSuffix(base, id[len(id)-4:]), config.NameWithSuffix(base, id)}
}

// assignNames names the accounts uniquely and deterministically. Names are
// sticky: an account keeps the name it had in prev as long as that name is
// still one of its candidates, so an account that joins later never takes
// a name from one that was there first. The others get their first free
// candidate, in order of account id.
func assignNames(found []Account, prev []Account) []Account {
	out := make([]Account, len(found))
	copy(out, found)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })

	before := make(map[string]string, len(prev)) // id -> name
	for _, a := range prev {
		before[a.ID] = a.Name
	}
	taken := make(map[string]bool, len(out))
	named := make([]bool, len(out))
	for i, a := range out {
		old, ok := before[a.ID]
		if !ok || taken[old] {
			continue
		}
		for _, c := range candidates(a.AWSName, a.ID) {
			if c == old {
				out[i].Name, named[i], taken[old] = old, true, true
				break
			}
		}
	}
	for i, a := range out {
		if named[i] {
			continue
		}
		out[i].Name = firstFree(candidates(a.AWSName, a.ID), taken)
		taken[out[i].Name] = true
	}
	return out
}

// firstFree returns the first of names not taken; the last one embeds the
// whole account id, so it is free unless the same id came twice.
func firstFree(names []string, taken map[string]bool) string {
	for _, n := range names {
		if !taken[n] {
			return n
		}
	}
	return names[len(names)-1]
}
