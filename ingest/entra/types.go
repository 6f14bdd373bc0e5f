package entra

// object is a Microsoft Graph directoryObject as the v1.0 API returns it:
// the fields of user, group, servicePrincipal, application and directoryRole
// that the connector uses (Graph sends many more; they are ignored).
type object struct {
	ODataType   string `json:"@odata.type"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Mail        string `json:"mail"`
	CreatedAt   string `json:"createdDateTime"`
	DeletedAt   string `json:"deletedDateTime"`

	// user
	UserPrincipalName string `json:"userPrincipalName"`
	EmployeeID        string `json:"employeeId"`
	AccountEnabled    *bool  `json:"accountEnabled"`
	UserType          string `json:"userType"`
	SignInActivity    *struct {
		LastSignInDateTime string `json:"lastSignInDateTime"`
	} `json:"signInActivity"`

	// group
	SecurityEnabled    *bool    `json:"securityEnabled"`
	MailEnabled        *bool    `json:"mailEnabled"`
	GroupTypes         []string `json:"groupTypes"`
	IsAssignableToRole *bool    `json:"isAssignableToRole"`
	MembershipRule     string   `json:"membershipRule"`

	// servicePrincipal and application
	AppID                  string       `json:"appId"`
	ServicePrincipalType   string       `json:"servicePrincipalType"`
	AppOwnerOrganizationID string       `json:"appOwnerOrganizationId"`
	SignInAudience         string       `json:"signInAudience"`
	PublisherDomain        string       `json:"publisherDomain"`
	AppRoles               []appRole    `json:"appRoles"`
	PasswordCredentials    []credential `json:"passwordCredentials"`
	KeyCredentials         []credential `json:"keyCredentials"`

	// directoryRole
	RoleTemplateID string `json:"roleTemplateId"`
}

// appRole is one entry of a service principal's appRoles.
type appRole struct {
	ID          string `json:"id"`
	Value       string `json:"value"`
	DisplayName string `json:"displayName"`
}

// credential is a passwordCredential or keyCredential of an application or
// service principal (Graph never returns the secret itself).
type credential struct {
	KeyID         string `json:"keyId"`
	DisplayName   string `json:"displayName"`
	Hint          string `json:"hint"`
	StartDateTime string `json:"startDateTime"`
	EndDateTime   string `json:"endDateTime"`
	Type          string `json:"type"`
	Usage         string `json:"usage"`
}

// roleAssignment is a unifiedRoleAssignment of
// /roleManagement/directory/roleAssignments.
type roleAssignment struct {
	ID               string          `json:"id"`
	PrincipalID      string          `json:"principalId"`
	RoleDefinitionID string          `json:"roleDefinitionId"`
	DirectoryScopeID string          `json:"directoryScopeId"`
	Principal        *object         `json:"principal"`
	RoleDefinition   *roleDefinition `json:"roleDefinition"`
}

// roleDefinition is a unifiedRoleDefinition of
// /roleManagement/directory/roleDefinitions.
type roleDefinition struct {
	ID              string `json:"id"`
	DisplayName     string `json:"displayName"`
	Description     string `json:"description"`
	TemplateID      string `json:"templateId"`
	IsBuiltIn       *bool  `json:"isBuiltIn"`
	RolePermissions []struct {
		AllowedResourceActions []string `json:"allowedResourceActions"`
	} `json:"rolePermissions"`
}

// appRoleAssignment is an appRoleAssignment: principalId (a user, group or
// service principal) holds appRoleId of the service principal resourceId.
type appRoleAssignment struct {
	ID                   string `json:"id"`
	AppRoleID            string `json:"appRoleId"`
	CreatedDateTime      string `json:"createdDateTime"`
	PrincipalID          string `json:"principalId"`
	PrincipalType        string `json:"principalType"`
	PrincipalDisplayName string `json:"principalDisplayName"`
	ResourceID           string `json:"resourceId"`
	ResourceDisplayName  string `json:"resourceDisplayName"`
}

// permissionGrant is an oauth2PermissionGrant: a delegated consent letting
// the client service principal call the resource service principal's API
// as the signed-in user, within scope.
type permissionGrant struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`
	ConsentType string `json:"consentType"`
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"`
	Scope       string `json:"scope"`
}
