package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SaaS layer: the applications people sign in to through Okta, and the
// third-party apps they granted Google Workspace OAuth tokens to. Both
// connectors' exports are built from the people of the company, so the same
// person has the same email and employee id in HR, AWS, Okta and Google.

// Department bit masks for app affinity.
const (
	mEng     = 1 << deptEngineering
	mSales   = 1 << deptSales
	mSupport = 1 << deptSupport
	mFinance = 1 << deptFinance
	mSec     = 1 << deptSecurity
	mData    = 1 << deptData
	mHR      = 1 << deptHR
	mIT      = 1 << deptIT
	mAll     = 0xff
)

// saasBase is the catalog of SSO applications: label, Okta app name, sign-on
// mode, the departments that use it and the share of them assigned.
var saasBase = []struct {
	label, name, mode string
	depts             int
	share             float64
}{
	{"Slack", "slack", "SAML_2_0", mAll, 0.97},
	{"Zoom", "zoomus", "SAML_2_0", mAll, 0.9},
	{"Google Workspace", "google", "SAML_2_0", mAll, 0.95},
	{"Atlassian Jira", "atlassian_jira_cloud", "SAML_2_0", mEng | mData | mSupport | mIT | mSec, 0.85},
	{"Atlassian Confluence", "atlassian_confluence_cloud", "SAML_2_0", mAll, 0.6},
	{"GitHub Enterprise", "githubcloud", "SAML_2_0", mEng | mData | mSec | mIT, 0.9},
	{"Salesforce", "salesforce", "SAML_2_0", mSales | mSupport | mFinance, 0.9},
	{"Workday", "workday", "SAML_2_0", mAll, 0.8},
	{"Snowflake", "snowflake", "SAML_2_0", mData | mFinance | mEng, 0.55},
	{"Datadog", "datadog", "SAML_2_0", mEng | mSec | mIT, 0.5},
	{"PagerDuty", "pagerduty", "SAML_2_0", mEng | mSec | mIT, 0.4},
	{"Zendesk", "zendesk", "SAML_2_0", mSupport | mSales, 0.85},
	{"NetSuite", "netsuite", "SAML_2_0", mFinance, 0.8},
	{"Coupa", "coupa", "SAML_2_0", mFinance | mIT, 0.4},
	{"Greenhouse", "greenhouse", "SAML_2_0", mHR, 0.8},
	{"BambooHR", "bamboohr", "SAML_2_0", mHR, 0.7},
	{"Tableau", "tableau_online", "SAML_2_0", mData | mFinance | mSales, 0.4},
	{"Looker", "looker", "OPENID_CONNECT", mData | mSales | mSupport, 0.35},
	{"Figma", "figma", "SAML_2_0", mEng, 0.25},
	{"Miro", "miro", "SAML_2_0", mAll, 0.2},
	{"Notion", "notion", "SAML_2_0", mAll, 0.25},
	{"Asana", "asana", "SAML_2_0", mSales | mHR | mFinance, 0.2},
	{"DocuSign", "docusign", "SAML_2_0", mSales | mFinance | mHR, 0.45},
	{"Box", "boxnet", "SAML_2_0", mSales | mFinance | mHR, 0.3},
	{"AWS IAM Identity Center", "amazon_aws_sso", "SAML_2_0", mEng | mData | mSec | mIT, 0.7},
	{"Terraform Cloud", "terraform_cloud", "SAML_2_0", mEng | mIT, 0.2},
	{"CrowdStrike Falcon", "crowdstrike", "SAML_2_0", mSec | mIT, 0.6},
	{"Splunk Cloud", "splunk", "SAML_2_0", mSec | mIT | mEng, 0.3},
	{"1Password", "1password", "OPENID_CONNECT", mAll, 0.5},
	{"Gong", "gong", "SAML_2_0", mSales, 0.6},
	{"HubSpot", "hubspot", "SAML_2_0", mSales, 0.3},
	{"Expensify", "expensify", "SAML_2_0", mAll, 0.35},
	{"Carta", "carta", "SAML_2_0", mFinance, 0.3},
	{"Lattice", "lattice", "SAML_2_0", mAll, 0.4},
	{"ServiceNow", "servicenow_ud", "SAML_2_0", mIT | mSupport | mSec, 0.5},
	{"Jamf Pro", "jamf", "SAML_2_0", mIT, 0.6},
	{"Sentry", "sentry", "SAML_2_0", mEng, 0.35},
	{"LaunchDarkly", "launchdarkly", "SAML_2_0", mEng, 0.25},
	{"dbt Cloud", "dbt_cloud", "OPENID_CONNECT", mData, 0.4},
	{"Databricks", "databricks", "SAML_2_0", mData | mEng, 0.3},
}

