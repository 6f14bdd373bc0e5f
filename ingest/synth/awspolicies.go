package synth

// IAM policy document types, shaped like the JSON that get-account-
// authorization-details returns (documents decoded, not URL-encoded).

// policyDoc is an IAM policy document.
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one IAM policy statement. Action, Resource and Principal hold
// either a string or a list, as real documents do.
type statement struct {
	Sid         string         `json:"Sid,omitempty"`
	Effect      string         `json:"Effect"`
	Principal   any            `json:"Principal,omitempty"`
	Action      any            `json:"Action,omitempty"`
	NotAction   any            `json:"NotAction,omitempty"`
	Resource    any            `json:"Resource,omitempty"`
	NotResource any            `json:"NotResource,omitempty"`
	Condition   map[string]any `json:"Condition,omitempty"`
}

func doc(st ...statement) policyDoc { return policyDoc{Version: "2012-10-17", Statement: st} }

func allow(actions any, resources any) statement {
	return statement{Effect: "Allow", Action: actions, Resource: resources}
}

// awsManaged is an AWS managed policy: its name, path, default version and
// an abridged but faithful document (real action names and patterns).
type awsManaged struct {
	name     string
	path     string
	version  string
	created  string
	updated  string
	document policyDoc
}

func (m *awsManaged) arn() string { return "arn:aws:iam::aws:policy" + m.path + m.name }

// AWS managed policy names used by the generator.
const (
	polAdmin          = "AdministratorAccess"
	polPowerUser      = "PowerUserAccess"
	polReadOnly       = "ReadOnlyAccess"
	polViewOnly       = "ViewOnlyAccess"
	polSecurityAudit  = "SecurityAudit"
	polS3Read         = "AmazonS3ReadOnlyAccess"
	polS3Full         = "AmazonS3FullAccess"
	polIAMFull        = "IAMFullAccess"
	polIAMRead        = "IAMReadOnlyAccess"
	polEC2Full        = "AmazonEC2FullAccess"
	polRDSFull        = "AmazonRDSFullAccess"
	polDynamoFull     = "AmazonDynamoDBFullAccess"
	polDynamoRead     = "AmazonDynamoDBReadOnlyAccess"
	polLambdaFull     = "AWSLambda_FullAccess"
	polLambdaBasic    = "AWSLambdaBasicExecutionRole"
	polAthenaFull     = "AmazonAthenaFullAccess"
	polSecretsRW      = "SecretsManagerReadWrite"
	polBilling        = "Billing"
	polDBA            = "DatabaseAdministrator"
	polDataScientist  = "DataScientist"
	polSupportUser    = "SupportUser"
	polSupportAccess  = "AWSSupportAccess"
	polSupportSvcRole = "AWSSupportServiceRolePolicy"
	polSSMCore        = "AmazonSSMManagedInstanceCore"
	polCloudWatchRead = "CloudWatchReadOnlyAccess"
	polEKSWorker      = "AmazonEKSWorkerNodePolicy"
	polECRRead        = "AmazonEC2ContainerRegistryReadOnly"
)

var readOnlyActions = []string{
	"athena:Get*", "athena:List*", "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:LookupEvents",
	"cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "dynamodb:BatchGetItem",
	"dynamodb:Describe*", "dynamodb:GetItem", "dynamodb:List*", "dynamodb:Query", "dynamodb:Scan",
	"ec2:Describe*", "ec2:Get*", "ecr:BatchGetImage", "ecr:Describe*", "ecr:GetDownloadUrlForLayer",
	"eks:Describe*", "eks:List*", "glue:Get*", "iam:Get*", "iam:List*", "kms:Describe*", "kms:Get*",
	"kms:List*", "lambda:Get*", "lambda:List*", "logs:Describe*", "logs:Get*", "rds:Describe*",
	"s3:Get*", "s3:List*", "secretsmanager:Describe*", "secretsmanager:List*", "sns:Get*", "sns:List*",
	"sqs:Get*", "sqs:List*", "sts:GetCallerIdentity",
}

