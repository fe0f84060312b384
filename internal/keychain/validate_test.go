package keychain

import (
	"strings"
	"testing"
)

const (
	goodID     = "AKIAIOSFODNN7EXAMPLE"
	goodSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func TestValidateKeysAcceptsIAMUserKeys(t *testing.T) {
	for _, k := range []Keys{
		{goodID, goodSecret},
		{"AKIA" + strings.Repeat("Z", 124), "++++////" + strings.Repeat("a", 32)},
	} {
		if err := ValidateKeys(k); err != nil {
			t.Errorf("ValidateKeys(%s...) = %v; want nil", k.AccessKeyID[:8], err)
		}
	}
}

func TestValidateKeysRefuses(t *testing.T) {
	cases := []struct {
		name string
		keys Keys
		want string // in the error
	}{
		{"empty id", Keys{"", goodSecret}, "access key id is empty"},
		{"short id", Keys{"AKIA123", goodSecret}, "16 to 128"},
		{"long id", Keys{"AKIA" + strings.Repeat("A", 125), goodSecret}, "16 to 128"},
		{"lower-case id", Keys{"akiaiosfodnn7example", goodSecret}, "capital letters"},
		{"temporary id", Keys{"ASIAIOSFODNN7EXAMPLE", goodSecret}, `starting "ASIA..." must start with AKIA: hopd stores an IAM user's long-lived key, not temporary credentials`},
		{"empty secret", Keys{goodID, ""}, "secret access key is empty"},
		{"short secret", Keys{goodID, goodSecret[:39]}, "40 characters long, not 39"},
		{"long secret", Keys{goodID, goodSecret + "A"}, "40 characters long, not 41"},
		{"newline in secret", Keys{goodID, goodSecret[:39] + "\n"}, "line break"},
		{"bad character", Keys{goodID, goodSecret[:39] + "="}, "only letters, digits, / and +"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateKeys(c.keys)
			if err == nil {
				t.Fatal("ValidateKeys accepted the keys")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if c.keys.SecretAccessKey != "" && strings.Contains(err.Error(), c.keys.SecretAccessKey[:10]) {
				t.Errorf("error %q shows the secret", err)
			}
			if len(c.keys.AccessKeyID) > 4 && strings.Contains(err.Error(), c.keys.AccessKeyID[:5]) {
				t.Errorf("error %q shows more of the access key id than its first four characters", err)
			}
		})
	}
}

// A secret pasted into the access key id field must not be echoed back.
func TestValidateKeysHidesSwappedSecret(t *testing.T) {
	err := ValidateKeys(Keys{AccessKeyID: goodSecret, SecretAccessKey: goodID})
	if err == nil {
		t.Fatal("ValidateKeys accepted swapped keys")
	}
	if strings.Contains(err.Error(), goodSecret[:4]) {
		t.Errorf("error %q shows the start of the secret", err)
	}
}

func TestValidUser(t *testing.T) {
	for _, u := range []string{"michael", "ci+bot@example.com", "a_b-c.d=e,f"} {
		if err := validUser(u); err != nil {
			t.Errorf("validUser(%q) = %v; want nil", u, err)
		}
	}
	for _, u := range []string{"", "a/session", "two words", "tab\there", strings.Repeat("x", 129)} {
		if err := validUser(u); err == nil {
			t.Errorf("validUser(%q) = nil; want an error", u)
		}
	}
}
