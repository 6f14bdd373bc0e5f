package synth

import (
	"fmt"
	"time"
)

// DefaultNow is the fixed clock used when Options.Now is zero, so that output
// never depends on when the generator runs.
var DefaultNow = time.Date(2025, time.June, 30, 12, 0, 0, 0, time.UTC)

// Limits on Options.
const (
	// MinIdentities is the smallest company Generate accepts: below it the
	// planted patterns would crowd out the ordinary population.
	MinIdentities = 50
	// MaxIdentities is the largest company Generate accepts.
	MaxIdentities = 1_000_000
	// MaxAWSAccounts caps the number of AWS accounts.
	MaxAWSAccounts = 50
	// MaxClusters caps the number of Kubernetes clusters.
	MaxClusters = 100
)

// Options control the size and randomness of the generated company. Zero
// fields take defaults, see Options.withDefaults.
type Options struct {
	// Identities is the number of identities: people, service identities
	// (applications) and AI agents together. Default 1000.
	Identities int `json:"identities"`
	// Seed seeds every random choice; the same Options give the same files.
	Seed int64 `json:"seed"`
	// Now is the reference time every date is computed from. Default DefaultNow.
	Now time.Time `json:"now"`
	// AWSAccounts is the number of AWS accounts. Default: one per 2,000
	// identities, at least 1 and at most MaxAWSAccounts.
	AWSAccounts int `json:"awsAccounts"`
	// Clusters is the number of Kubernetes clusters. Default: one per 5,000
	// identities, at least 1 and at most MaxClusters.
	Clusters int `json:"clusters"`
}

// withDefaults returns o with zero fields filled in, or an error for values
// out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Identities == 0 {
		o.Identities = 1000
	}
	if o.Identities < MinIdentities || o.Identities > MaxIdentities {
		return o, fmt.Errorf("options: identities %d out of range [%d, %d]",
			o.Identities, MinIdentities, MaxIdentities)
	}
	if o.Now.IsZero() {
		o.Now = DefaultNow
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.AWSAccounts == 0 {
		o.AWSAccounts = clamp(o.Identities/2000, 1, MaxAWSAccounts)
	}
	if o.AWSAccounts < 1 || o.AWSAccounts > MaxAWSAccounts {
		return o, fmt.Errorf("options: aws accounts %d out of range [1, %d]", o.AWSAccounts, MaxAWSAccounts)
	}
	if o.Clusters == 0 {
		o.Clusters = clamp(o.Identities/5000, 1, MaxClusters)
	}
	if o.Clusters < 1 || o.Clusters > MaxClusters {
		return o, fmt.Errorf("options: clusters %d out of range [1, %d]", o.Clusters, MaxClusters)
	}
	return o, nil
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
