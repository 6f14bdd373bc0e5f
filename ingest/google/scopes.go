package google

import (
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// ScopeClass is what an OAuth scope lets a client do: which Google service
// it reaches, at which privilege tier, and how much damage its abuse can do
// (Risk, on the sensitivity scale). Known is false for scopes that are not
// in the table and were classified by the fallback rule.
type ScopeClass struct {
	Scope     string
	Service   string
	Privilege graph.Privilege
	Risk      graph.Sensitivity
	// UserData is true when the scope reaches the consenting user's own data
	// (mailbox, files, calendar); false when it reaches a tenant-wide API
	// (Directory, Reports, Vault, Cloud) whose reach is also bounded by the
	// user's admin roles.
	UserData bool
	Known    bool
}

// Services: the resource nodes grants reach.
const (
	SvcIdentity    = "identity"
	SvcGmail       = "gmail"
	SvcDrive       = "drive"
	SvcCalendar    = "calendar"
	SvcContacts    = "contacts"
	SvcTasks       = "tasks"
	SvcChat        = "chat"
	SvcAppsScript  = "apps-script"
	SvcDirectory   = "directory"
	SvcReports     = "reports"
	SvcDataTrans   = "datatransfer"
	SvcGroups      = "groups-settings"
	SvcVault       = "vault"
	SvcCloud       = "cloud-platform"
	scopeURLPrefix = "https://www.googleapis.com/auth/"
)

// serviceSensitivity is the sensitivity of a service's resource node.
var serviceSensitivity = map[string]graph.Sensitivity{
	SvcIdentity:   graph.SensLow,
	SvcGmail:      graph.SensHigh,
	SvcDrive:      graph.SensHigh,
	SvcCalendar:   graph.SensMedium,
	SvcContacts:   graph.SensMedium,
	SvcTasks:      graph.SensLow,
	SvcChat:       graph.SensHigh,
	SvcAppsScript: graph.SensHigh,
	SvcDirectory:  graph.SensCritical,
	SvcReports:    graph.SensHigh,
	SvcDataTrans:  graph.SensCritical,
	SvcGroups:     graph.SensHigh,
	SvcVault:      graph.SensCritical,
	SvcCloud:      graph.SensCritical,
}

// userDataServices hold one user's data; the others are tenant-wide APIs.
var userDataServices = map[string]bool{
	SvcIdentity: true, SvcGmail: true, SvcDrive: true, SvcCalendar: true, SvcContacts: true,
	SvcTasks: true, SvcChat: true, SvcAppsScript: true,
}

type sc struct {
	svc  string
	priv graph.Privilege
	risk graph.Sensitivity
}

const (
	pR  = graph.PrivRead
	pW  = graph.PrivWrite
	pA  = graph.PrivAdmin
	sLo = graph.SensLow
	sMd = graph.SensMedium
	sHi = graph.SensHigh
	sCr = graph.SensCritical
)

// scopeTable classifies Google's OAuth scopes (https://developers.google.com/identity/protocols/oauth2/scopes).
// Keys are the scope without "https://www.googleapis.com/auth/" where it
// has that prefix. Admin tier means the scope can change sharing, settings
// or other principals (full Drive can re-share any file; gmail.settings.sharing
// can add forwarding and delegates; admin.directory.user can reset passwords).
var scopeTable = map[string]sc{
	// Sign-in and profile.
	"openid": {SvcIdentity, pR, sLo}, "email": {SvcIdentity, pR, sLo}, "profile": {SvcIdentity, pR, sLo},
	"userinfo.email": {SvcIdentity, pR, sLo}, "userinfo.profile": {SvcIdentity, pR, sLo},
	"user.emails.read": {SvcIdentity, pR, sLo}, "user.phonenumbers.read": {SvcIdentity, pR, sLo},
	"user.addresses.read": {SvcIdentity, pR, sLo}, "user.birthday.read": {SvcIdentity, pR, sLo},
	"user.gender.read": {SvcIdentity, pR, sLo}, "user.organization.read": {SvcIdentity, pR, sLo},
	// Gmail.
	"https://mail.google.com/": {SvcGmail, pA, sCr},
	"gmail.modify":             {SvcGmail, pW, sCr}, "gmail.readonly": {SvcGmail, pR, sHi},
	"gmail.compose": {SvcGmail, pW, sHi}, "gmail.send": {SvcGmail, pW, sHi},
	"gmail.insert": {SvcGmail, pW, sMd}, "gmail.labels": {SvcGmail, pW, sLo},
	"gmail.metadata": {SvcGmail, pR, sMd}, "gmail.settings.basic": {SvcGmail, pW, sHi},
	"gmail.settings.sharing": {SvcGmail, pA, sCr},
	// Drive and the editors that read or write Drive files.
	"drive": {SvcDrive, pA, sCr}, "drive.readonly": {SvcDrive, pR, sHi},
	"drive.file": {SvcDrive, pW, sLo}, "drive.appdata": {SvcDrive, pW, sLo},
	"drive.metadata": {SvcDrive, pW, sMd}, "drive.metadata.readonly": {SvcDrive, pR, sMd},
	"drive.photos.readonly": {SvcDrive, pR, sMd}, "drive.scripts": {SvcDrive, pW, sHi},
	"drive.activity": {SvcDrive, pR, sMd}, "drive.activity.readonly": {SvcDrive, pR, sMd},
	"docs": {SvcDrive, pA, sCr}, "documents": {SvcDrive, pW, sHi}, "documents.readonly": {SvcDrive, pR, sHi},
	"spreadsheets": {SvcDrive, pW, sHi}, "spreadsheets.readonly": {SvcDrive, pR, sHi},
	"presentations": {SvcDrive, pW, sHi}, "presentations.readonly": {SvcDrive, pR, sHi},
	// Calendar, contacts, tasks.
	"calendar": {SvcCalendar, pW, sHi}, "calendar.readonly": {SvcCalendar, pR, sMd},
	"calendar.events": {SvcCalendar, pW, sMd}, "calendar.events.readonly": {SvcCalendar, pR, sMd},
	"calendar.settings.readonly":            {SvcCalendar, pR, sLo},
	"https://www.google.com/calendar/feeds": {SvcCalendar, pW, sHi},
	"contacts":                              {SvcContacts, pW, sMd}, "contacts.readonly": {SvcContacts, pR, sMd},
	"contacts.other.readonly":         {SvcContacts, pR, sMd},
	"https://www.google.com/m8/feeds": {SvcContacts, pW, sMd},
	"tasks":                           {SvcTasks, pW, sLo}, "tasks.readonly": {SvcTasks, pR, sLo},
	// People API's directory view: any user may read the public directory.
	"directory.readonly": {SvcDirectory, pR, sMd},
	// Admin SDK. Other admin.directory.* scopes follow the fallback below.
	"admin.directory.user": {SvcDirectory, pA, sCr}, "admin.directory.user.readonly": {SvcDirectory, pR, sHi},
	"admin.directory.user.security": {SvcDirectory, pA, sCr},
	"admin.directory.group":         {SvcDirectory, pA, sHi}, "admin.directory.group.readonly": {SvcDirectory, pR, sHi},
	"admin.directory.group.member": {SvcDirectory, pW, sHi}, "admin.directory.group.member.readonly": {SvcDirectory, pR, sMd},
	"admin.directory.rolemanagement": {SvcDirectory, pA, sCr}, "admin.directory.rolemanagement.readonly": {SvcDirectory, pR, sHi},
	"admin.directory.domain": {SvcDirectory, pA, sCr}, "admin.directory.customer": {SvcDirectory, pA, sCr},
	"admin.directory.orgunit": {SvcDirectory, pA, sHi}, "admin.directory.resource.calendar": {SvcDirectory, pW, sMd},
	"admin.reports.audit.readonly": {SvcReports, pR, sHi}, "admin.reports.usage.readonly": {SvcReports, pR, sMd},
	"admin.datatransfer": {SvcDataTrans, pA, sCr}, "admin.datatransfer.readonly": {SvcDataTrans, pR, sMd},
	"apps.groups.settings": {SvcGroups, pW, sHi},
	"ediscovery":           {SvcVault, pA, sCr}, "ediscovery.readonly": {SvcVault, pR, sHi},
	"cloud-platform": {SvcCloud, pA, sCr}, "cloud-platform.read-only": {SvcCloud, pR, sHi},
}

// ClassifyScope returns what scope grants. Scopes missing from the table
// are classified by rule: the service is the scope's first dotted segment
// (admin.directory.* is the Directory, gmail.* Gmail, chat.* Chat, script.*
// Apps Script); read if the scope ends in readonly, read-only or .read,
// else write; risk high for admin.* scopes (admin tier unless read-only),
// medium otherwise.
func ClassifyScope(scope string) ScopeClass {
	key := strings.TrimPrefix(scope, scopeURLPrefix)
	if c, ok := scopeTable[key]; ok {
		return ScopeClass{Scope: scope, Service: c.svc, Privilege: c.priv, Risk: c.risk,
			UserData: userDataServices[c.svc], Known: true}
	}
	readOnly := strings.HasSuffix(key, "readonly") || strings.HasSuffix(key, "read-only") ||
		strings.HasSuffix(key, ".read")
	out := ScopeClass{Scope: scope, Privilege: graph.PrivWrite, Risk: graph.SensMedium}
	if readOnly {
		out.Privilege = graph.PrivRead
	}
	seg, _, _ := strings.Cut(key, ".")
	switch {
	case strings.HasPrefix(key, "admin.directory."):
		out.Service, out.Risk = SvcDirectory, graph.SensHigh
		if !readOnly {
			out.Privilege, out.Risk = graph.PrivAdmin, graph.SensCritical
		}
	case strings.HasPrefix(key, "admin.reports."):
		out.Service, out.Risk = SvcReports, graph.SensHigh
	case strings.HasPrefix(key, "admin."):
		out.Service, out.Risk = "admin-"+strings.SplitN(key, ".", 3)[1], graph.SensHigh
		if !readOnly {
			out.Privilege = graph.PrivAdmin
		}
	case seg == "gmail":
		out.Service = SvcGmail
	case seg == "chat":
		out.Service = SvcChat
	case seg == "script":
		out.Service = SvcAppsScript
	case strings.Contains(key, "://"):
		out.Service = "other"
	default:
		out.Service = seg
	}
	out.UserData = userDataServices[out.Service]
	return out
}
