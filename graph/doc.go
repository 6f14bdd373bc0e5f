// Package graph holds accessgraph's access model: typed nodes (identities,
// accounts, groups, roles, entitlements, resources, credentials, grants and
// applications), typed edges that say what they carry, the Store interface
// that every storage backend implements, and the sync-run bookkeeping that lets
// a finished run sweep what its source no longer reports.
//
// Analysis (blast radius, paths, reverse reach) does not run on a Store
// directly: it runs on an immutable projection built from one, see
// package graph/projection.
package graph
