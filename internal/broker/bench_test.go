package broker_test

import (
	"context"
	"testing"
)

// BenchmarkCredentialsCached measures the broker's part of serving cached
// credentials: a map load, two atomics and a clock read.
func BenchmarkCredentialsCached(b *testing.B) {
	br := newBroker(b, testConfig(b, threeAccounts), newMemKeys("michael"), newFakeSTS(), nil)
	ctx := context.Background()
	if _, err := br.Credentials(ctx, "production"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := br.Credentials(ctx, "production"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
