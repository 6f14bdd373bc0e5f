// Package projection holds the immutable in-memory snapshot of the access
// graph that analysis runs on, and the algorithms over it: blast radius,
// paths and reverse reach.
package projection
