package aws

import (
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// takeover is one IAM action that lets its holder act as the target.
type takeover struct {
	action string
	// target is "user", "role" or "group".
	target string
	// passRole marks iam:PassRole: passing a role only helps if a service
	// that the role trusts will run as it, and the holder can make it do so
	// (see launchers).
	passRole bool
	// usersOnly limits the holder to users: only a user can join a group.
	usersOnly bool
}

// takeovers is the escalation table: holding the action on the target's ARN
// gives an ESCALATES edge holder -> target.
var takeovers = []takeover{
	{action: "iam:PassRole", target: "role", passRole: true},
	{action: "iam:UpdateAssumeRolePolicy", target: "role"},
	{action: "iam:CreateAccessKey", target: "user"},
	{action: "iam:CreateLoginProfile", target: "user"},
	{action: "iam:UpdateLoginProfile", target: "user"},
	{action: "iam:AddUserToGroup", target: "group", usersOnly: true},
}

// launchers maps a service principal to the ways of making that service run
// as a role one passes it: each entry is a set of actions that must all be
// allowed (on any resource), and any entry suffices. iam:PassRole on a role
// is an escalation only when the role trusts one of these services and the
// holder has one of its entries.
//
//   - ec2: launch an instance with the role's instance profile, or attach
//     or swap the profile of a running instance one controls.
//   - lambda: create a function running as the role (invoking it, or an
//     event source that calls it, is almost always also possible and is not
//     required), or switch an existing function to the role.
//   - ecs-tasks: run or start a task with overrides.taskRoleArn (no task
//     definition needed), or register a task definition and create a
//     service from it.
//   - glue: a development endpoint or a job running as the role.
//   - cloudformation: create or update a stack (directly or through a
//     change set) whose resources are created as the role.
//   - sagemaker: a notebook instance, training job or processing job.
//   - codebuild: create or update a project with the role, then start a build.
//   - datapipeline: create a pipeline, give it a definition naming the
//     role, and activate it.
//   - states: create a state machine running as the role and start it.
//   - ssm: a hybrid activation (ssm:CreateActivation) registers a machine
//     one controls as a managed node that receives the role's credentials.
//     SSM's other uses of service roles (Automation, maintenance windows)
//     need documents or targets that the holder does not choose freely and
//     are not listed.
//
// Services absent from the table (and service-linked roles, which cannot be
// passed) give no PassRole escalation: a deliberate choice against false
// positives, which may miss a launch path the table does not know.
var launchers = map[string][][]string{
	"ec2.amazonaws.com": {{"ec2:RunInstances"}, {"ec2:AssociateIamInstanceProfile"},
		{"ec2:ReplaceIamInstanceProfileAssociation"}},
	"lambda.amazonaws.com":    {{"lambda:CreateFunction"}, {"lambda:UpdateFunctionConfiguration"}},
	"ecs-tasks.amazonaws.com": {{"ecs:RunTask"}, {"ecs:StartTask"}, {"ecs:RegisterTaskDefinition", "ecs:CreateService"}},
	"glue.amazonaws.com":      {{"glue:CreateDevEndpoint"}, {"glue:CreateJob"}},
	"cloudformation.amazonaws.com": {{"cloudformation:CreateStack"}, {"cloudformation:UpdateStack"},
		{"cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"}},
	"sagemaker.amazonaws.com": {{"sagemaker:CreateNotebookInstance"}, {"sagemaker:CreateTrainingJob"},
		{"sagemaker:CreateProcessingJob"}},
	"codebuild.amazonaws.com": {{"codebuild:CreateProject", "codebuild:StartBuild"},
		{"codebuild:UpdateProject", "codebuild:StartBuild"}},
	"datapipeline.amazonaws.com": {{"datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
		"datapipeline:ActivatePipeline"}},
	"states.amazonaws.com": {{"states:CreateStateMachine", "states:StartExecution"}},
	"ssm.amazonaws.com":    {{"ssm:CreateActivation"}},
}

// launchPaths returns the launcher entries of a service principal; the
// China partition's ".amazonaws.com.cn" names the same services.
func launchPaths(service string) [][]string {
	s := strings.TrimSuffix(strings.ToLower(service), ".cn")
	return launchers[s]
}

// escalations adds ESCALATES edges for the takeovers each principal's
// effective permissions allow, except where it can already assume the
// target.
func (bl *builder) escalations(assume map[string]bool) {
	type target struct {
		arn, kind string
		services  []string // services that may assume a role (CAN_ASSUME edges)
	}
	var targets []target
	for _, u := range bl.m.users {
		targets = append(targets, target{arn: u.Arn, kind: "user"})
	}
	for _, g := range sortedKeys(bl.m.groups) {
		targets = append(targets, target{arn: bl.m.groups[g].Arn, kind: "group"})
	}
	for _, r := range bl.m.roles {
		targets = append(targets, target{arn: r.Arn, kind: "role",
			services: trustedServices(bl.m.trusts[r.Arn], r.Arn, assume)})
	}
	for _, p := range bl.m.princ {
		holds := false
		for _, tk := range takeovers {
			holds = holds || p.mayAct(tk.action)
		}
		if !holds {
			continue
		}
		for _, t := range targets {
			if t.arn == p.arn || assume[p.arn+"|"+t.arn] {
				continue
			}
			for _, tk := range takeovers {
				if tk.target != t.kind || (tk.usersOnly && p.isRole) {
					continue
				}
				if tk.passRole {
					bl.passRole(p, t.arn, t.services)
					continue
				}
				ok, via, conds := allowed(p, tk.action, t.arn)
				if !ok {
					continue
				}
				bl.b.AddEdge(graph.Edge{From: p.arn, To: t.arn, Kind: graph.EdgeEscalates, Privilege: graph.PrivAdmin,
					Actions: []string{tk.action}, Conditions: conds, Via: via})
			}
		}
	}
}

// passRole adds the ESCALATES edge p -> role when p may pass role to one of
// the services that role trusts (honouring iam:PassedToService conditions)
// and may also make that service run as it (launchers). The edge's actions
// are iam:PassRole and the launch actions; its Via names the policies and
// says which service and launch actions made it possible.
func (bl *builder) passRole(p *principalInfo, role string, services []string) {
	for _, svc := range services {
		type held struct {
			path       []string
			via, conds []string
		}
		var paths []held
		for _, path := range launchPaths(svc) {
			h := held{path: path}
			all := true
			for _, a := range path {
				l := bl.launch(p, a)
				if !l.ok {
					all = false
					break
				}
				h.via = append(h.via, l.via...)
				h.conds = append(h.conds, l.conds...)
			}
			if all {
				paths = append(paths, h)
			}
		}
		if len(paths) == 0 {
			continue
		}
		ok, via, conds := allowedIf(p, "iam:PassRole", role, func(st *statement) bool { return st.admitsService(svc) })
		if !ok {
			continue
		}
		for _, h := range paths {
			e := graph.Edge{From: p.arn, To: role, Kind: graph.EdgeEscalates, Privilege: graph.PrivAdmin,
				Actions:    append([]string{"iam:PassRole"}, h.path...),
				Conditions: append(append([]string(nil), conds...), h.conds...),
				Via: append(append(append([]string(nil), via...), h.via...),
					"iam:PassRole to "+svc+", run with "+strings.Join(h.path, " + "))}
			bl.b.AddEdge(e)
		}
	}
}

// launchResult is the memoized answer of launchAllowed.
type launchResult struct {
	ok         bool
	via, conds []string
}

// launch is launchAllowed, memoized per principal and action: the answer
// does not depend on the role being passed.
func (bl *builder) launch(p *principalInfo, action string) launchResult {
	k := p.arn + "|" + action
	if r, ok := bl.launches[k]; ok {
		return r
	}
	var r launchResult
	r.ok, r.via, r.conds = launchAllowed(p, action)
	bl.launches[k] = r
	return r
}

// trustedServices returns the AWS services that may assume role: the
// Service principals of its trust policy's Allow statements that kept their
// CAN_ASSUME edge (a Deny may have removed it), sorted.
func trustedServices(doc *policyDoc, role string, assume map[string]bool) []string {
	var out []string
	for i := range doc.statements {
		st := &doc.statements[i]
		if !st.allow || st.notPrincipal || !st.namesAction(actAssumeRole) {
			continue
		}
		for _, p := range st.principals {
			if p.Type == "Service" && assume["aws:service:"+p.ID+"|"+role] && !slices.Contains(out, p.ID) {
				out = append(out, p.ID)
			}
		}
	}
	slices.Sort(out)
	return out
}

// launchAllowed reports whether p may perform action on some resource: an
// allow statement of its policies names it (whatever its resources: a launch
// creates a new resource, which a narrow Resource still lets one name), its
// boundary if any names it too, and no unconditional deny names it on every
// resource. It returns what allowed it and the conditions that restrict it.
func launchAllowed(p *principalInfo, action string) (ok bool, via, conds []string) {
	return evaluate(p, action, scope{
		applies: func(st *statement) bool { return st.namesAction(action) },
		total: func(st *statement) bool {
			return st.resources == nil || (!st.notResource && matchesAny(st.resources, "*", matchResource))
		},
	})
}
