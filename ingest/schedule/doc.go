// Package schedule runs sync runs of configured sources on cron schedules
// (github.com/robfig/cron/v3): at most one run per source at a time, a
// bounded number of sources at once, identity resolution after each run,
// and a fresh projection published when a run changed the graph. Active
// runs report progress, and finished runs report drift through the store.
package schedule
