package synth

// GAAD entity shapes, field order as the AWS CLI prints them.

type attachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

type inlinePolicy struct {
	PolicyName     string    `json:"PolicyName"`
	PolicyDocument policyDoc `json:"PolicyDocument"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type permissionsBoundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

type gaadUser struct {
	Path                    string               `json:"Path"`
	UserName                string               `json:"UserName"`
	UserID                  string               `json:"UserId"`
	Arn                     string               `json:"Arn"`
	CreateDate              string               `json:"CreateDate"`
	UserPolicyList          []inlinePolicy       `json:"UserPolicyList"`
	GroupList               []string             `json:"GroupList"`
	AttachedManagedPolicies []attachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *permissionsBoundary `json:"PermissionsBoundary,omitempty"`
	Tags                    []tag                `json:"Tags"`
}

type gaadGroup struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              string           `json:"CreateDate"`
	GroupPolicyList         []inlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
}

type profileRole struct {
	Path                     string    `json:"Path"`
	RoleName                 string    `json:"RoleName"`
	RoleID                   string    `json:"RoleId"`
	Arn                      string    `json:"Arn"`
	CreateDate               string    `json:"CreateDate"`
	AssumeRolePolicyDocument policyDoc `json:"AssumeRolePolicyDocument"`
}

type instanceProfile struct {
	Path                string        `json:"Path"`
	InstanceProfileName string        `json:"InstanceProfileName"`
	InstanceProfileID   string        `json:"InstanceProfileId"`
	Arn                 string        `json:"Arn"`
	CreateDate          string        `json:"CreateDate"`
	Roles               []profileRole `json:"Roles"`
}

type roleLastUsed struct {
	LastUsedDate string `json:"LastUsedDate,omitempty"`
	Region       string `json:"Region,omitempty"`
}

type gaadRole struct {
	Path                     string               `json:"Path"`
	RoleName                 string               `json:"RoleName"`
	RoleID                   string               `json:"RoleId"`
	Arn                      string               `json:"Arn"`
	CreateDate               string               `json:"CreateDate"`
	AssumeRolePolicyDocument policyDoc            `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []instanceProfile    `json:"InstanceProfileList"`
	RolePolicyList           []inlinePolicy       `json:"RolePolicyList"`
	AttachedManagedPolicies  []attachedPolicy     `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *permissionsBoundary `json:"PermissionsBoundary,omitempty"`
	Tags                     []tag                `json:"Tags"`
	RoleLastUsed             roleLastUsed         `json:"RoleLastUsed"`
}

type policyVersion struct {
	Document         policyDoc `json:"Document"`
	VersionID        string    `json:"VersionId"`
	IsDefaultVersion bool      `json:"IsDefaultVersion"`
	CreateDate       string    `json:"CreateDate"`
}

type gaadPolicy struct {
	PolicyName                    string          `json:"PolicyName"`
	PolicyID                      string          `json:"PolicyId"`
	Arn                           string          `json:"Arn"`
	Path                          string          `json:"Path"`
	DefaultVersionID              string          `json:"DefaultVersionId"`
	AttachmentCount               int             `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int             `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool            `json:"IsAttachable"`
	CreateDate                    string          `json:"CreateDate"`
	UpdateDate                    string          `json:"UpdateDate"`
	PolicyVersionList             []policyVersion `json:"PolicyVersionList"`
}
