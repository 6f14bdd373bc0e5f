package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
)

// hrHeader is the header of hr/people.csv.
var hrHeader = []string{"employee_id", "email", "first_name", "last_name", "department", "team", "title",
	"manager_email", "status", "hire_date", "termination_date"}

var memberTitles = []string{"Software Engineer", "Account Executive", "Support Specialist", "Accountant",
	"Security Engineer", "Data Scientist", "HR Partner", "IT Administrator"}

func (c *company) title(i int32) string {
	p := &c.people[i]
	switch p.level {
	case 0:
		return "Chief Executive Officer"
	case 1:
		return "VP, " + deptTitle[p.dept]
	case 2:
		return "Director, " + deptTitle[p.dept]
	case 3:
		return deptTitle[p.dept] + " Manager"
	}
	return memberTitles[p.dept]
}

// capitalize upper-cases the first letter of an ASCII name.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// writeHR writes the roster, one row per person, and counts people.
func (c *company) writeHR(dir string, counts *Counts) (string, error) {
	const path = "hr/people.csv"
	f, err := os.Create(dir + "/" + path)
	if err != nil {
		return "", fmt.Errorf("create hr roster: %w", err)
	}
	defer f.Close()
	b := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(b)
	if err := w.Write(hrHeader); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	for i := range c.people {
		pi := int32(i)
		p := &c.people[i]
		teamName, mgr, status, term := "", "", statusActive, ""
		if p.team >= 0 {
			teamName = c.teams[p.team].name
		}
		if p.manager >= 0 {
			mgr = c.email(p.manager)
		}
		if p.offboarded {
			status = statusOffboarded
			term = c.daysAgo(p.termDays, 0).Format("2006-01-02")
			counts.OffboardedPeople++
		}
		counts.People++
		if err := w.Write([]string{"E" + strconv.Itoa(100000+i), c.email(pi), capitalize(firstNames[p.first]),
			capitalize(lastNames[p.last]), departments[p.dept], teamName, c.title(pi), mgr, status,
			c.daysAgo(p.hireDays, 0).Format("2006-01-02"), term}); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := b.Flush(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", path, err)
	}
	return path, nil
}
