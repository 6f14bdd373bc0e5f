package aws

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, q           string
		fold           bool
		covers, overlp bool
	}{
		{"s3:*", "s3:GetObject", true, true, true},
		{"s3:get*", "S3:GetObject", true, true, true},
		{"s3:get*", "S3:GetObject", false, false, false},
		{"s3:*", "s3:Get*", true, true, true},
		{"s3:Get*", "s3:*", true, false, true},
		{"s3:Get*", "s3:Put*", true, false, false},
		{"s3:*Object", "s3:Get*", true, false, true},
		{"s3:Get?bject", "s3:GetObject", true, true, true},
		{"s3:Get?bject", "s3:Get*", true, false, true},
		{"*", "iam:PassRole", true, true, true},
		{"iam:*", "s3:*", true, false, false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x", false, true, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false, false, false},
		{"arn:aws:s3:::a*", "arn:aws:s3:::*b", false, false, true},
		{"arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/x", false, true, true},
	} {
		t.Run(tc.p+" ~ "+tc.q, func(t *testing.T) {
			require.Equal(t, tc.covers, globCovers(tc.p, tc.q, tc.fold), "covers")
			require.Equal(t, tc.overlp, globsMayOverlap(tc.p, tc.q, tc.fold), "overlap")
			require.Equal(t, tc.overlp, globsMayOverlap(tc.q, tc.p, tc.fold), "overlap is symmetric")
		})
	}
}