var viewOnlyActions = []string{
	"cloudtrail:DescribeTrails", "cloudwatch:DescribeAlarms", "cloudwatch:ListMetrics",
	"dynamodb:DescribeTable", "dynamodb:ListTables", "ec2:DescribeInstances", "ec2:DescribeSecurityGroups",
	"ec2:DescribeVpcs", "eks:DescribeCluster", "eks:ListClusters", "iam:ListGroups", "iam:ListRoles",
	"iam:ListUsers", "lambda:ListFunctions", "rds:DescribeDBInstances", "s3:ListAllMyBuckets",
	"s3:ListBucket", "sns:ListTopics", "sqs:ListQueues",
}

// awsManagedPolicies is the catalog, keyed by name.
var awsManagedPolicies = map[string]*awsManaged{
	polAdmin: {name: polAdmin, path: "/", version: "v1", created: "2015-02-06T18:39:46+00:00",
		updated: "2015-02-06T18:39:46+00:00", document: doc(allow("*", "*"))},
	polPowerUser: {name: polPowerUser, path: "/", version: "v5", created: "2015-02-06T18:39:47+00:00",
		updated: "2023-07-06T22:04:19+00:00", document: doc(
			statement{Effect: "Allow", NotAction: []string{"iam:*", "organizations:*", "account:*"}, Resource: "*"},
			allow([]string{"account:GetAccountInformation", "account:ListRegions", "iam:CreateServiceLinkedRole",
				"iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization"}, "*"))},
	polReadOnly: {name: polReadOnly, path: "/", version: "v108", created: "2015-02-06T18:39:48+00:00",
		updated: "2024-06-04T18:08:24+00:00", document: doc(allow(readOnlyActions, "*"))},
	polViewOnly: {name: polViewOnly, path: "/job-function/", version: "v16", created: "2016-11-10T17:20:15+00:00",
		updated: "2023-11-14T20:22:45+00:00", document: doc(allow(viewOnlyActions, "*"))},
	polSecurityAudit: {name: polSecurityAudit, path: "/", version: "v38", created: "2015-02-06T18:41:01+00:00",
		updated: "2024-03-26T17:07:40+00:00", document: doc(allow([]string{
			"access-analyzer:List*", "cloudtrail:Describe*", "cloudtrail:Get*", "config:Describe*", "config:Get*",
			"ec2:Describe*", "guardduty:Get*", "guardduty:List*", "iam:GenerateCredentialReport", "iam:Get*",
			"iam:List*", "iam:SimulateCustomPolicy", "kms:Describe*", "kms:List*", "s3:GetBucketPolicy",
			"s3:GetBucketAcl", "s3:ListAllMyBuckets", "securityhub:Get*", "securityhub:List*"}, "*"))},
	polS3Read: {name: polS3Read, path: "/", version: "v3", created: "2015-02-06T18:40:59+00:00",
		updated: "2023-08-10T21:31:39+00:00", document: doc(allow([]string{
			"s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"}, "*"))},
	polS3Full: {name: polS3Full, path: "/", version: "v2", created: "2015-02-06T18:40:58+00:00",
		updated: "2021-09-27T20:16:37+00:00", document: doc(allow([]string{"s3:*", "s3-object-lambda:*"}, "*"))},
	polIAMFull: {name: polIAMFull, path: "/", version: "v2", created: "2015-02-06T18:40:38+00:00",
		updated: "2019-06-21T19:40:00+00:00", document: doc(allow([]string{"iam:*", "organizations:DescribeAccount",
			"organizations:DescribeOrganization", "organizations:ListRoots"}, "*"))},
	polIAMRead: {name: polIAMRead, path: "/", version: "v4", created: "2015-02-06T18:40:39+00:00",
		updated: "2018-01-25T19:11:27+00:00", document: doc(allow([]string{"iam:GenerateCredentialReport",
			"iam:GenerateServiceLastAccessedDetails", "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy",
			"iam:SimulatePrincipalPolicy"}, "*"))},
	polEC2Full: {name: polEC2Full, path: "/", version: "v5", created: "2015-02-06T18:40:15+00:00",
		updated: "2018-11-27T02:16:56+00:00", document: doc(
			allow([]string{"ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "autoscaling:*"}, "*"),
			statement{Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*",
				Condition: map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": []string{
					"autoscaling.amazonaws.com", "ec2scheduled.amazonaws.com", "elasticloadbalancing.amazonaws.com"}}}})},
	polRDSFull: {name: polRDSFull, path: "/", version: "v6", created: "2015-02-06T18:40:52+00:00",
		updated: "2019-06-21T19:41:23+00:00", document: doc(allow([]string{"rds:*", "cloudwatch:GetMetricStatistics",
			"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "sns:ListSubscriptions",
			"sns:ListTopics", "logs:DescribeLogStreams", "logs:GetLogEvents"}, "*"))},
	polDynamoFull: {name: polDynamoFull, path: "/", version: "v11", created: "2015-02-06T18:40:11+00:00",
		updated: "2019-08-01T19:35:55+00:00", document: doc(allow([]string{"dynamodb:*", "dax:*",
			"application-autoscaling:DescribeScalableTargets", "cloudwatch:GetMetricStatistics", "kms:DescribeKey",
			"kms:ListAliases"}, "*"))},
	polDynamoRead: {name: polDynamoRead, path: "/", version: "v9", created: "2015-02-06T18:40:12+00:00",
		updated: "2019-06-21T19:41:27+00:00", document: doc(allow([]string{"dynamodb:BatchGetItem",
			"dynamodb:Describe*", "dynamodb:List*", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
			"dynamodb:PartiQLSelect"}, "*"))},
	polLambdaFull: {name: polLambdaFull, path: "/", version: "v1", created: "2020-11-23T19:43:04+00:00",
		updated: "2020-11-23T19:43:04+00:00", document: doc(
			allow([]string{"lambda:*", "logs:DescribeLogGroups", "logs:GetLogEvents", "cloudformation:DescribeStacks",
				"iam:GetRole", "iam:ListRoles", "s3:ListAllMyBuckets"}, "*"),
			statement{Effect: "Allow", Action: "iam:PassRole", Resource: "*", Condition: map[string]any{
				"StringEquals": map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}}})},
	polLambdaBasic: {name: polLambdaBasic, path: "/service-role/", version: "v1", created: "2015-04-09T15:03:43+00:00",
		updated: "2015-04-09T15:03:43+00:00", document: doc(allow([]string{"logs:CreateLogGroup",
			"logs:CreateLogStream", "logs:PutLogEvents"}, "*"))},
	polAthenaFull: {name: polAthenaFull, path: "/", version: "v9", created: "2016-11-30T16:46:01+00:00",
		updated: "2023-07-27T20:37:56+00:00", document: doc(allow([]string{"athena:*", "glue:GetDatabase",
			"glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartitions", "s3:GetBucketLocation",
			"s3:GetObject", "s3:ListBucket", "s3:PutObject"}, "*"))},
	polSecretsRW: {name: polSecretsRW, path: "/", version: "v5", created: "2018-04-04T18:05:29+00:00",
		updated: "2024-03-08T19:30:58+00:00", document: doc(allow([]string{"secretsmanager:*",
			"kms:DescribeKey", "kms:ListAliases", "kms:ListKeys", "rds:DescribeDBInstances", "tag:GetResources"}, "*"))},
	polBilling: {name: polBilling, path: "/job-function/", version: "v4", created: "2016-11-10T17:33:18+00:00",
		updated: "2023-07-18T17:38:30+00:00", document: doc(allow([]string{"aws-portal:*Billing",
			"aws-portal:*PaymentMethods", "aws-portal:*Usage", "budgets:ModifyBudget", "budgets:ViewBudget",
			"ce:GetCostAndUsage", "cur:DescribeReportDefinitions", "pricing:DescribeServices"}, "*"))},
	polDBA: {name: polDBA, path: "/job-function/", version: "v3", created: "2016-11-10T17:25:43+00:00",
		updated: "2019-01-08T00:48:02+00:00", document: doc(allow([]string{"cloudwatch:GetMetricStatistics",
			"dynamodb:*", "ec2:DescribeSecurityGroups", "rds:*", "redshift:*", "s3:GetObject", "s3:ListBucket"}, "*"),
			statement{Effect: "Allow", Action: "iam:PassRole", Resource: []string{
				"arn:aws:iam::*:role/rds-monitoring-role", "arn:aws:iam::*:role/rdbms-lambda-access"}})},
	polDataScientist: {name: polDataScientist, path: "/job-function/", version: "v9", created: "2016-11-10T17:28:48+00:00",
		updated: "2023-07-24T19:00:00+00:00", document: doc(allow([]string{"athena:*", "glue:*", "sagemaker:*",
			"s3:GetObject", "s3:ListBucket", "s3:PutObject", "elasticmapreduce:*", "ec2:DescribeSubnets"}, "*"))},
	polSupportUser: {name: polSupportUser, path: "/job-function/", version: "v6", created: "2016-11-10T17:21:53+00:00",
		updated: "2023-07-19T17:00:00+00:00", document: doc(allow([]string{"support:*", "ec2:Describe*",
			"cloudwatch:Describe*", "cloudwatch:Get*", "logs:Describe*", "logs:Get*", "iam:ListUsers"}, "*"))},
	polSupportAccess: {name: polSupportAccess, path: "/", version: "v1", created: "2015-02-06T18:41:11+00:00",
		updated: "2015-02-06T18:41:11+00:00", document: doc(allow("support:*", "*"))},
	polSupportSvcRole: {name: polSupportSvcRole, path: "/aws-service-role/", version: "v9",
		created: "2018-04-19T18:04:44+00:00", updated: "2020-01-27T18:07:36+00:00",
		document: doc(allow([]string{"ec2:Describe*", "iam:GetAccountSummary", "iam:ListRoles",
			"s3:GetBucketLocation", "s3:ListAllMyBuckets"}, "*"))},
	polSSMCore: {name: polSSMCore, path: "/", version: "v2", created: "2019-03-15T17:22:12+00:00",
		updated: "2019-05-23T16:54:21+00:00", document: doc(allow([]string{"ssm:DescribeAssociation",
			"ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:UpdateInstanceInformation",
			"ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel", "ec2messages:GetMessages"}, "*"))},
	polCloudWatchRead: {name: polCloudWatchRead, path: "/", version: "v4", created: "2015-02-06T18:40:55+00:00",
		updated: "2021-07-29T20:00:00+00:00", document: doc(allow([]string{"autoscaling:Describe*",
			"cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Get*", "logs:List*",
			"logs:Describe*", "logs:FilterLogEvents", "sns:Get*", "sns:List*"}, "*"))},
	// The version before eks-auth:AssumeRoleForPodIdentity was added (the
	// clusters use IRSA, not Pod Identity); the 2020 action catalogue does
	// not know eks-auth, and the verb heuristic would rate that action admin.
	polEKSWorker: {name: polEKSWorker, path: "/", version: "v2", created: "2018-05-27T21:09:01+00:00",
		updated: "2018-05-27T21:09:01+00:00", document: doc(allow([]string{"ec2:DescribeInstances",
			"ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes",
			"ec2:DescribeVpcs", "eks:DescribeCluster"}, "*"))},
	polECRRead: {name: polECRRead, path: "/", version: "v3", created: "2015-12-21T17:06:48+00:00",
		updated: "2019-12-10T20:56:32+00:00", document: doc(allow([]string{"ecr:GetAuthorizationToken",
			"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
			"ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage"}, "*"))},
}
