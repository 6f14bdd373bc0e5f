package risk

import "testing"

func TestReadsPaths(t *testing.T) {
	for src, want := range map[string]bool{
		"item.kind == 'grant' && item.privilege_tier >= 2":      false,
		"item.credentials.exists(c, c.active)":                  false,
		"size(item.access_path) > 0":                            true,
		"item . admin_path != []":                               true,
		"item['access_path'] != []":                             true,
		"'x' in item":                                           true,
		"item.accounts.exists(item, item.startsWith('arn:'))":   true,
		"item.kind == 'role' && params.min_peers > 2":           false,
		"item.escalates_to_admin && item.kind != 'role'":        false,
		"item.via.exists(v, v.matches(params.admin_policy_re))": false,
	} {
		if got := readsPaths(src); got != want {
			t.Errorf("readsPaths(%q) = %v, want %v", src, got, want)
		}
	}
}
