package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestKeysRotate: hopd keys rotate against moto's IAM creates a new key,
// stores it, and deletes the old one; with two keys already it changes
// nothing and names the key to delete (issue 12).
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.WriteConfig(d.config(d.accounts))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, "")})
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(d.user)}); err != nil {
		t.Fatalf("moto CreateUser: %v", err)
	}
	first, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(d.user)})
	if err != nil {
		t.Fatalf("moto CreateAccessKey: %v", err)
	}
	d.setKeys(aws.ToString(first.AccessKey.AccessKeyId), aws.ToString(first.AccessKey.SecretAccessKey))
	keys := func() []string {
		t.Helper()
		out, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(d.user)})
		if err != nil {
			t.Fatalf("moto ListAccessKeys: %v", err)
		}
		var ids []string
		for _, k := range out.AccessKeyMetadata {
			ids = append(ids, aws.ToString(k.AccessKeyId))
		}
		slices.Sort(ids)
		return ids
	}

	rotate := func() (oldID, newID string) {
		t.Helper()
		r := d.run("keys", "rotate")
		// "Rotated the access key of USER: NEW is stored and works; OLD is deleted."
		f := strings.Fields(r.stdout)
		if r.code != 0 || len(f) < 12 || !strings.HasPrefix(r.stdout, "Rotated") {
			t.Fatalf("hopd keys rotate: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		return f[11], f[6]
	}
	old1, new1 := rotate()
	if old1 != aws.ToString(first.AccessKey.AccessKeyId) || new1 == old1 {
		t.Errorf("first rotation: old %s new %s; want old %s and a new one", old1, new1, aws.ToString(first.AccessKey.AccessKeyId))
	}
	if got := keys(); !slices.Equal(got, []string{new1}) {
		t.Errorf("after the rotation IAM has keys %v; want only the new one, %s", got, new1)
	}
	// The stored key is the new one: the next rotation starts from it.
	old2, new2 := rotate()
	if old2 != new1 || new2 == new1 {
		t.Errorf("second rotation: old %s new %s; want old %s (the key stored by the first)", old2, new2, new1)
	}
	// The doctor judges the stored key's age from IAM's CreateDate; the
	// test clock makes it 91 days later.
	if r := d.run("doctor"); !strings.Contains(r.stdout, "the access key "+new2+" of "+d.user+" is 0 days old") {
		t.Errorf("hopd doctor on a new key:\n%s%s", r.stdout, r.stderr)
	}
	offset := filepath.Join(t.TempDir(), "offset")
	must(t, os.WriteFile(offset, []byte("2200h"), 0o600))
	r := runCmd(t, append(d.Env, "HOPD_TEST_CLOCK_OFFSET_FILE="+offset), "", d.Bin, "doctor")
	if !strings.Contains(r.stdout, "is 91 days old, older than the 90 AWS advises; rotate it with `hopd keys rotate "+d.user+"`") {
		t.Errorf("hopd doctor 91 days after the key was made does not warn:\n%s%s", r.stdout, r.stderr)
	}

	// And the daemon serves with it.
	d.start()
	d.waitECS("production")

	// Two keys already: nothing changes, and the error names the extra one.
	extra, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(d.user)})
	if err != nil {
		t.Fatalf("moto CreateAccessKey: %v", err)
	}
	before := keys()
	r = d.run("keys", "rotate")
	if r.code == 0 || !strings.Contains(r.stderr, "already has two access keys") || !strings.Contains(r.stderr, aws.ToString(extra.AccessKey.AccessKeyId)) || !strings.Contains(r.stderr, "nothing was changed") || !oneLine(r.stderr) {
		t.Errorf("hopd keys rotate with two keys: exit %d, %q; want one line saying so and naming %s", r.code, r.stderr, aws.ToString(extra.AccessKey.AccessKeyId))
	}
	if after := keys(); !slices.Equal(after, before) {
		t.Errorf("IAM keys changed from %v to %v though the rotation refused", before, after)
	}
}

// TestDoctorSeesKeysThatWorkWithoutMFA: moto enforces no policy, so keys
// of a user with mfa_serial work alone, which is what the doctor must
// report (issue 12).
func TestDoctorSeesKeysThatWorkWithoutMFA(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{mfa: true})
	d.WriteConfig(d.config(d.accounts))
	d.setKeys(iamKeyID, iamSecret)
	r := d.run("doctor")
	if !strings.Contains(r.stdout, "the keys of "+d.user+" work without MFA") {
		t.Errorf("hopd doctor for a user with mfa_serial whose keys work alone:\n%s%s", r.stdout, r.stderr)
	}
}
