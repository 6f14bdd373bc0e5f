package synth

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"
)

const rbacGroup = "rbac.authorization.k8s.io"

type kmeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type rule struct {
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
	Verbs           []string `json:"verbs"`
}

type labelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type aggregationRule struct {
	ClusterRoleSelectors []labelSelector `json:"clusterRoleSelectors"`
}

type roleRef struct {
	APIGroup string `json:"apiGroup"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
}

type subject struct {
	Kind      string `json:"kind"`
	APIGroup  string `json:"apiGroup,omitempty"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type kobj struct {
	APIVersion      string           `json:"apiVersion"`
	Kind            string           `json:"kind"`
	Metadata        kmeta            `json:"metadata"`
	AggregationRule *aggregationRule `json:"aggregationRule,omitempty"`
	Rules           []rule           `json:"rules,omitempty"`
	RoleRef         *roleRef         `json:"roleRef,omitempty"`
	Subjects        []subject        `json:"subjects,omitempty"`
	Spec            any              `json:"spec,omitempty"`
}

func userSubject(email string) subject {
	return subject{Kind: "User", APIGroup: rbacGroup, Name: email}
}
func groupSubject(g string) subject { return subject{Kind: "Group", APIGroup: rbacGroup, Name: g} }
func saSubject(ns, name string) subject {
	return subject{Kind: "ServiceAccount", Name: name, Namespace: ns}
}

var (
	readVerbs  = []string{"get", "list", "watch"}
	writeVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
)

// k8sGen writes the RBAC export of one cluster.
type k8sGen struct {
	c      *company
	ci     int
	name   string
	path   string
	w      *bufio.Writer
	docs   int
	counts *Counts
	plants []Plant
}

// defaultNamespace is where objects without metadata.namespace belong.
const defaultNamespace = "default"

func (k *k8sGen) emit(o *kobj) error {
	b, err := yaml.Marshal(o.toMap())
	if err != nil {
		return fmt.Errorf("%s %s: %w", o.Kind, o.Metadata.Name, err)
	}
	if k.docs > 0 {
		_, _ = k.w.WriteString("---\n") // bufio keeps the error for Flush, which is checked
	}
	k.docs++
	_, _ = k.w.Write(b)
	switch o.Kind {
	case "Namespace":
		k.counts.Namespaces++
	case "ServiceAccount":
		k.counts.K8sServiceAccounts++
	case "Role":
		k.counts.K8sRoles++
	case "ClusterRole":
		k.counts.K8sClusterRoles++
	case "RoleBinding":
		k.counts.K8sRoleBindings++
	case "ClusterRoleBinding":
		k.counts.K8sClusterRoleBindings++
	case "Deployment":
		k.counts.K8sDeployments++
	}
	return nil
}

func namespace(name string) *kobj {
	return &kobj{APIVersion: "v1", Kind: "Namespace", Metadata: kmeta{Name: name}}
}

func serviceAccount(ns, name string, ann map[string]string) *kobj {
	return &kobj{APIVersion: "v1", Kind: "ServiceAccount", Metadata: kmeta{Name: name, Namespace: ns, Annotations: ann}}
}

func clusterRole(name string, labels map[string]string, rules ...rule) *kobj {
	return &kobj{APIVersion: rbacGroup + "/v1", Kind: "ClusterRole", Metadata: kmeta{Name: name, Labels: labels},
		Rules: rules}
}

func role(ns, name string, rules ...rule) *kobj {
	return &kobj{APIVersion: rbacGroup + "/v1", Kind: "Role", Metadata: kmeta{Name: name, Namespace: ns}, Rules: rules}
}

func binding(ns, name, refKind, ref string, subjects ...subject) *kobj {
	kind := "RoleBinding"
	if ns == "" {
		kind = "ClusterRoleBinding"
	}
	return &kobj{APIVersion: rbacGroup + "/v1", Kind: kind, Metadata: kmeta{Name: name, Namespace: ns},
		RoleRef: &roleRef{APIGroup: rbacGroup, Kind: refKind, Name: ref}, Subjects: subjects}
}

func deployment(ns, name, sa, image string, replicas int) *kobj {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return &kobj{APIVersion: "apps/v1", Kind: "Deployment", Metadata: kmeta{Name: name, Namespace: ns, Labels: labels},
		Spec: map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"serviceAccountName": sa,
					"containers":         []any{map[string]any{"name": name, "image": image}},
				},
			},
		}}
}

