package ad

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/ingest/jsonerr"
)

// Options configures ParseExport.
type Options struct {
	// Domain is the collected domain (e.g. "PHANTOM.CORP"); the batch
	// source is "ad:<Domain>". When empty it is taken from the domains file,
	// or else from the objects' domain property.
	Domain string
	// Logger receives warnings (count mismatches, duplicates); default slog.Default().
	Logger *slog.Logger
}

// File is one named input: a SharpHound JSON file.
type File struct {
	// Name identifies the input in error messages (usually its path).
	Name string
	// R yields the content.
	R io.Reader
}

// Trust is one domain trust read from the domains file.
type Trust struct {
	Domain, TargetDomain, TargetSID string
	Direction, Type                 string
	Transitive, SIDFiltering        bool
}

// Report says what was read, what disagreed and what was assumed.
type Report struct {
	// Objects counts the objects ingested, by collection type.
	Objects map[string]int
	// CountMismatches lists files whose meta.count differs from the number
	// of objects in data: "<file>: meta.count 49, data has 53".
	CountMismatches []string
	// Duplicates lists objects that appear twice (merged):
	// "<type> <object id> (<name>, <name>)".
	Duplicates []string
	// Stubs counts stub nodes by domain (principals, containers and domains
	// referenced but not in the input).
	Stubs map[string]int
	// Trusts lists the domain trusts.
	Trusts []Trust
	// UnknownRights counts ACE right names outside the documented table;
	// each was kept as an ESCALATES edge.
	UnknownRights map[string]int
	// Ignored lists what carries no edge, e.g. a local group of a member
	// server other than Administrators, RDP, DCOM or Remote Management
	// users, or a user right other than SeRemoteInteractiveLogonRight.
	Ignored []string
	// SkippedTypes counts objects of collection types this connector does
	// not map (ADCS: certtemplates, enterprisecas, rootcas, aiacas,
	// ntauthstores, issuancepolicies).
	SkippedTypes map[string]int
}

func newReport() *Report {
	return &Report{Objects: map[string]int{}, Stubs: map[string]int{}, UnknownRights: map[string]int{},
		SkippedTypes: map[string]int{}}
}

// typed is an object reference with its type.
type typed struct {
	ObjectIdentifier string `json:"ObjectIdentifier"`
	ObjectType       string `json:"ObjectType"`
}

type ace struct {
	PrincipalSID  string `json:"PrincipalSID"`
	PrincipalType string `json:"PrincipalType"`
	RightName     string `json:"RightName"`
	IsInherited   bool   `json:"IsInherited"`
}

type session struct {
	UserSID     string `json:"UserSID"`
	ComputerSID string `json:"ComputerSID"`
}

type sessionResult struct {
	Results   []session `json:"Results"`
	Collected bool      `json:"Collected"`
}

type localGroup struct {
	ObjectIdentifier string  `json:"ObjectIdentifier"`
	Name             string  `json:"Name"`
	Results          []typed `json:"Results"`
	Collected        bool    `json:"Collected"`
}

type userRight struct {
	Privilege string  `json:"Privilege"`
	Results   []typed `json:"Results"`
	Collected bool    `json:"Collected"`
}

type gpoChanges struct {
	LocalAdmins        []typed `json:"LocalAdmins"`
	RemoteDesktopUsers []typed `json:"RemoteDesktopUsers"`
	DcomUsers          []typed `json:"DcomUsers"`
	PSRemoteUsers      []typed `json:"PSRemoteUsers"`
	AffectedComputers  []typed `json:"AffectedComputers"`
}

type link struct {
	GUID       string `json:"GUID"`
	IsEnforced bool   `json:"IsEnforced"`
}

type spnTarget struct {
	ComputerSID string `json:"ComputerSID"`
	Port        int    `json:"Port"`
	Service     string `json:"Service"`
}

