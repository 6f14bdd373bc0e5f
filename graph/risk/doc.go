// Package risk scores every identity, account, credential, grant, role and
// group of the access graph: rules written as CEL expressions in an editable
// policy file (policy/default.yaml is the default) decide which risky
// patterns hold, deterministic features say how much the element can do,
// and an optional local LLM (Ollama) explains and may raise attention within
// a bound, never lower a score.
//
// # Facts a rule sees
//
// A rule's `when` and `evidence` are CEL over `item` (a map) and `params`.
// The fields of item are:
//
//	id, kind, subkind, name, source     the element
//	props                               its source props (map of strings)
//	human, workload, agent              whose it is: a person's, software's
//	                                    (see classify in human.go), an AI
//	                                    agent's (on_behalf_of)
//	public, external                    open to anyone, outside the organisation
//	open_trust                          an AWS role whose trust allows "*"
//	linked, identity_id, identity_status the resolved identity it belongs to
//	accounts                            the identity's accounts
//	on_behalf_of, delegator_tier, delegator_resources  for agents
//	excess_resources, excess_admin_resources, excess_example  what an agent
//	                                    reaches above its person, resource by
//	                                    resource
//	privilege_tier (0..3), max_sensitivity (0..4), blast_resources,
//	admin_resources, blast_weighted     from projection.BlastRadius
//	escalation_paths, escalates_to_admin principals it can take over
//	admin_path, access_path             rendered witness paths (lists)
//	credentials                         list of maps: id, active, password,
//	                                    mfa, age_days, unused_days, never_used
//	owner_last_activity_days            for a credential: days since another
//	                                    active credential of its account was
//	                                    used (-1: none)
//	active_credentials, mfa_missing, last_activity_days
//	scopes, scope_risk, client_grants   OAuth grants, and how many grants
//	                                    its client has
//	holdings, via, actions              groups/roles held, policy names on its
//	                                    ACCESS edges, actions it holds directly
//	inline_admin                        its own inline policies granting admin
//	                                    over a critical resource
//	assume_unconditioned                it can assume a role with no condition
//	toxic_pairs                         names of matched separation-of-duties pairs
//	peer_unusualness, rare_holding      how rare its rarest write/admin holding
//	                                    is among peers of the same department
//	trusted_by, assumes                 who can assume it, what it can assume
//
// # Score
//
// Score is the rules that fired, taken by weight, highest first, the k-th
// adding weight x rule_decay^k (one critical finding outranks a pile of
// minor ones), plus, for each feature, weight x normalised value;
// Contributions lists every term. An
// LLM answer may add up to Policy.LLM.MaxRaise points when it raises
// attention; it never subtracts and never removes a rule hit.
package risk