// generateK8s writes the RBAC export of cluster ci.
func (c *company) generateK8s(dir string, ci int, counts *Counts) ([]Plant, error) {
	k := &k8sGen{c: c, ci: ci, name: c.clusters[ci].name, counts: counts}
	k.path = "k8s/" + k.name + "-rbac.yaml"
	f, err := os.Create(dir + "/" + k.path)
	if err != nil {
		return nil, fmt.Errorf("create k8s export: %w", err)
	}
	defer f.Close()
	k.w = bufio.NewWriterSize(f, 1<<20)
	if err := k.writeAll(); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", k.name, err)
	}
	if err := k.w.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", k.path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", k.path, err)
	}
	return k.plants, nil
}

func (k *k8sGen) writeAll() error {
	var objs []*kobj
	flush := func() error {
		for _, o := range objs {
			if err := k.emit(o); err != nil {
				return err
			}
		}
		objs = objs[:0]
		return nil
	}
	add := func(o ...*kobj) { objs = append(objs, o...) }
	for _, ns := range []string{"default", "kube-system", "monitoring", "ci"} {
		add(namespace(ns))
	}
	add(k.builtinRoles()...)
	add(k.platformObjects()...)
	if err := flush(); err != nil {
		return err
	}
	for _, ti := range k.c.clusters[k.ci].teams {
		add(k.teamObjects(ti)...)
		if err := flush(); err != nil {
			return err
		}
	}
	if k.ci == 0 {
		add(k.plantObjects()...)
		k.plantDeployer()
	}
	return flush()
}

func (k *k8sGen) builtinRoles() []*kobj {
	agg := func(name string) *aggregationRule {
		return &aggregationRule{ClusterRoleSelectors: []labelSelector{{MatchLabels: map[string]string{
			"rbac.authorization.k8s.io/aggregate-to-" + name: "true"}}}}
	}
	bootstrap := map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
	view := []rule{
		{APIGroups: []string{""}, Resources: []string{"configmaps", "endpoints", "persistentvolumeclaims", "pods",
			"pods/log", "pods/status", "replicationcontrollers", "services"}, Verbs: readVerbs},
		{APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "replicasets", "statefulsets"},
			Verbs: readVerbs},
		{APIGroups: []string{"batch"}, Resources: []string{"cronjobs", "jobs"}, Verbs: readVerbs},
	}
	edit := append([]rule{
		{APIGroups: []string{""}, Resources: []string{"configmaps", "persistentvolumeclaims", "pods", "secrets",
			"services", "serviceaccounts"}, Verbs: writeVerbs},
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach", "pods/portforward"},
			Verbs: []string{"create", "get"}},
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}},
		{APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "replicasets", "statefulsets"},
			Verbs: writeVerbs},
	}, view...)
	admin := append([]rule{
		{APIGroups: []string{rbacGroup}, Resources: []string{"rolebindings", "roles"}, Verbs: writeVerbs},
	}, edit...)
	cr := func(name string, rules []rule) *kobj {
		o := clusterRole(name, bootstrap, rules...)
		o.AggregationRule = agg(name)
		return o
	}
	return []*kobj{
		clusterRole("cluster-admin", bootstrap,
			rule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			rule{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}}),
		cr("admin", admin), cr("edit", edit), cr("view", view),
		binding("", "cluster-admin", "ClusterRole", "cluster-admin", groupSubject("system:masters")),
	}
}

