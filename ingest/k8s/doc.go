// Package k8s ingests Kubernetes RBAC into the access graph.
//
// Input is what `kubectl get ... -o yaml|json` prints or what manifests hold:
// multi-document YAML, single objects, JSON values (one or a stream) and
// `kind: List` objects with items, in any number of files. Each document is
// converted to JSON with sigs.k8s.io/yaml; RBAC objects are decoded into the
// official k8s.io/api/rbac/v1 types with unknown fields rejected (as the API
// server's strict validation does). ServiceAccounts and workloads are decoded
// into small local structs holding only the fields used, to avoid importing
// the large core/v1 and apps/v1 packages. Every other kind (CRDs, Services,
// ConfigMaps, Secrets, NetworkPolicies ...) is skipped and counted in the Report.
//
// # Graph mapping
//
// IDs start with "k8s:<cluster>:" and the batch source is "k8s:<cluster>".
//
//   - ServiceAccount: account "k8s-serviceaccount", "sa:<ns>/<name>", member of
//     system:serviceaccounts, system:serviceaccounts:<ns> and
//     system:authenticated. SAs referenced but not defined are stub nodes.
//   - User subject: account "k8s-user", "user:<name>", member of
//     system:authenticated (system:anonymous: of system:unauthenticated, and
//     added whenever a binding names system:unauthenticated). A user name
//     "system:serviceaccount:<ns>:<name>" is that SA.
//   - Group subject: group "k8s-group", "group:<name>".
//   - Role: role "k8s-role", "role:<ns>/<name>". ClusterRole: role
//     "k8s-clusterrole", "clusterrole:<name>" with cluster-wide scope; bound by
//     a RoleBinding in namespace X, "clusterrole:<name>@X" limited to X.
//     Roles referenced but not defined are stub nodes (listed in the Report).
//   - Binding: subject -HAS_ROLE-> role, Via "rolebinding/<ns>/<name>" or
//     "clusterrolebinding/<name>".
//   - Aggregated ClusterRole: its rules plus those of every ClusterRole whose
//     labels match a selector of its aggregationRule, transitively.
//   - Rule: role -ACCESS-> resource "<ns or *>:<apiGroup or core>/<resource>"
//     (resource may be "res/sub"), one node per resourceName
//     ".../<resource>/<name>", or "nonresource:<url>". Actions are the verbs;
//     privilege and sensitivity come from the tables in tables.go. Rules on
//     cluster-scoped resources or non-resource URLs have no effect at
//     namespace scope and are listed in Report.IgnoredRules instead.
//   - Containment: resource -CONTAINS-> resource when every request the
//     narrower node's rules match is matched by the wider node's, by RBAC's
//     own matching: scope "*" (cluster-wide) includes every namespace,
//     apiGroup "*" every group, resource "*" every resource and every
//     subresource, "*/<sub>" that subresource of every resource (but "pods"
//     does not include "pods/log"), and a node without resourceNames the
//     same node with one ("…/secrets" includes "…/secrets/argocd-redis");
//     for nonResourceURLs a pattern ending in "*" includes every URL and
//     pattern with its prefix. Only nodes already in the batch are linked,
//     and only covering pairs (no node of the batch strictly between), so
//     "*:*/*" reaches "argocd:core/secrets" through "*:core/secrets" when
//     that node exists and directly otherwise. The edges carry no
//     privilege; Via says which dimensions are wider. See builder.contains.
//   - Escalation: role -ESCALATES-> principal or role, see
//     builder.escalations for the six rules.
//   - Workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//     ReplicationController, Job, CronJob): application "k8s-workload",
//     "workload:<ns>/<Kind>/<name>" -AUTHENTICATES-> the SA its pods run as
//     ("default" if unset), unless automountServiceAccountToken is false on
//     the pod spec (or unset there and false on the SA): then only the
//     workload's props say so.
//
// Output is deterministic: every map is walked in sorted order.
package k8s
