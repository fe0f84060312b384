package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hopd/hopd/internal/broker"
)

// TestAnswerFollowsCredentials checks that an answer encoded once is never
// served for other credentials: any field that changes gives a new one.
func TestAnswerFollowsCredentials(t *testing.T) {
	var as answers
	c := fixtureCreds("222222222222")
	first := as.get("production", &c)
	same := c
	if got := as.get("production", &same); got != first {
		t.Error("the same credentials were encoded again")
	}
	for name, change := range map[string]func(*broker.Creds){
		"key":     func(c *broker.Creds) { c.AccessKeyID += "2" },
		"secret":  func(c *broker.Creds) { c.SecretAccessKey += "2" },
		"token":   func(c *broker.Creds) { c.SessionToken += "2" },
		"expiry":  func(c *broker.Creds) { c.Expiration = c.Expiration.Add(time.Second) },
		"account": func(c *broker.Creds) { c.AccountID = "333333333333" },
	} {
		next := c
		change(&next)
		a := as.get("production", &next)
		if a == first {
			t.Errorf("a new %s was served the old answer", name)
		}
		var ecs struct{ AccessKeyId, SecretAccessKey, Token, AccountId, Expiration string }
		if err := json.Unmarshal(a.ecs, &ecs); err != nil {
			t.Fatal(err)
		}
		if ecs.AccessKeyId != next.AccessKeyID || ecs.SecretAccessKey != next.SecretAccessKey || ecs.Token != next.SessionToken || ecs.AccountId != next.AccountID {
			t.Errorf("after a new %s the ECS answer is %s", name, a.ecs)
		}
		wantRFC3339Z(t, ecs.Expiration, next.Expiration)
		var imds map[string]string
		if err := json.Unmarshal(a.imds, &imds); err != nil {
			t.Fatal(err)
		}
		if imds["Token"] != next.SessionToken || imds["Code"] != "Success" {
			t.Errorf("after a new %s the IMDS answer is %s", name, a.imds)
		}
	}
	if got := as.get("staging", &c); got == first {
		t.Error("two accounts share one answer")
	}
}
