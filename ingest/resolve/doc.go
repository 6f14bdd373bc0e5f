// Package resolve links accounts from every source to one identity per
// person, service or agent. Accounts that share a stable key (employee id,
// email, user principal name) belong to the same identity; every link
// records the key that made it. Two accounts are never merged when that
// would give one identity two different employee ids: such conflicts are
// reported, and the accounts stay apart.
//
// Resolution is itself a sync run of the source "resolution": each pass
// writes the identities and links it finds, and the sweep removes the ones a
// changed source no longer supports.
package resolve