func (k *k8sGen) platformObjects() []*kobj {
	c := k.c
	platform := &c.teams[0]
	// Offboarding removes a person's bindings (the one left behind is the
	// k8s-offboarded-binding plant).
	admins := []subject{groupSubject("platform-admins")}
	if !c.people[platform.manager].offboarded {
		admins = append(admins, userSubject(c.email(platform.manager)))
	}
	var sec []subject
	sec = append(sec, groupSubject("security-auditors"))
	for i, p := range c.people {
		if int(p.dept) == deptSecurity && p.team >= 0 && !p.offboarded && len(sec) < 6 {
			sec = append(sec, userSubject(c.email(int32(i))))
		}
	}
	return []*kobj{
		binding("", "platform-admins", "ClusterRole", "cluster-admin", admins...),
		binding("", "security-view", "ClusterRole", "view", sec...),
		serviceAccount("monitoring", "prometheus", nil),
		clusterRole("prometheus", nil,
			rule{APIGroups: []string{""}, Resources: []string{"endpoints", "nodes", "nodes/metrics", "pods", "services"},
				Verbs: readVerbs},
			rule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}),
		binding("", "prometheus", "ClusterRole", "prometheus", saSubject("monitoring", "prometheus")),
		deployment("monitoring", "prometheus", "prometheus", "quay.io/prometheus/prometheus:v2.53.0", 2),
		serviceAccount("ci", "deployer", nil),
		clusterRole("deployer", nil,
			rule{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: writeVerbs},
			rule{APIGroups: []string{""}, Resources: []string{"configmaps", "services"}, Verbs: writeVerbs}),
		binding("", "deployer", "ClusterRole", "deployer", saSubject("ci", "deployer")),
		deployment("ci", "deployer", "deployer", "registry."+c.domain+"/platform/deployer:3.2.0", 1),
	}
}

// plantDeployer lists the CI deployer's escalation: ClusterRole deployer
// writes deployments in every namespace, so its service account can run a
// pod in default as the cluster-admin service account jenkins (a plant
// of cluster 0). Both the account and the role it holds are listed: the
// queue reviews each.
func (k *k8sGen) plantDeployer() {
	desc := "ClusterRoleBinding deployer gives ServiceAccount ci/deployer ClusterRole deployer (write deployments, " +
		"statefulsets, configmaps and services in every namespace): it can create a deployment in namespace " +
		"default whose pods run as ServiceAccount default/jenkins, bound to cluster-admin, and so escalates to " +
		"cluster-admin."
	for _, p := range []struct{ id, principal string }{
		{"k8s-deployer-escalation-sa", "ServiceAccount/ci/deployer"},
		{"k8s-deployer-escalation-role", "ClusterRole/deployer"},
	} {
		k.plant(Plant{ID: p.id, Kind: PlantK8sDeployerEscalation, Description: desc,
			Principal: p.principal, Resource: "deployments", Service: "apps",
			Actions: []string{"create", "update", "patch"}, Privilege: "write", Expect: "allow", Background: true,
			Via: []string{"ClusterRoleBinding/deployer", "ClusterRole/deployer"},
			IDs: []string{p.principal, "ClusterRoleBinding/deployer"}})
	}
}