type trust struct {
	TargetDomainSid     string `json:"TargetDomainSid"`
	TargetDomainName    string `json:"TargetDomainName"`
	IsTransitive        bool   `json:"IsTransitive"`
	SidFilteringEnabled bool   `json:"SidFilteringEnabled"`
	TrustDirection      any    `json:"TrustDirection"`
	TrustType           any    `json:"TrustType"`
}

// object is one entry of a SharpHound file's data array: the union of the
// fields of every collection type this connector maps.
type object struct {
	ObjectIdentifier  string         `json:"ObjectIdentifier"`
	Properties        map[string]any `json:"Properties"`
	Aces              []ace          `json:"Aces"`
	ContainedBy       *typed         `json:"ContainedBy"`
	ChildObjects      []typed        `json:"ChildObjects"`
	Members           []typed        `json:"Members"`
	PrimaryGroupSID   string         `json:"PrimaryGroupSID"`
	AllowedToDelegate []typed        `json:"AllowedToDelegate"`
	AllowedToAct      []typed        `json:"AllowedToAct"`
	HasSIDHistory     []typed        `json:"HasSIDHistory"`
	DumpSMSAPassword  []typed        `json:"DumpSMSAPassword"`
	SPNTargets        []spnTarget    `json:"SPNTargets"`
	Sessions          *sessionResult `json:"Sessions"`
	PrivilegedSession *sessionResult `json:"PrivilegedSessions"`
	RegistrySessions  *sessionResult `json:"RegistrySessions"`
	LocalGroups       []localGroup   `json:"LocalGroups"`
	UserRights        []userRight    `json:"UserRights"`
	IsDC              bool           `json:"IsDC"`
	Links             []link         `json:"Links"`
	GPOChanges        *gpoChanges    `json:"GPOChanges"`
	Trusts            []trust        `json:"Trusts"`

	typ    string // collection type: "users", "groups", ...
	at     string // "<file>: data[i]", for messages
	domain string // upper-case domain name
}

// collection is a SharpHound file: {"data":[...],"meta":{...}}.
type collection struct {
	Data []json.RawMessage `json:"data"`
	Meta *struct {
		Type    string `json:"type"`
		Count   *int   `json:"count"`
		Version int    `json:"version"`
	} `json:"meta"`
}

// mapped are the collection types turned into graph elements.
var mapped = map[string]bool{"users": true, "groups": true, "computers": true, "domains": true,
	"ous": true, "gpos": true, "containers": true}

// skipped are the collection types read and counted but not mapped.
var skipped = map[string]bool{"certtemplates": true, "enterprisecas": true, "rootcas": true,
	"aiacas": true, "ntauthstores": true, "issuancepolicies": true}

// ParseExport reads SharpHound / BloodHound CE collector files (JSON, or
// the zip SharpHound writes) of one domain and returns its batch. Every file
// is read and validated first; on error no batch is returned.
func ParseExport(opt Options, paths ...string) (*graph.Batch, error) {
	b, _, err := ParseExportWithReport(opt, paths...)
	return b, err
}

// ParseExportWithReport is ParseExport that also returns a Report.
func ParseExportWithReport(opt Options, paths ...string) (*graph.Batch, *Report, error) {
	var files []File
	for _, p := range paths {
		if strings.EqualFold(filepath.Ext(p), ".zip") {
			fs, err := zipFiles(p)
			if err != nil {
				return nil, nil, fmt.Errorf("ad: %s: %w", p, err)
			}
			files = append(files, fs...)
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, fmt.Errorf("ad: %w", err)
		}
		defer f.Close()
		files = append(files, File{Name: p, R: f})
	}
	return Parse(opt, files...)
}

// zipFiles returns the JSON members of a SharpHound zip.
func zipFiles(path string) ([]File, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("open zip: %w", err)
	}
	defer zr.Close()
	var out []File
	for _, zf := range zr.File {
		if !strings.EqualFold(filepath.Ext(zf.Name), ".json") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("zip member %s: %w", zf.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, 4<<30))
		_ = rc.Close() // read-only member: ReadAll already reported any error
		if err != nil {
			return nil, fmt.Errorf("zip member %s: %w", zf.Name, err)
		}
		out = append(out, File{Name: path + "!" + zf.Name, R: strings.NewReader(string(data))})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("zip holds no .json file")
	}
	return out, nil
}

