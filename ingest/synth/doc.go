// Package synth generates a deterministic synthetic company and writes its
// identity exports in the formats real sources produce: AWS IAM
// get-account-authorization-details JSON and credential report CSV per
// account, Kubernetes RBAC YAML per cluster, and an HR roster CSV. A
// manifest.json lists the files, the counts of everything written and a set
// of planted risky patterns with the exact principals, resources and
// privileges they involve, so the whole ingest and analysis pipeline can be
// tested against known answers.
//
// The same Options always produce byte-identical files: all randomness comes
// from math/rand/v2 PCG sources seeded from Options.Seed, maps are iterated in
// sorted order and every timestamp derives from Options.Now.
package synth