func (k *k8sGen) teamObjects(ti int) []*kobj {
	c := k.c
	t := &c.teams[ti]
	ns := t.namespace
	objs := []*kobj{namespace(ns)}
	if !c.people[t.manager].offboarded {
		objs = append(objs, binding(ns, ns+"-admin", "ClusterRole", "admin", userSubject(c.email(t.manager))))
	}
	devs := []subject{groupSubject("eng:" + t.name)}
	for _, pi := range t.members[1:] {
		if len(devs) > 12 {
			break
		}
		if c.people[pi].offboarded {
			continue
		}
		devs = append(devs, userSubject(c.email(pi)))
	}
	objs = append(objs,
		binding(ns, ns+"-developers", "ClusterRole", "edit", devs...),
		binding(ns, ns+"-viewers", "ClusterRole", "view", groupSubject(departments[t.dept])))
	for _, ai := range t.apps {
		ap := &c.apps[ai]
		if ap.runtime != "k8s" {
			continue
		}
		var ann map[string]string
		if ap.irsa {
			ann = map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::" + c.accounts[t.account].id +
				":role/app-" + ap.name}
		}
		objs = append(objs,
			serviceAccount(ns, ap.name, ann),
			role(ns, ap.name,
				rule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: readVerbs},
				rule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{ap.name + "-secrets"},
					Verbs: []string{"get"}}),
			binding(ns, ap.name, "Role", ap.name, saSubject(ns, ap.name)),
			deployment(ns, ap.name, ap.name, "registry."+c.domain+"/"+t.name+"/"+ap.name+":1."+strconv.Itoa(ai%40), 2+ai%3))
	}
	for _, gi := range t.agents {
		ag := &c.agents[gi]
		ref := "view"
		if gi == 1 {
			ref = "edit"
		}
		objs = append(objs,
			serviceAccount(ns, ag.name, map[string]string{c.slug + ".example/on-behalf-of": c.email(ag.person)}),
			binding(ns, ag.name, "ClusterRole", ref, saSubject(ns, ag.name)))
		if gi == 1 {
			k.plant(Plant{ID: "k8s-agent-delegation", Kind: PlantK8sAgentDelegation,
				Description: "AI agent service account " + ns + "/" + ag.name + " acts on behalf of " +
					c.email(ag.person) + " (annotation on-behalf-of) and is bound to ClusterRole edit in namespace " +
					ns + ": it can read and write secrets and deployments there.",
				Principal: "ServiceAccount/" + ns + "/" + ag.name, Identity: c.email(ag.person),
				Resource: "secrets", Namespace: ns, Service: "", Actions: []string{"get", "list", "create", "update"},
				Privilege: "write", Expect: "allow", Via: []string{"RoleBinding/" + ns + "/" + ag.name, "ClusterRole/edit"},
				IDs: []string{"ServiceAccount/" + ns + "/" + ag.name, "RoleBinding/" + ns + "/" + ag.name,
					c.email(ag.person)}})
		}
	}
	if pi := c.plants.offboarded; c.people[pi].team == int32(ti) {
		email := c.email(pi)
		name := ns + "-admin-" + strings.ReplaceAll(c.local(pi), ".", "-")
		objs = append(objs, binding(ns, name, "ClusterRole", "admin", userSubject(email)))
		k.plant(Plant{ID: "k8s-offboarded-binding", Kind: PlantK8sOffboardedBinding,
			Description: "Terminated person " + email + " (hr/people.csv) is still bound as User to ClusterRole " +
				"admin in namespace " + ns + " by RoleBinding " + name + ".",
			Principal: "User/" + email, Identity: email, Resource: "*", Namespace: ns, Service: "*",
			Actions: []string{"*"}, Privilege: "admin", Expect: "allow",
			Via: []string{"RoleBinding/" + ns + "/" + name, "ClusterRole/admin"},
			IDs: []string{"User/" + email, "RoleBinding/" + ns + "/" + name, email}})
	}
	return objs
}

func (k *k8sGen) plant(p Plant) {
	p.Source = "k8s:" + k.name
	p.File = k.path
	k.plants = append(k.plants, p)
}

