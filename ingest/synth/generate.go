package synth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// GeneratorVersion names the output format; it changes whenever the same
// Options would produce different files.
const GeneratorVersion = "accessgraph-synth/3"

// Generate builds the company described by opt and writes its exports under
// dir (created if needed): aws/<account>-authorization-details.json,
// aws/<account>-credential-report.csv, k8s/<cluster>-rbac.yaml,
// hr/people.csv, the Okta export okta/, the Google Workspace export google/
// and manifest.json. progress, if not nil, is called after
// each step with the steps done and the total. The same opt always gives
// byte-identical files.
func Generate(dir string, opt Options, progress func(done, total int)) (*Manifest, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"aws", "k8s", "hr"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("create output dir: %w", err)
		}
	}
	total := opt.AWSAccounts + opt.Clusters + 2 + 3
	done := 0
	step := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}

	c := buildCompany(opt)
	step()
	m := &Manifest{Generator: GeneratorVersion, Company: c.name, Domain: c.domain, Options: opt}
	m.Counts.Teams = len(c.teams)
	m.Counts.Services = len(c.apps)
	m.Counts.Agents = len(c.agents)
	m.Counts.AWSAccounts = len(c.accounts)
	m.Counts.Clusters = len(c.clusters)

	hr, err := c.writeHR(dir, &m.Counts)
	if err != nil {
		return nil, err
	}
	m.Files.HR = hr
	step()

	for i := range c.accounts {
		a := &c.accounts[i]
		m.Files.AWSAuthorizationDetails = append(m.Files.AWSAuthorizationDetails,
			AWSFile{Path: "aws/" + a.id + "-authorization-details.json", AccountID: a.id, Alias: a.alias})
		m.Files.AWSCredentialReports = append(m.Files.AWSCredentialReports,
			AWSFile{Path: "aws/" + a.id + "-credential-report.csv", AccountID: a.id, Alias: a.alias})
	}
	for i := range c.clusters {
		m.Files.K8s = append(m.Files.K8s, K8sFile{Path: "k8s/" + c.clusters[i].name + "-rbac.yaml",
			Cluster: c.clusters[i].name, DefaultNamespace: defaultNamespace})
	}
	m.Files.Okta = &OktaExport{Path: "okta", Org: c.oktaOrg()}
	m.Files.Google = &GoogleExport{Path: "google", Tenant: c.domain}
	if err := c.writeSources(dir, m, step); err != nil {
		return nil, err
	}
	sort.Slice(m.Planted, func(i, j int) bool { return m.Planted[i].ID < m.Planted[j].ID })

	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil { //nolint:gosec // the manifest is shared like the exports it lists
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	step()
	slog.Debug("synthetic company generated", "dir", dir, "identities", opt.Identities,
		"aws_accounts", opt.AWSAccounts, "clusters", opt.Clusters, "planted", len(m.Planted))
	return m, nil
}

// sourceResult is what writing one account's or one cluster's files yields.
type sourceResult struct {
	counts Counts
	plants []Plant
	err    error
}

// writeSources writes the Okta and Google exports and every account's and
// cluster's files, in parallel: each depends only on the company and its
// own random stream, so the output
// does not depend on scheduling. Counts and plants are merged in task order.
func (c *company) writeSources(dir string, m *Manifest, step func()) error {
	// Tasks: the Okta and Google exports (the largest) first, then every
	// account and cluster.
	const saas = 2
	n := saas + len(c.accounts) + len(c.clusters)
	results := make([]sourceResult, n)
	tasks := make(chan int)
	done := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), 4, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tasks {
				r := &results[i]
				switch {
				case i == 0:
					r.plants, r.err = c.generateOkta(dir, &r.counts)
				case i == 1:
					r.plants, r.err = c.generateGoogle(dir, &r.counts)
				case i < saas+len(c.accounts):
					r.plants, r.err = c.generateAWS(dir, i-saas, &r.counts)
				default:
					r.plants, r.err = c.generateK8s(dir, i-saas-len(c.accounts), &r.counts)
				}
				done <- i
			}
		}()
	}
	go func() {
		for i := range n {
			tasks <- i
		}
		close(tasks)
		wg.Wait()
		close(done)
	}()
	for range done {
		step()
	}
	for i := range results {
		r := &results[i]
		if r.err != nil {
			return r.err
		}
		m.Counts.add(&r.counts)
		m.Planted = append(m.Planted, r.plants...)
	}
	return nil
}
