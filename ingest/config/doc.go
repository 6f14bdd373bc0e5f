// Package config reads accessgraph's configuration file: the store, the
// server, and the sources to ingest with their schedules and credentials.
// Secrets never appear in the file itself: a source names an environment
// variable or a file that holds its token. Validation errors name the file,
// the line and what was expected.
//
// Example:
//
//	store:
//	  dir: /var/lib/accessgraph
//	server:
//	  addr: 127.0.0.1:8080
//	sources:
//	  - name: prod-aws
//	    kind: aws
//	    schedule: "@every 1h"
//	    paths: [/exports/prod/gaad.json]
//	  - name: okta
//	    kind: okta
//	    schedule: "0 */4 * * *"
//	    url: https://example.okta.com
//	    token: {env: OKTA_API_TOKEN}
package config
