// Package hr reads an HR roster CSV: one row per person with an employee id,
// an email and an employment status. HR is the authority on who works here:
// its records carry the keys identity resolution links every other account
// by, and a terminated status marks the person offboarded, so accounts that
// outlive their owner stand out.
//
// The header names the columns (any order, case-insensitive); employee_id
// and email are required, and status, first_name, last_name, department,
// team, title, manager_email, hire_date and termination_date are read when
// present. Other columns are kept as props.
package hr

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strings"

	"github.com/accessgraph/accessgraph/graph"
)

// Options names the roster.
type Options struct {
	// Name names the sync source "hr:<Name>" (default "roster").
	Name string
}

// Subkind is the subkind of an HR record's account node.
const Subkind = "hr-record"

// ParseFile reads the roster at path.
func ParseFile(opt Options, path string) (*graph.Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(opt, path, f)
}

// Parse reads a roster from r; name is used in errors.
func Parse(opt Options, name string, r io.Reader) (*graph.Batch, error) {
	if opt.Name == "" {
		opt.Name = "roster"
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file: expected a header with employee_id and email", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, req := range []string{"employee_id", "email"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("%s: header %q lacks column %s: expected an HR roster with employee_id and email",
				name, strings.Join(header, ","), req)
		}
	}
	b := graph.NewBatch("hr:" + opt.Name)
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: %d fields, the header has %d", name, line, len(rec), len(header))
		}
		get := func(k string) string {
			if i, ok := col[k]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		id, email := get("employee_id"), strings.ToLower(get("email"))
		if id == "" {
			return nil, fmt.Errorf("%s:%d: empty employee_id", name, line)
		}
		if _, err := mail.ParseAddress(email); err != nil {
			return nil, fmt.Errorf("%s:%d: email %q: %w", name, line, email, err)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s:%d: employee_id %s also on line %d", name, line, id, prev)
		}
		seen[id] = line
		props := map[string]string{graph.PropEmployeeID: id, graph.PropEmail: email,
			graph.PropStatus: status(get("status"))}
		for i, h := range header {
			k := strings.ToLower(strings.TrimSpace(h))
			if !slices.Contains([]string{"employee_id", "email", "status"}, k) && rec[i] != "" {
				props[k] = strings.TrimSpace(rec[i])
			}
		}
		display := strings.TrimSpace(get("first_name") + " " + get("last_name"))
		if display != "" {
			props[graph.PropDisplayName] = display
		}
		b.AddNode(graph.Node{ID: "hr:" + opt.Name + ":" + id, Kind: graph.KindAccount, Subkind: Subkind,
			Name: orElse(display, email), Props: props})
	}
	return b, nil
}

// status normalises an HR status: terminated, inactive and the like become
// "offboarded"; leave becomes "suspended"; anything else "active".
func status(s string) string {
	switch strings.ToLower(s) {
	case "terminated", "inactive", "offboarded", "former", "separated":
		return "offboarded"
	case "leave", "on leave", "suspended":
		return "suspended"
	}
	return "active"
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
