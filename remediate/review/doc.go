// Package review turns risk assessments into review queues: one item per
// review subject (an identity with its accounts and credentials, or a role,
// group, unlinked account, credential or grant), sorted by score, with the
// rule hits as reasons and the LLM's rationale. Decisions (KEEP, REVOKE,
// EXPIRE_AT) are recorded durably in a bbolt file with who, when and why;
// REVOKE and EXPIRE_AT become pending remediation requests; a KEEP with an
// expiry is an exception that lapses on schedule (robfig/cron), putting the
// item back in the queue.
package review
