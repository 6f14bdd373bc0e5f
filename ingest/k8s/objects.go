package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

const rbacGroup = "rbac.authorization.k8s.io"

// Workload kinds and the API groups they are read from.
var workloadKinds = map[string][]string{
	"Pod":                   {""},
	"ReplicationController": {""},
	"Deployment":            {"apps", "extensions"},
	"StatefulSet":           {"apps"},
	"DaemonSet":             {"apps", "extensions"},
	"ReplicaSet":            {"apps", "extensions"},
	"Job":                   {"batch"},
	"CronJob":               {"batch"},
}

// serviceAccount is the part of a core/v1 ServiceAccount Parse reads. The
// core/v1 types are not imported: they are large and only two fields matter.
type serviceAccount struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	// AutomountServiceAccountToken false means pods using the account get no
	// token unless they ask for one.
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken"`
}

// podSpec is the part of a pod spec Parse reads.
type podSpec struct {
	ServiceAccountName string `json:"serviceAccountName"`
	// ServiceAccount is the deprecated alias of ServiceAccountName.
	ServiceAccount               string `json:"serviceAccount"`
	AutomountServiceAccountToken *bool  `json:"automountServiceAccountToken"`
}

type podTemplate struct {
	Spec podSpec `json:"spec"`
}

// workloadDoc covers the pod spec locations of every workload kind: a Pod's
// spec, a controller's spec.template.spec and a CronJob's
// spec.jobTemplate.spec.template.spec.
type workloadDoc struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		podSpec
		Template    *podTemplate `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template *podTemplate `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// workload is a decoded workload.
type workload struct {
	obj       object
	ns, kind  string
	name      string
	sa        string // service account name, "default" if unset
	explicit  bool   // sa was set in the manifest
	automount *bool  // from the pod spec
	mounts    bool   // pods get a token for sa (set by addWorkloads)
}

// classify decodes o into the builder's collections, or counts it as skipped.
func (b *builder) classify(o object) error {
	switch {
	case o.group == "" && o.kind == "ServiceAccount":
		return b.addServiceAccount(o)
	case o.group == rbacGroup:
		switch o.kind {
		case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
			return b.addRBAC(o)
		}
	default:
		for _, g := range workloadKinds[o.kind] {
			if g == o.group {
				return b.addWorkload(o)
			}
		}
	}
	b.rep.Skipped[o.kind]++
	return nil
}

