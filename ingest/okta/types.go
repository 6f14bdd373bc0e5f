package okta

// The structs below hold the fields the connector uses of the objects
// Okta's Management API returns (developer.okta.com/docs/api/openapi/okta-management);
// Okta sends more, which are ignored.

// user is a User (Users API: "List all users", "Retrieve a user").
type user struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Created       string `json:"created"`
	Activated     string `json:"activated"`
	StatusChanged string `json:"statusChanged"`
	LastLogin     string `json:"lastLogin"`
	LastUpdated   string `json:"lastUpdated"`
	Profile       struct {
		Login          string `json:"login"`
		Email          string `json:"email"`
		FirstName      string `json:"firstName"`
		LastName       string `json:"lastName"`
		DisplayName    string `json:"displayName"`
		EmployeeNumber string `json:"employeeNumber"`
		UserType       string `json:"userType"`
	} `json:"profile"`
}

// group is a Group (Groups API).
type group struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created string `json:"created"`
	Profile struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"profile"`
}

// app is an Application (Applications API).
type app struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Label      string `json:"label"`
	Status     string `json:"status"`
	SignOnMode string `json:"signOnMode"`
	Created    string `json:"created"`
}

// appUser is an AppUser (Application Users API: "List all assigned users").
// Scope is "USER" for a direct assignment, "GROUP" when it comes from a
// group assignment.
type appUser struct {
	ID          string `json:"id"`
	Scope       string `json:"scope"`
	Status      string `json:"status"`
	Created     string `json:"created"`
	Credentials struct {
		UserName string `json:"userName"`
	} `json:"credentials"`
}

// appGroup is an ApplicationGroupAssignment (Application Groups API); its
// id is the group's id.
type appGroup struct {
	ID       string `json:"id"`
	Priority int    `json:"priority"`
}

// roleAssignment is a role assigned to a user or group (Role Assignments
// API: "List all roles assigned to a user / group"). Custom roles carry
// the role and resource-set ids.
type roleAssignment struct {
	ID             string `json:"id"`
	Label          string `json:"label"`
	Type           string `json:"type"`
	Status         string `json:"status"`
	AssignmentType string `json:"assignmentType"`
	Role           string `json:"role"`
	ResourceSet    string `json:"resource-set"`
}

// grant is an OAuth2ScopeConsentGrant (User Grants API: "List all user
// grants"); with ?expand=scope the scope is embedded.
type grant struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Created   string `json:"created"`
	Issuer    string `json:"issuer"`
	ClientID  string `json:"clientId"`
	UserID    string `json:"userId"`
	ScopeID   string `json:"scopeId"`
	Source    string `json:"source"`
	CreatedBy *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"createdBy"`
	Embedded *struct {
		Scope *struct {
			Name string `json:"name"`
		} `json:"scope"`
	} `json:"_embedded"`
	Links *struct {
		Scope *struct {
			Title string `json:"title"`
		} `json:"scope"`
		Client *struct {
			Title string `json:"title"`
		} `json:"client"`
	} `json:"_links"`
}

// scopeName is the grant's scope name: embedded, else the scope link's
// title, else its id.
func (g grant) scopeName() string {
	if g.Embedded != nil && g.Embedded.Scope != nil && g.Embedded.Scope.Name != "" {
		return g.Embedded.Scope.Name
	}
	if g.Links != nil && g.Links.Scope != nil && g.Links.Scope.Title != "" {
		return g.Links.Scope.Title
	}
	return g.ScopeID
}

// apiToken is an API token's metadata (API Tokens API: "List all API
// token metadata"); the token value itself is never returned.
type apiToken struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	UserID      string `json:"userId"`
	ClientName  string `json:"clientName"`
	TokenWindow string `json:"tokenWindow"`
	Created     string `json:"created"`
	LastUpdated string `json:"lastUpdated"`
	ExpiresAt   string `json:"expiresAt"`
}
