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
//	human, agent, public, external      what it is: a person's, an agent's
//	                                    (on_behalf_of), open to anyone, outside
//	                                    the organisation
//	open_trust                          an AWS role whose trust allows "*"
//	linked, identity_id, identity_status the resolved identity it belongs to
//	accounts                            the identity's accounts
//	on_behalf_of, delegator_tier, delegator_resources  for agents
//	privilege_tier (0..3), max_sensitivity (0..4), blast_resources,
//	admin_resources, blast_weighted     from projection.BlastRadius
//	escalation_paths, escalates_to_admin principals it can take over
//	admin_path, access_path             rendered witness paths (lists)
//	credentials                         list of maps: id, active, password,
//	                                    mfa, age_days, unused_days, never_used
//	active_credentials, mfa_missing, last_activity_days
//	scopes, scope_risk                  OAuth grants
//	holdings, via, actions              groups/roles held, policy names on its
//	                                    ACCESS edges, actions it holds directly
//	toxic_pairs                         names of matched separation-of-duties pairs
//	peer_unusualness, rare_holding      how rare its rarest write/admin holding
//	                                    is among peers of the same department
//	trusted_by, assumes                 who can assume it, what it can assume
//
// # Score
//
// Score is the sum of the weights of the rules that fired plus, for each
// feature, weight x normalised value; Contributions lists every term. An
// LLM answer may add up to Policy.LLM.MaxRaise points when it raises
// attention; it never subtracts and never removes a rule hit.
package risk
