package aws

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/accessgraph/accessgraph/graph"
)

// credReportRequired are the credential report columns this package needs.
var credReportRequired = []string{
	"user", "arn", "user_creation_time", "password_enabled", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_2_active", "access_key_2_last_rotated",
}

// rootUserName is the user column of the root user's row.
const rootUserName = "<root_account>"

// credRow is one row of a credential report, by column name.
type credRow struct {
	line   int
	fields map[string]string
}

func (r credRow) get(col string) string { return r.fields[col] }

// ParseCredentialReport reads an IAM credential report CSV (the decoded
// Content of `aws iam get-credential-report`) and returns a batch with source
// "aws:<account id>:credential-report", a sync source of its own so that its
// runs never sweep what ParseAuthorizationDetails reported.
//
// Every access key that exists (active, or with a last-rotated date) becomes
// a credential node "<user arn>#access_key_N" owned by the user (OWNS); an
// active key also AUTHENTICATES as the user. Console passwords
// ("<user arn>#password") and X.509 signing certificates ("<user arn>#cert_N")
// are handled the same way. Users appear as stub nodes: the GAAD source owns
// them. The root user's row (<root_account>) maps to the account's root node.
func ParseCredentialReport(name string, r io.Reader, opt Options) (*graph.Batch, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	rows, err := readCredReport(name, data)
	if err != nil {
		return nil, err
	}
	acct := ""
	for _, row := range rows {
		a := arnAccount(row.get("arn"))
		if !isAccountID(a) {
			return nil, fmt.Errorf("%s: line %d: arn %q: expected an IAM ARN with a 12-digit account id",
				name, row.line, row.get("arn"))
		}
		if acct != "" && a != acct {
			return nil, fmt.Errorf("%s: line %d: account %s differs from %s on earlier rows: expected one account per report",
				name, row.line, a, acct)
		}
		acct = a
	}
	if acct == "" {
		return nil, fmt.Errorf("%s: the credential report has no rows", name)
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	b := graph.NewBatch("aws:" + acct + ":credential-report")
	for _, row := range rows {
		if err := addCredRow(b, row, now); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

func readCredReport(name string, data []byte) ([]credRow, error) {
	expect := "expected the IAM credential report CSV (aws iam get-credential-report) with header " +
		"user,arn,user_creation_time,password_enabled,..."
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s: empty file: %s", name, expect)
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		return nil, fmt.Errorf("%s: this is JSON, not CSV: %s", name, expect)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	var missing []string
	for _, c := range credReportRequired {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: header: missing columns %s: %s", name, strings.Join(missing, ", "), expect)
	}
	var rows []credRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row := credRow{line: line, fields: map[string]string{}}
		for c, i := range col {
			row.fields[c] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// reportBool parses a credential report boolean. "not_supported" (the root
// user's password_enabled) reads as false.
func reportBool(row credRow, col string) (bool, error) {
	switch v := row.get(col); v {
	case "true":
		return true, nil
	case "false", "not_supported", "":
		return false, nil
	default:
		return false, fmt.Errorf("line %d (user %s): %s %q: expected true or false", row.line, row.get("user"), col, v)
	}
}

// reportTime parses a credential report timestamp; N/A, no_information and
// not_supported read as absent.
func reportTime(row credRow, col string) (time.Time, bool, error) {
	v := row.get(col)
	switch v {
	case "", "N/A", "no_information", "not_supported":
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("line %d (user %s): %s %q: expected an RFC 3339 time, N/A or no_information",
			row.line, row.get("user"), col, v)
	}
	return t, true, nil
}

func addCredRow(b *graph.Batch, row credRow, now time.Time) error {
	user, arn := row.get("user"), row.get("arn")
	if user == "" || arn == "" {
		return fmt.Errorf("line %d: empty user or arn", row.line)
	}
	if _, _, err := reportTime(row, "user_creation_time"); err != nil {
		return err
	}
	mfa, err := reportBool(row, "mfa_active")
	if err != nil {
		return err
	}
	owner := graph.Node{ID: arn, Kind: graph.KindAccount, Subkind: SubkindUser, Name: user,
		Props: map[string]string{graph.PropStub: "true"}}
	if user == rootUserName {
		owner.Subkind = SubkindAccount
		owner.Name = "AWS account " + arnAccount(arn) + " (root user)"
	}
	b.AddNode(owner)

	type cred struct {
		suffix, subkind, name string
		activeCol, rotatedCol string
		extra                 map[string]string // prop -> column
	}
	creds := []cred{
		{"password", SubkindPassword, user + " console password", "password_enabled", "password_last_changed",
			map[string]string{"last_used": "password_last_used", "next_rotation": "password_next_rotation"}},
	}
	for _, n := range []string{"1", "2"} {
		creds = append(creds,
			cred{"access_key_" + n, SubkindAccessKey, user + " access key " + n,
				"access_key_" + n + "_active", "access_key_" + n + "_last_rotated",
				map[string]string{
					"last_used_date":    "access_key_" + n + "_last_used_date",
					"last_used_region":  "access_key_" + n + "_last_used_region",
					"last_used_service": "access_key_" + n + "_last_used_service",
				}},
			cred{"cert_" + n, SubkindSigningKey, user + " signing certificate " + n,
				"cert_" + n + "_active", "cert_" + n + "_last_rotated", nil})
	}
	for _, c := range creds {
		if _, ok := row.fields[c.activeCol]; !ok {
			continue // optional columns (certificates) may be absent
		}
		active, err := reportBool(row, c.activeCol)
		if err != nil {
			return err
		}
		rotated, hasRotated, err := reportTime(row, c.rotatedCol)
		if err != nil {
			return err
		}
		if c.suffix == "password" && !active {
			continue // a disabled password no longer exists
		}
		if !active && !hasRotated {
			continue
		}
		props := map[string]string{"active": strconv.FormatBool(active), "mfa_active": strconv.FormatBool(mfa)}
		if hasRotated {
			props["last_rotated"] = rotated.UTC().Format(time.RFC3339)
			props["age_days"] = strconv.Itoa(int(now.Sub(rotated).Hours() / 24))
		}
		for p, colName := range c.extra {
			v, ok := row.fields[colName]
			if !ok || v == "N/A" || v == "no_information" || v == "not_supported" || v == "" {
				continue
			}
			if strings.Contains(colName, "_date") || strings.HasSuffix(colName, "_used") || strings.HasSuffix(colName, "_rotation") {
				if _, _, err := reportTime(row, colName); err != nil {
					return err
				}
			}
			props[p] = v
		}
		id := arn + "#" + c.suffix
		b.AddNode(graph.Node{ID: id, Kind: graph.KindCredential, Subkind: c.subkind, Name: c.name, Props: props})
		b.AddEdge(graph.Edge{From: arn, To: id, Kind: graph.EdgeOwns})
		if active {
			b.AddEdge(graph.Edge{From: id, To: arn, Kind: graph.EdgeAuthenticates, Via: []string{"credential report"}})
		}
	}
	return nil
}