// Parse reads SharpHound files of one domain and returns its batch and a
// Report. On error no batch is returned.
func Parse(opt Options, files ...File) (*graph.Batch, *Report, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("ad: no input files")
	}
	rep := newReport()
	var objs []*object
	for _, f := range files {
		got, err := readFile(f, rep, opt.Logger)
		if err != nil {
			return nil, nil, fmt.Errorf("ad: %w", err)
		}
		objs = append(objs, got...)
	}
	domain, err := pickDomain(opt.Domain, objs)
	if err != nil {
		return nil, nil, fmt.Errorf("ad: %w", err)
	}
	b, err := build(domain, objs, rep, opt.Logger)
	if err != nil {
		return nil, nil, fmt.Errorf("ad: %w", err)
	}
	return b, rep, nil
}

// notSharpHound says what a collection file looks like, for a file of
// another kind.
const notSharpHound = `this is not a SharpHound v5/v6 collection file ` +
	`({"data":[...],"meta":{"type":"users","count":N,"version":6}}, one per object type, ` +
	`as SharpHound for BloodHound CE writes them)`

// readFile decodes and validates one collection file.
func readFile(f File, rep *Report, log *slog.Logger) ([]*object, error) {
	data, err := io.ReadAll(f.R)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	var c collection
	if err := json.Unmarshal(data, &c); err != nil {
		if jsonerr.IsSyntax(err) {
			return nil, fmt.Errorf("%s: %w", f.Name, jsonerr.Explain(data, err))
		}
		return nil, fmt.Errorf("%s: %w: %s", f.Name, jsonerr.Explain(data, err), notSharpHound)
	}
	if c.Meta == nil {
		return nil, fmt.Errorf("%s: meta: missing: %s", f.Name, notSharpHound)
	}
	typ := strings.ToLower(c.Meta.Type)
	if typ == "" {
		return nil, fmt.Errorf("%s: meta.type: missing: %s", f.Name, notSharpHound)
	}
	if !mapped[typ] && !skipped[typ] {
		return nil, fmt.Errorf("%s: meta.type: unknown collection type %q (want one of %s)", f.Name, c.Meta.Type,
			strings.Join(slices.Sorted(maps.Keys(mapped)), ", "))
	}
	if c.Meta.Version < 5 {
		return nil, fmt.Errorf("%s: meta.version: %d is the legacy BloodHound format; want 5 or 6 (SharpHound for BloodHound CE)",
			f.Name, c.Meta.Version)
	}
	if c.Data == nil {
		return nil, fmt.Errorf("%s: data: missing", f.Name)
	}
	if c.Meta.Count != nil && *c.Meta.Count != len(c.Data) {
		msg := fmt.Sprintf("%s: meta.count %d, data has %d", f.Name, *c.Meta.Count, len(c.Data))
		rep.CountMismatches = append(rep.CountMismatches, msg)
		log.Warn("ad: meta.count disagrees with the data; using the data", "file", f.Name,
			"meta_count", *c.Meta.Count, "objects", len(c.Data))
	}
	if skipped[typ] {
		rep.SkippedTypes[typ] += len(c.Data)
		return nil, nil
	}
	out := make([]*object, 0, len(c.Data))
	for i, raw := range c.Data {
		at := fmt.Sprintf("%s: data[%d]", f.Name, i)
		var o object
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, jsonerr.Element(at, err)
		}
		o.typ, o.at = typ, at
		if err := o.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		out = append(out, &o)
	}
	return out, nil
}

