// Package keyrotate replaces an IAM user's access key with a new one,
// keeping the old one until the new one is stored and works.
package keyrotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/hopd/hopd/internal/keychain"
)

// IAM is the part of the IAM API a rotation calls.
type IAM interface {
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, opts ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, opts ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
}

// Store is where the user's keys are kept: the keychain.
type Store interface {
	Keys(user string) (keychain.Keys, error)
	SetKeys(user string, k keychain.Keys) error
}

// Rotator does one rotation. Verify proves keys work (sts:GetCallerIdentity);
// a new key can take seconds to be accepted, so it is tried for VerifyFor.
type Rotator struct {
	IAM       IAM
	Store     Store
	Verify    func(ctx context.Context, k keychain.Keys) error
	VerifyFor time.Duration // default 15s
	Wait      time.Duration // between tries; default 1s
}

// Result is what a rotation did.
type Result struct {
	Old, New string // access key ids
}

// Rotate creates a new key for user, stores it, checks that it works and
// deletes the old one. At every step that fails, what was done is undone
// (or the error says exactly what is left), so the user always has one
// stored key that works.
func (r Rotator) Rotate(ctx context.Context, user string) (Result, error) {
	old, err := r.Store.Keys(user)
	if err != nil {
		return Result{}, err
	}
	list, err := r.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return Result{}, fmt.Errorf("listing the access keys of %s: %w (nothing was changed)", user, err)
	}
	if n := len(list.AccessKeyMetadata); n >= 2 {
		other := ""
		for _, k := range list.AccessKeyMetadata {
			if id := aws.ToString(k.AccessKeyId); id != old.AccessKeyID {
				other = id
			}
		}
		return Result{}, fmt.Errorf("user %s already has two access keys, the most IAM allows, so there is no room for a new one (nothing was changed); delete the one hopd does not use (`aws iam delete-access-key --user-name %s --access-key-id %s`) and run this again", user, user, other)
	}
	created, err := r.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return Result{}, fmt.Errorf("creating a new access key for %s: %w (nothing was changed)", user, err)
	}
	fresh := keychain.Keys{AccessKeyID: aws.ToString(created.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(created.AccessKey.SecretAccessKey)}
	res := Result{Old: old.AccessKeyID, New: fresh.AccessKeyID}
	undo := func(step string, cause error) error {
		if _, derr := r.IAM.DeleteAccessKey(context.WithoutCancel(ctx), &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(fresh.AccessKeyID)}); derr != nil {
			return fmt.Errorf("%s: %w; the old key %s is still stored and in use, and the new key %s could not be deleted (%v): delete it with `aws iam delete-access-key --user-name %s --access-key-id %s`", step, cause, old.AccessKeyID, fresh.AccessKeyID, derr, user, fresh.AccessKeyID)
		}
		return fmt.Errorf("%s: %w; the new key was deleted again and the old key %s is still stored and in use", step, cause, old.AccessKeyID)
	}
	if err := r.verify(ctx, fresh); err != nil {
		return res, undo("the new access key does not work", err)
	}
	if err := r.Store.SetKeys(user, fresh); err != nil {
		return res, undo("storing the new access key", err)
	}
	if err := r.deleteOld(ctx, user, old.AccessKeyID); err != nil {
		return res, fmt.Errorf("the new key %s is stored and works, but the old key %s could not be deleted (%w): delete it with `aws iam delete-access-key --user-name %s --access-key-id %s`", fresh.AccessKeyID, old.AccessKeyID, err, user, old.AccessKeyID)
	}
	return res, nil
}

func (r Rotator) verify(ctx context.Context, k keychain.Keys) error {
	deadline := time.Now().Add(cmpDur(r.VerifyFor, 15*time.Second))
	for {
		err := r.Verify(ctx, k)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		if err := sleep(ctx, cmpDur(r.Wait, time.Second)); err != nil {
			return err
		}
	}
}

// deleteOld tries three times: IAM throttles and fails now and then, and
// leaving the old key behind would defeat the rotation.
func (r Rotator) deleteOld(ctx context.Context, user, id string) error {
	var err error
	for try := range 3 {
		if try > 0 {
			if serr := sleep(ctx, cmpDur(r.Wait, time.Second)); serr != nil {
				return errors.Join(err, serr)
			}
		}
		if _, err = r.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)}); err == nil {
			return nil
		}
	}
	return err
}

func cmpDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