// saasVariants name further instances of catalog apps in large companies.
var saasVariants = []string{"EU", "Sandbox", "APAC", "Legacy", "Staging", "Partners", "Analytics", "Dev"}

// thirdPartyBase are third-party apps people connect to their Google
// account, with the scopes each requests. Most ask only for sign-in.
var thirdPartyBase = []struct {
	name   string
	scopes []string
}{
	{"Zoom for Google Workspace", []string{"openid", "userinfo.email", "userinfo.profile", "calendar.events"}},
	{"Slack", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Calendly", []string{"openid", "userinfo.email", "calendar.events", "calendar.readonly"}},
	{"Miro", []string{"openid", "userinfo.email", "userinfo.profile", "drive.file"}},
	{"Notion", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Loom", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Grammarly", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Lucidchart", []string{"openid", "userinfo.email", "drive.file", "drive.install"}},
	{"DocuSign eSignature", []string{"openid", "userinfo.email", "drive.file"}},
	{"Trello", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Figma", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Asana", []string{"openid", "userinfo.email", "userinfo.profile", "drive.file"}},
	{"Canva", []string{"openid", "userinfo.email", "userinfo.profile", "drive.file"}},
	{"Smartsheet", []string{"openid", "userinfo.email", "drive.file", "spreadsheets.readonly"}},
	{"Clockwise", []string{"openid", "userinfo.email", "calendar", "calendar.settings.readonly"}},
	{"Otter.ai", []string{"openid", "userinfo.email", "calendar.events.readonly", "contacts.readonly"}},
	{"HubSpot Sales", []string{"openid", "userinfo.email", "gmail.readonly", "gmail.send", "contacts.readonly"}},
	{"Dropbox", []string{"openid", "userinfo.email", "drive.readonly"}},
	{"Postman", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"JetBrains Account", []string{"openid", "userinfo.email"}},
	{"Docker Hub", []string{"openid", "userinfo.email"}},
	{"Todoist", []string{"openid", "userinfo.email", "tasks", "calendar.events"}},
	{"Reclaim.ai", []string{"openid", "userinfo.email", "calendar", "tasks"}},
	{"Fireflies.ai", []string{"openid", "userinfo.email", "calendar.readonly", "drive.file"}},
	{"Coda", []string{"openid", "userinfo.email", "drive.readonly", "spreadsheets"}},
	{"Airtable", []string{"openid", "userinfo.email", "drive.file"}},
	{"Mural", []string{"openid", "userinfo.email", "userinfo.profile"}},
	{"Pipedrive", []string{"openid", "userinfo.email", "gmail.readonly", "contacts.readonly", "calendar"}},
}

// thirdPartyStems and thirdPartySuffixes name the long tail of small
// third-party apps (invented names).
var thirdPartyStems = []string{"Quill", "Brisk", "Nimbus", "Orbit", "Pixel", "Lumen", "Vanta", "Sprout", "Kite",
	"Harbor", "Echo", "Juno", "Atlas", "Cobalt", "Fable", "Mosaic"}
var thirdPartySuffixes = []string{"Notes", "Sync", "Scheduler", "Sign", "Forms", "Mail", "Docs", "Planner",
	"Insights", "Connect"}

// tailScopes are the scope sets of the long tail, with their weights:
// mostly sign-in only, a few broad.
var tailScopes = []struct {
	weight float64
	scopes []string
}{
	{0.55, []string{"openid", "userinfo.email", "userinfo.profile"}},
	{0.12, []string{"openid", "userinfo.email", "calendar.events.readonly"}},
	{0.1, []string{"openid", "userinfo.email", "drive.file"}},
	{0.07, []string{"openid", "userinfo.email", "contacts.readonly"}},
	{0.05, []string{"openid", "userinfo.email", "drive.metadata.readonly", "tasks"}},
	{0.04, []string{"openid", "userinfo.email", "spreadsheets"}},
	{0.03, []string{"openid", "userinfo.email", "drive.readonly"}},
	{0.02, []string{"openid", "userinfo.email", "gmail.readonly"}},
	{0.01, []string{"openid", "userinfo.email", "gmail.send", "gmail.compose"}},
	{0.007, []string{"openid", "userinfo.email", "drive"}},
	{0.003, []string{"openid", "userinfo.email", "https://mail.google.com/"}},
}

// saasApp is one SSO application in Okta.
type saasApp struct {
	label, name, mode string
	depts             int
	share             float64
	created           int32
	everyone          bool // assigned to the Everyone group
	adminGroup        bool // has a "<label> Admins" group
}

// oauthApp is one third-party OAuth client of Google Workspace.
type oauthApp struct {
	name     string
	clientID string
	scopes   []string
	weight   float64 // popularity
	agent    int     // index into company.agents, or -1
}

// buildSaaS lays out the SSO apps (a few per thousand identities, at
// least a dozen, at most 400).
func (c *company) buildSaaS(r *rand.Rand) []saasApp {
	n := clamp(c.opt.Identities/250, 12, 400)
	out := make([]saasApp, 0, n)
	for i := range n {
		b := saasBase[i%len(saasBase)]
		a := saasApp{label: b.label, name: b.name, mode: b.mode, depts: b.depts, share: b.share,
			created: int32(200 + r.IntN(2500))}
		if k := i / len(saasBase); k > 0 {
			v := saasVariants[(k-1)%len(saasVariants)]
			if k > len(saasVariants) {
				v += " " + strconv.Itoa((k-1)/len(saasVariants)+1)
			}
			a.label += " (" + v + ")"
			a.name += "_" + strings.ToLower(strings.ReplaceAll(v, " ", "_"))
			// Further instances serve a slice of their users.
			a.share *= 0.05 + 0.25*r.Float64()
		}
		a.everyone = i < 3
		a.adminGroup = i < len(saasBase) || r.Float64() < 0.3
		out = append(out, a)
	}
	return out
}

// buildOAuthApps lays out the third-party apps of Google Workspace: the
// well-known catalog, a long tail (one per 300 identities), and one client
// per AI agent.
func (c *company) buildOAuthApps(r *rand.Rand) []oauthApp {
	var out []oauthApp
	for i, b := range thirdPartyBase {
		out = append(out, oauthApp{name: b.name, scopes: b.scopes, weight: 1 / math.Pow(float64(i+1), 0.8), agent: -1})
	}
	tail := clamp(c.opt.Identities/300, 10, 3000)
	for i := range tail {
		name := thirdPartyStems[i%len(thirdPartyStems)] + " " + thirdPartySuffixes[(i/len(thirdPartyStems))%len(thirdPartySuffixes)]
		if k := i / (len(thirdPartyStems) * len(thirdPartySuffixes)); k > 0 {
			name += " " + strconv.Itoa(k+1)
		}
		x := r.Float64()
		var scopes []string
		for _, t := range tailScopes {
			if x < t.weight {
				scopes = t.scopes
				break
			}
			x -= t.weight
		}
		if scopes == nil {
			scopes = tailScopes[0].scopes
		}
		out = append(out, oauthApp{name: name, scopes: scopes, weight: 0.02 / math.Pow(float64(i+1), 0.5), agent: -1})
	}
	for ai := range c.agents {
		out = append(out, oauthApp{name: c.agents[ai].name, agent: ai,
			scopes: []string{"openid", "userinfo.email", "gmail.readonly", "calendar.readonly", "drive.readonly"}})
	}
	for i := range out {
		out[i].clientID = digits("gclient:"+out[i].name, 12) + "-" + lowerID("gclient:"+out[i].name, 32) +
			".apps.googleusercontent.com"
	}
	return out
}

// sampleDistinct draws up to k distinct values of pool (sorted, without
// repeats).
func sampleDistinct(r *rand.Rand, pool []int32, k int) []int32 {
	if k >= len(pool) {
		return slices.Clone(pool)
	}
	out := make([]int32, 0, k)
	if k > len(pool)/3 {
		for _, v := range pool {
			if r.IntN(len(pool)) < k {
				out = append(out, v)
			}
		}
		return out
	}
	for range k {
		out = append(out, pool[r.IntN(len(pool))])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// heavySize draws a heavy-tailed group size: at least lo, Pareto with
// shape alpha and scale xm, at most hi.
func heavySize(r *rand.Rand, lo int, xm, alpha float64, hi int) int {
	u := 1 - r.Float64()
	return max(lo, min(lo+int(xm*math.Pow(u, -1/alpha)), hi))
}

// isoMillis formats t as the Okta and Google APIs do.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// offices are where people work; each has a group in Okta and a mailing
// list in Google.
var offices = []string{"new-york", "san-francisco", "london", "berlin", "dublin", "singapore", "sydney",
	"toronto", "austin", "sao-paulo", "bangalore", "tokyo"}

func (c *company) office(i int32) int {
	p := &c.people[i]
	return int(mix64(uint64(p.first)<<32|uint64(p.last)<<8|uint64(p.dept)^uint64(i)) % uint64(len(offices)))
}

// projectStems name project and interest groups.
var projectStems = []string{"launch", "migration", "okr", "guild", "taskforce", "committee", "working-group",
	"rollout", "offsite", "reading-club", "oncall", "incident", "hackathon", "pilot", "review-board", "chapter"}
