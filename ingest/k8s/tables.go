package k8s

import (
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// verbPrivilege maps an RBAC verb to its tier. Verbs not listed (custom verbs
// such as "use", "approve", "sign") count as write: they change something.
var verbPrivilege = map[string]graph.Privilege{
	"get": graph.PrivRead, "list": graph.PrivRead, "watch": graph.PrivRead,
	"create": graph.PrivWrite, "update": graph.PrivWrite, "patch": graph.PrivWrite,
	"delete": graph.PrivWrite, "deletecollection": graph.PrivWrite,
	"*": graph.PrivAdmin, "escalate": graph.PrivAdmin, "bind": graph.PrivAdmin,
	"impersonate": graph.PrivAdmin,
}

// rbacResources are the resources whose modification changes permissions: any
// write on them is admin.
var rbacResources = []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"}

// resourcePrivilege is the tier the verbs grant on group/resource.
func resourcePrivilege(group, resource string, verbs []string) graph.Privilege {
	p := graph.PrivNone
	for _, v := range verbs {
		vp, ok := verbPrivilege[strings.ToLower(v)]
		if !ok {
			vp = graph.PrivWrite
		}
		p = max(p, vp)
	}
	// Subresources (roles/finalizers, */status) do not change permissions.
	if p == graph.PrivWrite && (group == "*" || group == rbacGroup) &&
		(resource == "*" || slices.Contains(rbacResources, resource)) {
		p = graph.PrivAdmin
	}
	return p
}

// nonResourcePrivilege is the tier the verbs grant on a non-resource URL:
// get and head read, "*" is admin, anything else (post, put, ...) writes.
func nonResourcePrivilege(verbs []string) graph.Privilege {
	p := graph.PrivNone
	for _, v := range verbs {
		switch strings.ToLower(v) {
		case "get", "head":
			p = max(p, graph.PrivRead)
		case "*":
			p = max(p, graph.PrivAdmin)
		default:
			p = max(p, graph.PrivWrite)
		}
	}
	return p
}

// Sensitivity of resources, by "resource" or "resource/subresource"
// regardless of API group. The table:
//
//   - critical: "*" (everything), secrets, clusterroles, clusterrolebindings,
//     pods/exec, pods/attach, pods/ephemeralcontainers, serviceaccounts/token,
//     nodes/proxy, mutating and validating webhook configurations,
//     certificatesigningrequests/approval: each reads credentials, runs code in
//     someone else's identity or rewrites who may do what.
//   - high: roles, rolebindings, serviceaccounts, users, groups, pods and the
//     workload controllers (they run code as a service account), nodes,
//     namespaces, persistentvolumes, customresourcedefinitions, apiservices,
//     certificatesigningrequests, pods/portforward.
//   - medium: configmaps, services, endpoints, endpointslices, ingresses,
//     networkpolicies, persistentvolumeclaims, pods/log; and any resource not
//     listed (custom resources included).
//   - low: events, leases, limitranges, resourcequotas, and the status and
//     finalizers subresources of anything not listed.
var sensitivity = map[string]graph.Sensitivity{
	"*":                                   graph.SensCritical,
	"secrets":                             graph.SensCritical,
	"clusterroles":                        graph.SensCritical,
	"clusterrolebindings":                 graph.SensCritical,
	"pods/exec":                           graph.SensCritical,
	"pods/attach":                         graph.SensCritical,
	"pods/ephemeralcontainers":            graph.SensCritical,
	"serviceaccounts/token":               graph.SensCritical,
	"nodes/proxy":                         graph.SensCritical,
	"mutatingwebhookconfigurations":       graph.SensCritical,
	"validatingwebhookconfigurations":     graph.SensCritical,
	"certificatesigningrequests/approval": graph.SensCritical,

	"roles":                      graph.SensHigh,
	"rolebindings":               graph.SensHigh,
	"serviceaccounts":            graph.SensHigh,
	"users":                      graph.SensHigh,
	"groups":                     graph.SensHigh,
	"pods":                       graph.SensHigh,
	"deployments":                graph.SensHigh,
	"statefulsets":               graph.SensHigh,
	"daemonsets":                 graph.SensHigh,
	"replicasets":                graph.SensHigh,
	"replicationcontrollers":     graph.SensHigh,
	"jobs":                       graph.SensHigh,
	"cronjobs":                   graph.SensHigh,
	"nodes":                      graph.SensHigh,
	"namespaces":                 graph.SensHigh,
	"persistentvolumes":          graph.SensHigh,
	"customresourcedefinitions":  graph.SensHigh,
	"apiservices":                graph.SensHigh,
	"certificatesigningrequests": graph.SensHigh,
	"pods/portforward":           graph.SensHigh,

	"configmaps":             graph.SensMedium,
	"services":               graph.SensMedium,
	"endpoints":              graph.SensMedium,
	"endpointslices":         graph.SensMedium,
	"ingresses":              graph.SensMedium,
	"networkpolicies":        graph.SensMedium,
	"persistentvolumeclaims": graph.SensMedium,
	"pods/log":               graph.SensMedium,

	"events":         graph.SensLow,
	"leases":         graph.SensLow,
	"limitranges":    graph.SensLow,
	"resourcequotas": graph.SensLow,
}

// resourceSensitivity looks resource up in the sensitivity table.
func resourceSensitivity(resource string) graph.Sensitivity {
	if s, ok := sensitivity[resource]; ok {
		return s
	}
	base, sub, ok := strings.Cut(resource, "/")
	if !ok {
		return graph.SensMedium
	}
	if sub == "status" || sub == "finalizers" {
		return graph.SensLow
	}
	if base == "*" {
		return graph.SensMedium // "*/scale" and the like
	}
	return resourceSensitivity(base)
}

// nonResourceSensitivity rates a non-resource URL: "*" is critical, health,
// version and metrics endpoints are low, anything else medium.
func nonResourceSensitivity(url string) graph.Sensitivity {
	switch {
	case url == "*" || url == "/*":
		return graph.SensCritical
	case strings.HasPrefix(url, "/healthz"), strings.HasPrefix(url, "/livez"),
		strings.HasPrefix(url, "/readyz"), strings.HasPrefix(url, "/version"),
		url == "/metrics":
		return graph.SensLow
	}
	return graph.SensMedium
}

// clusterScoped lists resources that exist only at cluster scope: a rule
// naming them grants nothing through a Role or a RoleBinding.
//
// Limitation: the table covers the built-in cluster-scoped resources only; a
// cluster-scoped custom resource granted through a RoleBinding still gets a
// (powerless) namespaced ACCESS edge.
var clusterScoped = map[string]bool{
	"nodes": true, "namespaces": true, "persistentvolumes": true, "componentstatuses": true,
	"clusterroles": true, "clusterrolebindings": true, "customresourcedefinitions": true,
	"storageclasses": true, "csidrivers": true, "csinodes": true, "volumeattachments": true,
	"certificatesigningrequests": true, "mutatingwebhookconfigurations": true,
	"validatingwebhookconfigurations": true, "apiservices": true, "priorityclasses": true,
	"runtimeclasses": true, "ingressclasses": true, "users": true, "groups": true,
	"tokenreviews": true, "subjectaccessreviews": true, "selfsubjectaccessreviews": true,
	"selfsubjectrulesreviews": true,
}

// isClusterScoped reports whether resource (possibly "res/sub") is cluster-scoped.
func isClusterScoped(resource string) bool {
	base, _, _ := strings.Cut(resource, "/")
	return clusterScoped[base]
}