func (k *k8sGen) plantObjects() []*kobj {
	c := k.c
	var objs []*kobj

	// A service account in the default namespace, written without
	// metadata.namespace as in an applied manifest, bound to cluster-admin.
	objs = append(objs, serviceAccount("", "jenkins", nil),
		binding("", "jenkins-cluster-admin", "ClusterRole", "cluster-admin", saSubject(defaultNamespace, "jenkins")),
		deployment("", "jenkins", "jenkins", "jenkins/jenkins:2.452-lts", 1))
	k.plant(Plant{ID: "k8s-sa-cluster-admin", Kind: PlantK8sSAClusterAdmin,
		Description: "Service account jenkins in namespace default (its manifest omits metadata.namespace) is " +
			"bound to ClusterRole cluster-admin by ClusterRoleBinding jenkins-cluster-admin.",
		Principal: "ServiceAccount/default/jenkins", Resource: "*", Service: "*", Actions: []string{"*"},
		Privilege: "admin", Expect: "allow",
		Via: []string{"ClusterRoleBinding/jenkins-cluster-admin", "ClusterRole/cluster-admin"},
		IDs: []string{"ServiceAccount/default/jenkins", "ClusterRoleBinding/jenkins-cluster-admin",
			"ClusterRole/cluster-admin"}})

	ns := c.teams[c.clusters[k.ci].teams[0]].namespace
	objs = append(objs,
		role(ns, "legacy-secret-reader", rule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: readVerbs}),
		binding(ns, "legacy-secret-reader-all", "Role", "legacy-secret-reader", groupSubject("system:authenticated")))
	k.plant(Plant{ID: "k8s-secrets-authenticated", Kind: PlantK8sSecretsAuthenticated,
		Description: "Role legacy-secret-reader (get, list, watch secrets) in namespace " + ns + " is bound to " +
			"Group system:authenticated: every authenticated user and service account can read its secrets.",
		Principal: "Group/system:authenticated", Resource: "secrets", Namespace: ns, Service: "",
		Actions: readVerbs, Privilege: "read", Expect: "allow",
		Via: []string{"RoleBinding/" + ns + "/legacy-secret-reader-all", "Role/" + ns + "/legacy-secret-reader"},
		IDs: []string{"Group/system:authenticated", "Role/" + ns + "/legacy-secret-reader",
			"RoleBinding/" + ns + "/legacy-secret-reader-all"}})

	label := c.slug + ".example/aggregate-to-support-debugger"
	email := c.email(c.plants.aggregated)
	agg := clusterRole("support-debugger", nil)
	agg.AggregationRule = &aggregationRule{ClusterRoleSelectors: []labelSelector{{MatchLabels: map[string]string{
		label: "true"}}}}
	objs = append(objs, agg,
		clusterRole("support-debugger-secrets", map[string]string{label: "true"},
			rule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}),
		clusterRole("support-debugger-logs", map[string]string{label: "true"},
			rule{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list"}}),
		binding("", "support-debugger", "ClusterRole", "support-debugger", userSubject(email)))
	k.plant(Plant{ID: "k8s-aggregated-secrets", Kind: PlantK8sAggregatedSecrets,
		Description: "User " + email + " is bound cluster-wide to ClusterRole support-debugger, which has no rules " +
			"of its own but aggregates (label " + label + ") support-debugger-secrets: get and list secrets in " +
			"every namespace.",
		Principal: "User/" + email, Identity: email, Resource: "secrets", Service: "",
		Actions: []string{"get", "list"}, Privilege: "read", Expect: "allow",
		Via: []string{"ClusterRoleBinding/support-debugger", "ClusterRole/support-debugger",
			"ClusterRole/support-debugger-secrets"},
		IDs: []string{"User/" + email, "ClusterRoleBinding/support-debugger", "ClusterRole/support-debugger",
			"ClusterRole/support-debugger-secrets", email}})

	objs = append(objs,
		clusterRole("oncall-impersonator", nil, rule{APIGroups: []string{""},
			Resources: []string{"groups", "serviceaccounts", "users"}, Verbs: []string{"impersonate"}}),
		binding("", "oncall-impersonator", "ClusterRole", "oncall-impersonator", groupSubject("oncall")))
	k.plant(Plant{ID: "k8s-impersonate", Kind: PlantK8sImpersonate,
		Description: "Group oncall may impersonate any user, group or service account (ClusterRole " +
			"oncall-impersonator), including system:masters and ServiceAccount default/jenkins: it escalates to " +
			"cluster-admin.",
		Principal: "Group/oncall", Resource: "users,groups,serviceaccounts", Service: "",
		Actions: []string{"impersonate"}, Privilege: "admin", Expect: "escalate",
		Target: "ServiceAccount/default/jenkins",
		Via:    []string{"ClusterRoleBinding/oncall-impersonator", "ClusterRole/oncall-impersonator"},
		IDs: []string{"Group/oncall", "ClusterRole/oncall-impersonator", "ClusterRoleBinding/oncall-impersonator",
			"ServiceAccount/default/jenkins"}})
	// The roles of the two plants above are review items of their own (a
	// held role that grants an escalation): listed too.
	k.plant(Plant{ID: "k8s-impersonate-role", Kind: PlantK8sImpersonate,
		Description: "ClusterRole oncall-impersonator, held by Group oncall, grants impersonate on every user, " +
			"group and service account, ServiceAccount default/jenkins (cluster-admin) included.",
		Principal: "ClusterRole/oncall-impersonator", Resource: "users,groups,serviceaccounts", Service: "",
		Actions: []string{"impersonate"}, Privilege: "admin", Expect: "allow",
		Via: []string{"ClusterRoleBinding/oncall-impersonator"},
		IDs: []string{"ClusterRole/oncall-impersonator"}})
	k.plant(Plant{ID: "k8s-aggregated-secrets-role", Kind: PlantK8sAggregatedSecrets,
		Description: "ClusterRole support-debugger, held by " + email + ", aggregates get and list on secrets in " +
			"every namespace, the token of ServiceAccount default/jenkins (cluster-admin) included.",
		Principal: "ClusterRole/support-debugger", Resource: "secrets", Service: "",
		Actions: []string{"get", "list"}, Privilege: "read", Expect: "allow",
		Via: []string{"ClusterRoleBinding/support-debugger", "ClusterRole/support-debugger-secrets"},
		IDs: []string{"ClusterRole/support-debugger"}})
	return objs
}