// validate checks the references an object carries.
func (o *object) validate() error {
	if strings.TrimSpace(o.ObjectIdentifier) == "" {
		return fmt.Errorf("ObjectIdentifier: missing")
	}
	d, _ := o.Properties["domain"].(string)
	if d == "" {
		return errors.New("Properties.domain: missing (every SharpHound object names its domain)") //nolint:staticcheck // starts with the JSON path
	}
	o.domain = strings.ToUpper(d)
	for i, a := range o.Aces {
		if a.PrincipalSID == "" {
			return fmt.Errorf("Aces[%d].PrincipalSID: missing", i)
		}
		if a.RightName == "" {
			return fmt.Errorf("Aces[%d].RightName: missing", i)
		}
	}
	lists := map[string][]typed{"Members": o.Members, "ChildObjects": o.ChildObjects,
		"AllowedToDelegate": o.AllowedToDelegate, "AllowedToAct": o.AllowedToAct,
		"HasSIDHistory": o.HasSIDHistory, "DumpSMSAPassword": o.DumpSMSAPassword}
	if g := o.GPOChanges; g != nil {
		lists["GPOChanges.LocalAdmins"] = g.LocalAdmins
		lists["GPOChanges.RemoteDesktopUsers"] = g.RemoteDesktopUsers
		lists["GPOChanges.DcomUsers"] = g.DcomUsers
		lists["GPOChanges.PSRemoteUsers"] = g.PSRemoteUsers
		lists["GPOChanges.AffectedComputers"] = g.AffectedComputers
	}
	for i, lg := range o.LocalGroups {
		if lg.ObjectIdentifier == "" {
			return fmt.Errorf("LocalGroups[%d].ObjectIdentifier: missing", i)
		}
		lists[fmt.Sprintf("LocalGroups[%d].Results", i)] = lg.Results
	}
	for i, ur := range o.UserRights {
		lists[fmt.Sprintf("UserRights[%d].Results", i)] = ur.Results
	}
	for _, name := range slices.Sorted(maps.Keys(lists)) {
		for i, t := range lists[name] {
			if strings.TrimSpace(t.ObjectIdentifier) == "" {
				return fmt.Errorf("%s[%d].ObjectIdentifier: missing", name, i)
			}
		}
	}
	for name, s := range map[string]*sessionResult{"Sessions": o.Sessions,
		"PrivilegedSessions": o.PrivilegedSession, "RegistrySessions": o.RegistrySessions} {
		if s == nil {
			continue
		}
		for i, r := range s.Results {
			if r.UserSID == "" || r.ComputerSID == "" {
				return fmt.Errorf("%s.Results[%d]: want UserSID and ComputerSID", name, i)
			}
		}
	}
	for i, l := range o.Links {
		if l.GUID == "" {
			return fmt.Errorf("Links[%d].GUID: missing", i)
		}
	}
	for i, t := range o.Trusts {
		if t.TargetDomainName == "" {
			return fmt.Errorf("Trusts[%d].TargetDomainName: missing", i)
		}
	}
	for i, t := range o.SPNTargets {
		if t.ComputerSID == "" {
			return fmt.Errorf("SPNTargets[%d].ComputerSID: missing", i)
		}
	}
	return nil
}

// pickDomain returns the batch's domain: the option, else the domains
// file's, else the objects' single domain. Objects of another domain are an
// error: each domain is its own source.
func pickDomain(want string, objs []*object) (string, error) {
	want = strings.ToUpper(strings.TrimSpace(want))
	if want == "" {
		for _, o := range objs {
			if o.typ == "domains" {
				want = o.domain
				break
			}
		}
	}
	if want == "" && len(objs) > 0 {
		want = objs[0].domain
	}
	if want == "" {
		return "", fmt.Errorf("no objects and no domain given")
	}
	if strings.ContainsAny(want, ": ") {
		return "", fmt.Errorf("domain %q: want a DNS name", want)
	}
	for _, o := range objs {
		if o.domain != want {
			return "", fmt.Errorf("%s: object of domain %s in a collection of %s: ingest each domain's files separately",
				o.at, o.domain, want)
		}
	}
	return want, nil
}
