package synth

// Name pools. The names are common given names and surnames; the company
// names are invented.

var firstNames = []string{
	"aaron", "abigail", "adam", "adrian", "aisha", "alan", "albert", "alex", "alice", "amara",
	"amelia", "amir", "ana", "andre", "andrew", "angela", "anna", "anthony", "arjun", "ava",
	"beatriz", "ben", "bianca", "brandon", "brian", "bruno", "caleb", "camila", "carlos", "carmen",
	"caroline", "charles", "chen", "chloe", "chris", "claire", "connor", "daniel", "david", "deepa",
	"diana", "diego", "dmitri", "elena", "eli", "elias", "elizabeth", "emily", "emma", "eric",
	"esther", "ethan", "eva", "fatima", "felix", "fernando", "fiona", "francesca", "gabriel", "george",
	"grace", "hannah", "hassan", "helen", "henry", "hiro", "ian", "ibrahim", "ingrid", "isaac",
	"isabel", "ivan", "jack", "james", "jasmine", "javier", "jean", "jennifer", "jin", "joao",
	"john", "jonas", "jordan", "jose", "joseph", "julia", "julian", "kai", "karen", "kate",
	"kenji", "kevin", "kim", "laila", "lars", "laura", "leah", "leo", "lina", "lucas",
	"lucia", "luis", "maya", "marco", "maria", "mark", "martin", "mateo", "mei", "michael",
	"miguel", "mina", "mohammed", "nadia", "naomi", "nathan", "nikhil", "nina", "noah", "nora",
	"olga", "oliver", "omar", "oscar", "pablo", "paul", "pedro", "peter", "priya", "rachel",
	"rafael", "rahul", "ravi", "rebecca", "ricardo", "robert", "rosa", "ryan", "samuel", "sara",
	"sean", "sergei", "simon", "sofia", "sophie", "stefan", "susan", "takeshi", "tanya", "thomas",
	"tim", "tomas", "valentina", "victor", "wei", "william", "xavier", "yara", "yusuf", "zoe",
}

var lastNames = []string{
	"abbott", "adams", "ahmed", "alvarez", "anderson", "bailey", "baker", "banerjee", "barnes", "becker",
	"bell", "bennett", "berg", "brooks", "brown", "campbell", "carter", "castro", "chang", "chen",
	"clark", "collins", "cook", "cooper", "costa", "cruz", "davies", "davis", "diaz", "dubois",
	"edwards", "evans", "fischer", "fisher", "flores", "foster", "garcia", "gomez", "gonzalez", "gray",
	"green", "gupta", "hall", "hansen", "harris", "hayes", "hernandez", "hill", "hoffmann", "howard",
	"hughes", "ito", "jackson", "jensen", "johnson", "jones", "kang", "kelly", "khan", "kim",
	"king", "klein", "kowalski", "kumar", "larsen", "lee", "lewis", "li", "lin", "lopez",
	"martin", "martinez", "meyer", "miller", "mitchell", "moore", "morales", "morgan", "muller", "murphy",
	"nakamura", "nelson", "nguyen", "novak", "okafor", "olsen", "ortiz", "park", "patel", "perez",
	"peterson", "phillips", "price", "ramirez", "reed", "reyes", "richter", "rivera", "roberts", "robinson",
	"rodriguez", "rossi", "russo", "sanchez", "santos", "sato", "schmidt", "schneider", "scott", "shah",
	"silva", "singh", "smith", "sousa", "stewart", "suzuki", "tanaka", "taylor", "thomas", "thompson",
	"torres", "turner", "wagner", "walker", "wang", "ward", "watson", "weber", "white", "williams",
	"wilson", "wong", "wright", "wu", "yamamoto", "yang", "young", "zhang", "zhao", "zimmermann",
}

// companies are invented company names; the domain uses the reserved
// .example top-level domain so no generated address is real.
var companies = []struct{ Name, Slug string }{
	{"Halcyon Freight", "halcyon"},
	{"Brightwater Labs", "brightwater"},
	{"Copperleaf Systems", "copperleaf"},
	{"Northgate Analytics", "northgate"},
	{"Larkspur Payments", "larkspur"},
	{"Quillon Health", "quillon"},
	{"Tidewell Logistics", "tidewell"},
	{"Ambervale Software", "ambervale"},
}

// Department names, in a fixed order (the index is used as an ID).
var departments = []string{"engineering", "sales", "support", "finance", "security", "data", "hr", "it"}

// deptWeight is the share of people per department, in percent.
var deptWeight = []int{38, 16, 12, 7, 5, 9, 5, 8}

// deptTitle is the capitalised department name used in role names.
var deptTitle = []string{"Engineering", "Sales", "Support", "Finance", "Security", "Data", "HR", "IT"}

// teamNames gives team name stems per department; more teams than stems get
// a numeric suffix.
var teamNames = [][]string{
	{"platform", "payments", "search", "mobile", "web", "infra", "identity", "billing", "checkout",
		"catalog", "messaging", "growth", "api", "edge", "storage", "observability", "release", "devex"},
	{"enterprise", "smb", "emea", "apac", "americas", "renewals", "solutions", "partners"},
	{"tier1", "tier2", "escalations", "onboarding", "success", "docs"},
	{"accounting", "fpa", "payroll", "procurement", "tax", "treasury"},
	{"secops", "appsec", "grc", "detection", "iam-eng"},
	{"analytics", "ml", "warehouse", "pipelines", "bi", "research"},
	{"people-ops", "recruiting", "benefits", "learning"},
	{"helpdesk", "endpoint", "corpnet", "saas-admin", "identity-ops"},
}

// appStems are service name stems; services get "<stem>-<team>" or a numeric suffix.
var appStems = []string{
	"api", "worker", "gateway", "scheduler", "indexer", "ingest", "notifier", "exporter",
	"router", "ledger", "sync", "auth", "cache", "renderer", "batch", "webhooks",
}

// agentStems name AI agents that act for a person.
var agentStems = []string{
	"copilot", "triage", "research", "summarizer", "coder", "reviewer", "ops", "assistant",
}

var regions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}

var keyServices = []string{"s3", "sts", "ec2", "dynamodb", "iam", "lambda", "sqs", "secretsmanager", "ecr", "logs"}
