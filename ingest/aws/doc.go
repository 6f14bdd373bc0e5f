// Package aws ingests AWS IAM into the access graph.
//
// It reads two exports of one AWS account:
//
//   - the output of `aws iam get-account-authorization-details` (GAAD), see
//     ParseAuthorizationDetails: users, groups, roles, managed and inline
//     policies, permission boundaries and role trust policies;
//   - the IAM credential report CSV (`aws iam get-credential-report`), see
//     ParseCredentialReport: access keys, console passwords and signing
//     certificates, with their last use and rotation dates.
//
// # Access evaluation
//
// ACCESS edges are computed per principal (IAM user or role), the way AWS
// evaluates identity-based policies: the union of the Allow statements of the
// principal's inline and attached managed policies (for a user, also those of
// its groups; a managed policy contributes its default version), minus what an
// explicit Deny removes, intersected with the permissions boundary if there is
// one. Action/NotAction and Resource/NotResource with the * and ? wildcards
// are supported. Groups get no ACCESS edges: AWS never authorizes a group, so a
// group reaches resources only through its members (MEMBER_OF edges, and the
// Via of each member's ACCESS edges).
//
// One resource node is emitted per (service, resource pattern): an ARN pattern
// keeps the ARN as its ID; Resource "*" becomes "aws:<account>:<service>:*"
// and Action "*" is service "*". Wildcard action patterns are kept as written
// unless a Deny, NotAction or boundary subtracts from them; then the action
// catalogue (see ActionLevels) expands the pattern of one service into the
// remaining action names. A pattern spanning services ("*", NotAction) is
// never expanded: what it excludes is listed in the edge's Props["excluded_actions"].
//
// Known simplifications, each a deliberate over-approximation of access:
//
//   - Limitation: conditions are not evaluated. A conditional Allow counts as
//     granted and its Condition block is copied to the edge's Conditions; a
//     conditional Deny subtracts nothing and is copied to Conditions as the
//     deny statement's JSON. When an edge mixes conditional and
//     unconditional actions, Props["conditional_actions"] lists the former.
//   - Limitation: a Deny whose resources are narrower than the grant's (Allow
//     s3:* on *, Deny s3:* on one bucket) subtracts nothing; it is recorded in
//     the edge's Conditions the same way.
//   - Limitation: policy variables such as ${aws:username} are kept literally
//     in resource patterns and match nothing when checking a concrete ARN.
//   - Limitation: service control policies, resource-based policies other
//     than role trust policies, and session policies are not in GAAD and are
//     not considered.
//
// # Trust and escalation
//
// Role trust policies give CAN_ASSUME edges: from a user or role named by ARN,
// from every principal of the same account whose effective identity policy
// allows sts:AssumeRole on the role when the trust names the account, from a
// stub root node of another account, from stub nodes for AWS services
// ("aws:service:ec2.amazonaws.com") and federated providers
// ("aws:federated:<provider>"), and from "aws:<account>:anyone" when the trust
// allows Principal "*" (the role then has Props["open_trust"] = "true").
// A statement lets a principal in only if its Action covers the STS action
// that principal's type uses: sts:AssumeRole for AWS principals (ARNs,
// accounts, "*", NotPrincipal) and services, sts:AssumeRoleWithSAML for SAML
// providers, sts:AssumeRoleWithWebIdentity for every other federated (OIDC)
// provider; wildcards such as sts:* or sts:Assume* count, while
// sts:TagSession or sts:SetSourceIdentity alone grant nothing. A Deny in a
// trust policy removes the edges of the principals it names for the action
// each of them uses.
//
// ESCALATES edges mark takeovers that identity permissions allow, from the
// small table in escalate.go: iam:UpdateAssumeRolePolicy on a role,
// iam:CreateAccessKey, iam:CreateLoginProfile and iam:UpdateLoginProfile on
// a user, (for a user) iam:AddUserToGroup on a group, and iam:PassRole on a
// role. PassRole is an escalation only when the role trusts a service (a
// CAN_ASSUME edge from "aws:service:<name>"), the PassRole statement's
// iam:PassedToService condition, if any, lets the role go to that service,
// and the holder may also make the service run as the role: the launchers
// table maps each service principal to the action sets that do (ec2:
// RunInstances or attaching an instance profile; lambda: CreateFunction;
// ecs-tasks: RunTask; ...). Roles trusted only by services outside that
// table give no PassRole escalation. The edge's Actions list iam:PassRole
// and the launch actions, and its Via says which service and launch actions
// made it possible. A principal that can already assume the role gets no
// ESCALATES edge to it. Limitation: multi-step escalations
// (iam:CreatePolicyVersion on a policy attached to oneself,
// iam:PutRolePolicy then AssumeRole) are only visible as admin-level ACCESS
// to the iam service, not as ESCALATES edges.
//
// # Containment
//
// CONTAINS edges link a wildcard resource node to the resource nodes of the
// batch it includes, so that access to "aws:<account>:*:*" reaches
// "arn:aws:s3:::bucket/*" through "aws:<account>:s3:*": the node of Resource
// "*" for a service pattern includes the nodes of the services it covers
// and every ARN of those services; an ARN pattern includes the ARNs and
// narrower patterns it matches. IAM entities that ACCESS edges target count
// as resources ("aws:<account>:iam:*" includes a role one may pass). Only
// covering pairs are linked and nothing is invented; see
// builder.containment.
package aws