// toMap converts o to generic maps, which the YAML encoder writes with sorted
// keys, as kubectl does (it converts through JSON). Building the maps directly
// avoids a JSON round trip per object.
func (o *kobj) toMap() map[string]any {
	m := map[string]any{"apiVersion": o.APIVersion, "kind": o.Kind, "metadata": o.Metadata.toMap()}
	if o.AggregationRule != nil {
		var sels []any
		for _, s := range o.AggregationRule.ClusterRoleSelectors {
			sels = append(sels, map[string]any{"matchLabels": s.MatchLabels})
		}
		m["aggregationRule"] = map[string]any{"clusterRoleSelectors": sels}
	}
	if len(o.Rules) > 0 {
		rules := make([]any, 0, len(o.Rules))
		for _, r := range o.Rules {
			rm := map[string]any{"verbs": r.Verbs}
			putList(rm, "apiGroups", r.APIGroups)
			putList(rm, "resources", r.Resources)
			putList(rm, "resourceNames", r.ResourceNames)
			putList(rm, "nonResourceURLs", r.NonResourceURLs)
			rules = append(rules, rm)
		}
		m["rules"] = rules
	}
	if o.RoleRef != nil {
		m["roleRef"] = map[string]any{"apiGroup": o.RoleRef.APIGroup, "kind": o.RoleRef.Kind, "name": o.RoleRef.Name}
	}
	if len(o.Subjects) > 0 {
		subs := make([]any, 0, len(o.Subjects))
		for _, s := range o.Subjects {
			sm := map[string]any{"kind": s.Kind, "name": s.Name}
			if s.APIGroup != "" {
				sm["apiGroup"] = s.APIGroup
			}
			if s.Namespace != "" {
				sm["namespace"] = s.Namespace
			}
			subs = append(subs, sm)
		}
		m["subjects"] = subs
	}
	if o.Spec != nil {
		m["spec"] = o.Spec
	}
	return m
}

func (md *kmeta) toMap() map[string]any {
	m := map[string]any{"name": md.Name}
	if md.Namespace != "" {
		m["namespace"] = md.Namespace
	}
	if len(md.Labels) > 0 {
		m["labels"] = md.Labels
	}
	if len(md.Annotations) > 0 {
		m["annotations"] = md.Annotations
	}
	return m
}

func putList(m map[string]any, key string, v []string) {
	if len(v) > 0 {
		m[key] = v
	}
}
