package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/httpapi"
)

// BaseURL is the Microsoft Graph v1.0 root that Fetch's client should use.
const BaseURL = "https://graph.microsoft.com/v1.0/"

// ODataNext is an httpapi.Pager for Microsoft Graph: the next page is the
// response's @odata.nextLink, if any.
func ODataNext(_ *http.Response, body []byte) (string, error) {
	var page struct {
		Next string `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return "", fmt.Errorf("malformed JSON: %w", err)
	}
	return page.Next, nil
}

// Queries of the top-level collections: $select asks for the properties
// the mapping uses that Graph leaves out by default (accountEnabled,
// employeeId), $top the largest page each endpoint allows.
const (
	qUsers = "users?$select=id,displayName,userPrincipalName,mail,employeeId,accountEnabled," +
		"userType,createdDateTime,deletedDateTime&$top=999"
	qGroups = "groups?$select=id,displayName,mail,mailEnabled,securityEnabled,groupTypes," +
		"isAssignableToRole,membershipRule,createdDateTime&$top=999"
	qSPs         = "servicePrincipals?$top=999"
	qApps        = "applications?$top=999"
	qRoles       = "directoryRoles"
	qRoleDefs    = "roleManagement/directory/roleDefinitions"
	qRoleAssigns = "roleManagement/directory/roleAssignments"
	qGrants      = "oauth2PermissionGrants"
)

// Fetch reads the tenant from the Microsoft Graph API through c (whose
// BaseURL is BaseURL and whose Authorize sets a bearer token with
// User.Read.All, Group.Read.All, Directory.Read.All, Application.Read.All,
// RoleManagement.Read.Directory and DelegatedPermissionGrant.Read.All) and
// returns the same batch ParseExport returns for an export of the same
// responses. Every page is read and validated before the batch is built;
// any failure (after c's retries) returns no batch.
func Fetch(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, error) {
	b, _, err := FetchReport(ctx, c, opt)
	return b, err
}

// FetchReport is Fetch that also returns the Report.
func FetchReport(ctx context.Context, c *httpapi.Client, opt Options) (*graph.Batch, *Report, error) {
	src, err := opt.source()
	if err != nil {
		return nil, nil, err
	}
	d := newData()
	f := fetcher{c: c, d: d}
	for _, q := range []string{qUsers, qGroups, qSPs, qApps, qRoles, qRoleDefs, qGrants} {
		if err := f.read(ctx, q, false); err != nil {
			return nil, nil, err
		}
	}
	// Unified role assignments also list roles held through groups and
	// scoped to administrative units; tenants without the role management
	// API answer 404 and the directory role members stand alone.
	if err := f.read(ctx, qRoleAssigns, true); err != nil {
		return nil, nil, err
	}
	subs := []struct {
		typ, suffix string
	}{
		{typeGroup, "members"}, {typeGroup, "owners"}, {typeRole, "members"},
		{typeSP, "owners"}, {typeSP, "appRoleAssignedTo"}, {typeApp, "owners"},
	}
	prefix := map[string]string{typeGroup: "groups/", typeRole: "directoryRoles/",
		typeSP: "servicePrincipals/", typeApp: "applications/"}
	for _, s := range subs {
		for _, id := range f.listedIDs(s.typ) {
			if err := f.read(ctx, prefix[s.typ]+id+"/"+s.suffix, true); err != nil {
				return nil, nil, err
			}
		}
	}
	b, err := build(src, d)
	if err != nil {
		return nil, nil, err
	}
	return b, d.report, nil
}

type fetcher struct {
	c *httpapi.Client
	d *data
}

// listedIDs returns the ids of objects of typ read from their own
// collection, sorted.
func (f *fetcher) listedIDs(typ string) []string {
	var out []string
	for _, id := range sortedKeys(f.d.objects) {
		if f.d.types[id] == typ && f.d.typeRank[id] == rankOwn {
			out = append(out, id)
		}
	}
	return out
}

// read reads every page of ref into the data. With optional, a 404 means
// the object (or API) is gone and is noted in the Report instead.
func (f *fetcher) read(ctx context.Context, ref string, optional bool) error {
	segs := apiPath(ref)
	err := f.c.Pages(ctx, ref, ODataNext, func(_ int, body []byte) error {
		ok, err := f.d.ingest("response", segs, body)
		if err == nil && !ok {
			err = fmt.Errorf("no route for %s", ref)
		}
		return err
	})
	var se *httpapi.StatusError
	if optional && errors.As(err, &se) && se.Status == http.StatusNotFound {
		slog.Warn("entra: not found, skipped", "path", "/"+segs2(segs))
		f.d.report.NotFound = append(f.d.report.NotFound, "/"+segs2(segs))
		return nil
	}
	if err != nil {
		return fmt.Errorf("entra: %w", err)
	}
	r, _ := match(segs)
	f.d.count(r.kind)
	return nil
}

func segs2(s []string) string { return strings.Join(s, "/") }