// decodeStrict decodes o.raw into v, rejecting unknown fields as the API
// server's strict field validation (kubectl's default) does.
func decodeStrict(o object, v any) error {
	dec := json.NewDecoder(bytes.NewReader(o.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return o.errorf(err, "decode %s: %v", o.kind, explain(err))
	}
	return nil
}

// explain says which field of an object has the wrong JSON type, without
// Go's type names; offsets are left out (the JSON was converted from YAML).
func explain(err error) error {
	err = jsonerr.Explain(nil, err)
	if msg, ok := strings.CutPrefix(err.Error(), "json: "); ok {
		return errors.New(msg) // json: unknown field "x"
	}
	return err
}

func (b *builder) namespace(m *metav1.ObjectMeta) string {
	if m.Namespace == "" {
		return b.opt.DefaultNamespace
	}
	return m.Namespace
}

func requireName(o object, m *metav1.ObjectMeta) error {
	if m.Name == "" {
		return o.errorf(nil, "%s: metadata.name: required", o.kind)
	}
	return nil
}

func (b *builder) addServiceAccount(o object) error {
	var sa serviceAccount
	if err := json.Unmarshal(o.raw, &sa); err != nil {
		return o.errorf(err, "decode ServiceAccount: %v", explain(err))
	}
	if err := requireName(o, &sa.Metadata); err != nil {
		return err
	}
	ns := b.namespace(&sa.Metadata)
	s := b.serviceAccount(ns, sa.Metadata.Name)
	s.defined = true
	s.automount = sa.AutomountServiceAccountToken
	for k, v := range sa.Metadata.Annotations {
		if strings.HasSuffix(k, "/on-behalf-of") && strings.TrimSpace(v) != "" {
			s.onBehalfOf = strings.ToLower(strings.TrimSpace(v))
		}
	}
	b.rep.Kinds[o.kind]++
	return nil
}

func (b *builder) addWorkload(o object) error {
	var d workloadDoc
	if err := json.Unmarshal(o.raw, &d); err != nil {
		return o.errorf(err, "decode %s: %v", o.kind, explain(err))
	}
	if err := requireName(o, &d.Metadata); err != nil {
		return err
	}
	spec := d.Spec.podSpec
	switch {
	case o.kind == "CronJob" && d.Spec.JobTemplate != nil && d.Spec.JobTemplate.Spec.Template != nil:
		spec = d.Spec.JobTemplate.Spec.Template.Spec
	case o.kind != "Pod" && o.kind != "CronJob" && d.Spec.Template != nil:
		spec = d.Spec.Template.Spec
	}
	w := &workload{obj: o, ns: b.namespace(&d.Metadata), kind: o.kind, name: d.Metadata.Name,
		sa: spec.ServiceAccountName, automount: spec.AutomountServiceAccountToken}
	if w.sa == "" {
		w.sa = spec.ServiceAccount
	}
	w.explicit = w.sa != ""
	if !w.explicit {
		w.sa = "default"
	}
	b.workloads = append(b.workloads, w)
	b.rep.Kinds[o.kind]++
	return nil
}

func (b *builder) addRBAC(o object) error {
	switch o.kind {
	case "Role":
		var r rbacv1.Role
		if err := decodeStrict(o, &r); err != nil {
			return err
		}
		if err := requireName(o, &r.ObjectMeta); err != nil {
			return err
		}
		ns := b.namespace(&r.ObjectMeta)
		name := fmt.Sprintf("Role %s/%s", ns, r.Name)
		if err := validateRules(o, name, r.Rules, true); err != nil {
			return err
		}
		b.roles[ns+"/"+r.Name] = &roleDef{obj: o, ns: ns, name: r.Name, rules: r.Rules}
	case "ClusterRole":
		var r rbacv1.ClusterRole
		if err := decodeStrict(o, &r); err != nil {
			return err
		}
		if err := requireName(o, &r.ObjectMeta); err != nil {
			return err
		}
		if err := validateRules(o, "ClusterRole "+r.Name, r.Rules, false); err != nil {
			return err
		}
		b.croles[r.Name] = &clusterRoleDef{obj: o, role: r}
	case "RoleBinding":
		var rb rbacv1.RoleBinding
		if err := decodeStrict(o, &rb); err != nil {
			return err
		}
		if err := requireName(o, &rb.ObjectMeta); err != nil {
			return err
		}
		ns := b.namespace(&rb.ObjectMeta)
		bd := &bindingDef{obj: o, ns: ns, name: rb.Name, ref: rb.RoleRef, subjects: rb.Subjects,
			what: fmt.Sprintf("RoleBinding %s/%s", ns, rb.Name), via: "rolebinding/" + ns + "/" + rb.Name}
		if err := bd.validate(); err != nil {
			return err
		}
		b.bindings = append(b.bindings, bd)
	case "ClusterRoleBinding":
		var crb rbacv1.ClusterRoleBinding
		if err := decodeStrict(o, &crb); err != nil {
			return err
		}
		if err := requireName(o, &crb.ObjectMeta); err != nil {
			return err
		}
		bd := &bindingDef{obj: o, name: crb.Name, ref: crb.RoleRef, subjects: crb.Subjects,
			what: "ClusterRoleBinding " + crb.Name, via: "clusterrolebinding/" + crb.Name}
		if err := bd.validate(); err != nil {
			return err
		}
		b.bindings = append(b.bindings, bd)
	}
	b.rep.Kinds[o.kind]++
	return nil
}

// validateRules applies the API server's rule validation: verbs are required;
// a rule names either resources (with apiGroups) or nonResourceURLs, and
// namespaced Roles cannot name nonResourceURLs.
func validateRules(o object, what string, rules []rbacv1.PolicyRule, namespaced bool) error {
	for i, r := range rules {
		fail := func(msg string) error {
			e := o.errorf(nil, "%s", msg)
			e.Object = what
			e.Msg = fmt.Sprintf("rules[%d].%s", i, e.Msg)
			return e
		}
		if len(r.Verbs) == 0 {
			return fail("verbs: required")
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				return fail("nonResourceURLs: not allowed in a namespaced Role")
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 {
				return fail("nonResourceURLs: a rule cannot name both resources and nonResourceURLs")
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			return fail("apiGroups: required (use \"\" for the core group)")
		}
		if len(r.Resources) == 0 {
			return fail("resources: required")
		}
	}
	return nil
}

// validate checks a binding's roleRef and subjects.
func (d *bindingDef) validate() error {
	fail := func(format string, args ...any) error {
		e := d.obj.errorf(nil, format, args...)
		e.Object = d.what
		return e
	}
	switch d.ref.Kind {
	case "Role":
		if d.ns == "" {
			return fail("roleRef.kind: a ClusterRoleBinding must reference a ClusterRole, got Role")
		}
	case "ClusterRole":
	default:
		return fail("roleRef.kind: want Role or ClusterRole, got %q", d.ref.Kind)
	}
	if d.ref.Name == "" {
		return fail("roleRef.name: required")
	}
	for i, s := range d.subjects {
		if s.Name == "" {
			return fail("subjects[%d].name: required", i)
		}
		switch s.Kind {
		case "User", "Group":
		case "ServiceAccount":
			if s.Namespace == "" && d.ns == "" {
				return fail("subjects[%d].namespace: required for a ServiceAccount in a ClusterRoleBinding", i)
			}
		default:
			return fail("subjects[%d].kind: want ServiceAccount, User or Group, got %q", i, s.Kind)
		}
	}
	return nil
}
