// Package scim ingests SCIM 2.0 users and groups (RFC 7643, RFC 7644) from
// any SCIM service provider into the access graph.
//
// Two entry points read the same data and build the same batch:
//
//   - ParseExport reads JSON files on disk, each holding one User or Group
//     resource or a ListResponse
//     (urn:ietf:params:scim:api:messages:2.0:ListResponse) of them;
//   - Fetch reads GET {base}/Users and {base}/Groups live, paging with
//     startIndex and count (RFC 7644 section 3.4.2.4: totalResults,
//     itemsPerPage and a 1-based startIndex), through ingest/httpapi.
//
// Every input is parsed and validated before the batch is built; an error
// names the file (or URL and page), the element (for example
// "Resources[1].members[0].value") and what was expected, and no batch is
// returned.
//
// # Graph mapping
//
// The batch source is "scim:<host>"; node IDs are
// "scim:<host>:user:<id>" and "scim:<host>:group:<id>", where id is the
// resource's server-assigned "id".
//
//	SCIM                                   graph
//	-------------------------------------  ---------------------------------------------
//	User                                   account "scim-user", Name = userName
//	  emails (primary, else work, else     Props[email] (lower-cased)
//	  the first)
//	  enterprise employeeNumber            Props[employee_id]
//	  userName when mailbox-shaped         Props[upn] (lower-cased)
//	  active                               Props[status] "active" / "suspended"
//	  displayName (else name.formatted)    Props[display_name]
//	  enterprise department, manager,      Props department, manager_id,
//	  costCenter, organization, division   manager_name, cost_center, organization, division
//	  externalId, title, userType          Props external_id, title, user_type
//	Group                                  group "scim-group", Name = displayName
//	Group.members[] (type User or Group)   member -MEMBER_OF-> group
//	User.groups[] (direct)                 user -MEMBER_OF-> group (merged with the above)
//	member or group not in the input       stub account / group (Props[stub] = "true")
//
// A member's kind comes from its "type", else from its "$ref" (".../Users/"
// or ".../Groups/"), else from a resource of the input with that id; a
// member that none of these settle is taken as a user and listed in
// Report.UntypedMembers. User.groups entries of type "indirect" are
// memberships through nesting, already implied by the group edges: they add
// no edge and are counted in Report.IndirectSkipped. Nested groups may form
// cycles (RFC 7644 section 3.7.1 shows one); the batch keeps both edges and
// the projection's traversal terminates on them.
//
// SCIM carries no permissions: the connector yields accounts, groups and
// memberships, which other sources' grants to the same groups (by identity
// resolution on email, employee id and UPN) give meaning to.
package scim
