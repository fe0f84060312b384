package discover

import (
	"sort"
	"strings"
)

// maxName is the longest account name hopd accepts.
const maxName = 64

// latin folds the accented letters of Western European names to ASCII, so
// that "Société Générale" becomes "societe-generale" rather than
// "soci-t-g-n-rale".
var latin = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "æ", "ae",
	"ç", "c", "è", "e", "é", "e", "ê", "e", "ë", "e",
	"ì", "i", "í", "i", "î", "i", "ï", "i", "ñ", "n",
	"ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "œ", "oe",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y", "ß", "ss",
)

// BaseName turns an account's name in AWS Organizations into a valid hopd
// account name: lower case, letters and digits, runs of anything else as
// one dash, at most 64 characters. A name with nothing usable becomes
// "account-<id>".
func BaseName(awsName, id string) string {
	s := latin.Replace(strings.ToLower(awsName))
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	name := trim(b.String(), maxName)
	if name == "" {
		return "account-" + id
	}
	return name
}

// trim cuts s to at most n bytes (it is ASCII) without a dash at the end.
func trim(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "-")
}

// candidates are the names an account may get, best first: its base name,
// then the base name with the last four digits of its id, then with all
// twelve. Two accounts never share the last one.
func candidates(awsName, id string) []string {
	base := BaseName(awsName, id)
	with := func(suffix string) string { return trim(base, maxName-1-len(suffix)) + "-" + suffix }
	return []string{base, with(id[len(id)-4:]), with(id)}
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
