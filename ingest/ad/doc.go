// Package ad ingests Active Directory from SharpHound / BloodHound CE
// collector output: JSON files of format version 5 or 6,
// {"data":[...],"meta":{"type":"users|groups|computers|domains|ous|gpos|containers",...}},
// or the zip SharpHound writes. See ParseExport.
//
// Every file is decoded and validated before the batch is built; an error
// names the file, the element (e.g. "data[3].Aces[2].PrincipalSID") and what
// was expected, and no batch is returned. A meta.count that disagrees with
// the data is not an error: it is logged and listed in
// Report.CountMismatches. Objects listed twice (SharpHound lists BUILTIN
// groups once per domain controller) are merged and listed in
// Report.Duplicates. ADCS collections (certtemplates, enterprisecas, ...)
// are counted in Report.SkippedTypes and not mapped.
//
// There is no live mode: collection from LDAP and SMB is SharpHound's job;
// this package reads its output.
//
// # IDs
//
// The batch source is "ad:<DOMAIN>"; one batch holds one domain (objects of
// another domain are an error: ingest each domain's files on their own).
// A node ID is "ad:<DOMAIN>:<object identifier>": a SID or GUID as
// SharpHound writes it, with well-known SIDs qualified per domain as
// SharpHound does ("PHANTOM.CORP-S-1-5-11"; a bare "S-1-5-11" is qualified
// with the referencing object's domain). A SID's domain comes from its
// domain SID, named by the objects' domainsid and the domain's trusts; a
// machine is "<computer ID>:host". Principals, containers and GPOs that
// are referenced but not in the input (e.g. members from a trusted domain)
// are stub nodes (Props[stub]="true", with domain and object_type) counted
// by domain in Report.Stubs.
//
// # Nodes
//
//	SharpHound object   graph node                                 sensitivity
//	-----------------   ----------------------------------------   ----------------------------------
//	User                account "ad-user"                          -
//	Computer            account "ad-computer" (its machine          machine: critical for a DC (IsDC,
//	                    account) and resource "ad-machine"          isdc, primary group 516 or 521),
//	                                                                high for a server OS, else medium
//	Group               group "ad-group"                           -
//	Domain              resource "ad-domain"                       critical
//	OU, Container       resource "ad-ou", "ad-container"           critical if it holds a DC at any
//	                                                                depth, else high
//	GPO                 resource "ad-gpo"                          critical if linked to the domain or a
//	                                                                critical OU, high if linked, else medium
//
// Account props: samaccountname, email (lower-cased, graph.PropEmail),
// displayname (graph.PropDisplayName), enabled -> graph.PropStatus
// "active"/"suspended", hasspn, kerberoastable (enabled, has an SPN, not
// krbtgt), dontreqpreauth, asrep_roastable (enabled and dontreqpreauth),
// admincount, lastlogon, lastlogontimestamp, pwdlastset, whencreated (RFC
// 3339, omitted when 0 or -1), description, title, sensitive, delegation
// flags, gmsa/msa, serviceprincipalnames, sidhistory. Password attributes
// (userpassword, unixpassword, ...) are never copied; their presence is
// listed in password_attributes_set. Domains carry their trusts as
// Props["trust:<DOMAIN>"] (direction, type, transitivity, SID filtering)
// and in Report.Trusts.
//
// # Edges
//
//	source                               edge
//	-----------------------------------  ------------------------------------------------------------
//	Group.Members, PrimaryGroupSID       member -MEMBER_OF-> group (nested groups too)
//	Aces (every right in Rights, and     principal -ESCALATES(admin, Actions=[right])-> object;
//	  any unknown right name, counted      to a domain, OU, GPO or container also -ACCESS(admin)->;
//	  in Report.UnknownRights)             Via "<right> ACE" or "<right> ACE (inherited)"
//	Aces GetChanges, GetChangesAll,      principal -ACCESS(read, Actions=[right])-> domain; when a
//	  GetChangesInFilteredSet on the       principal holds GetChanges and GetChangesAll, itself or
//	  domain                               through its groups: -ESCALATES-> domain and -ACCESS(admin)->
//	                                       domain, Actions [DCSync], Via which groups hold them; with
//	                                       GetChangesInFilteredSet: -ESCALATES(SyncLAPSPassword)-> every
//	                                       computer with LAPS
//	LocalGroups 544 (Administrators),    principal -ESCALATES(AdminTo)-> computer account and
//	  GPOChanges.LocalAdmins               -ACCESS(admin, AdminTo)-> machine
//	LocalGroups 555, 580, 562 and the    principal -ACCESS(write, CanRDP / CanPSRemote /
//	  GPOChanges lists                     ExecuteDCOM)-> machine
//	LocalGroups on a DC                  principal -MEMBER_OF-> the domain's BUILTIN group
//	UserRights                           SeRemoteInteractiveLogonRight: -ACCESS(write)-> machine
//	Sessions, PrivilegedSessions,        computer account -ESCALATES(HasSession)-> user: the
//	  RegistrySessions                     machine holds the user's credentials
//	computer account                     -ACCESS(admin, MachineAccount)-> its machine
//	AllowedToDelegate                    principal -ESCALATES(AllowedToDelegate)-> target computer
//	AllowedToAct                         listed principal -ESCALATES(AllowedToAct)-> computer
//	unconstraineddelegation (enabled)    principal -ESCALATES(CoerceToTGT)-> domain, -ACCESS(admin)->
//	HasSIDHistory                        principal -ESCALATES(HasSIDHistory)-> the SID's principal
//	DumpSMSAPassword                     computer account -ESCALATES-> the standalone MSA
//	SPNTargets (e.g. SQLAdmin)           user -ACCESS(admin, Actions=[service])-> machine
//	ContainedBy, ChildObjects            container/OU/domain -CONTAINS-> object (a computer's machine)
//	Links (gPLink)                       GPO -CONTAINS-> OU or domain (Via "gPLink (enforced)")
//
// An object's ACE for itself (SELF) adds no edge. Unmapped local groups and
// user rights are listed in Report.Ignored.
package ad
