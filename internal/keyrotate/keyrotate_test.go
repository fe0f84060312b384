package keyrotate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/hopd/hopd/internal/keychain"
)

// fakeIAM is one user's keys in memory; failDelete fails that many deletes.
type fakeIAM struct {
	keys       []string
	n          int
	failDelete int
}

func (f *fakeIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	var md []types.AccessKeyMetadata
	for _, k := range f.keys {
		md = append(md, types.AccessKeyMetadata{AccessKeyId: aws.String(k)})
	}
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: md}, nil
}

func (f *fakeIAM) CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	f.n++
	id := "AKIANEW" + string(rune('0'+f.n))
	f.keys = append(f.keys, id)
	return &iam.CreateAccessKeyOutput{AccessKey: &types.AccessKey{AccessKeyId: aws.String(id), SecretAccessKey: aws.String("s")}}, nil
}

func (f *fakeIAM) DeleteAccessKey(_ context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	if f.failDelete > 0 {
		f.failDelete--
		return nil, errors.New("throttled")
	}
	f.keys = slices.DeleteFunc(f.keys, func(k string) bool { return k == aws.ToString(in.AccessKeyId) })
	return &iam.DeleteAccessKeyOutput{}, nil
}

type fakeStore struct {
	k       keychain.Keys
	failSet bool
}

func (s *fakeStore) Keys(string) (keychain.Keys, error) { return s.k, nil }
func (s *fakeStore) SetKeys(_ string, k keychain.Keys) error {
	if s.failSet {
		return errors.New("keychain locked")
	}
	s.k = k
	return nil
}

func TestRotate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keys       []string
		verifyErr  error
		failSet    bool
		failDelete int
		wantErr    string
		wantKeys   []string
		wantStored string
	}{
		{name: "clean", keys: []string{"AKIAOLD"}, wantKeys: []string{"AKIANEW1"}, wantStored: "AKIANEW1"},
		{name: "delete retried", keys: []string{"AKIAOLD"}, failDelete: 2, wantKeys: []string{"AKIANEW1"}, wantStored: "AKIANEW1"},
		{name: "delete keeps failing", keys: []string{"AKIAOLD"}, failDelete: 3, wantErr: "old key AKIAOLD could not be deleted", wantKeys: []string{"AKIAOLD", "AKIANEW1"}, wantStored: "AKIANEW1"},
		{name: "two keys already", keys: []string{"AKIAOLD", "AKIAOTHER"}, wantErr: "delete-access-key --user-name m --access-key-id AKIAOTHER", wantKeys: []string{"AKIAOLD", "AKIAOTHER"}, wantStored: "AKIAOLD"},
		{name: "new key does not work", keys: []string{"AKIAOLD"}, verifyErr: errors.New("InvalidClientTokenId"), wantErr: "the new key was deleted again and the old key AKIAOLD is still stored", wantKeys: []string{"AKIAOLD"}, wantStored: "AKIAOLD"},
		{name: "cannot store", keys: []string{"AKIAOLD"}, failSet: true, wantErr: "storing the new access key: keychain locked", wantKeys: []string{"AKIAOLD"}, wantStored: "AKIAOLD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeIAM{keys: slices.Clone(tc.keys), failDelete: tc.failDelete}
			st := &fakeStore{k: keychain.Keys{AccessKeyID: "AKIAOLD", SecretAccessKey: "old"}, failSet: tc.failSet}
			r := Rotator{IAM: f, Store: st, VerifyFor: time.Millisecond, Wait: time.Millisecond,
				Verify: func(context.Context, keychain.Keys) error { return tc.verifyErr }}
			_, err := r.Rotate(context.Background(), "m")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Rotate: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Rotate: %v; want an error saying %q", err, tc.wantErr)
			}
			if !slices.Equal(f.keys, tc.wantKeys) {
				t.Errorf("IAM keys %v; want %v", f.keys, tc.wantKeys)
			}
			if st.k.AccessKeyID != tc.wantStored {
				t.Errorf("stored %s; want %s", st.k.AccessKeyID, tc.wantStored)
			}
		})
	}
}
