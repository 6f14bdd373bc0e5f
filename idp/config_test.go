package idp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	base := func() Config {
		return Config{Issuer: "https://idp.example.org", DataDir: "/tmp/x",
			Clients: []ClientConfig{{ID: "web", SecretEnv: "WEB_SECRET", RedirectURIs: []string{"https://app.example.org/cb"},
				GrantTypes: []string{GrantAuthorizationCode}}},
			Users: []UserConfig{{Subject: "u1", Username: "alice"}}}
	}
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"ok", func(*Config) {}, ""},
		{"http issuer", func(c *Config) { c.Issuer = "http://idp.example.org" }, "issuer: \"http://idp.example.org\" must use https"},
		{"http issuer insecure", func(c *Config) { c.Issuer, c.Insecure = "http://127.0.0.1:1", true }, ""},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "dataDir: required"},
		{"relative redirect", func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, "clients[0].redirectURIs[0]: \"/cb\" must be an absolute URL"},
		{"unknown grant", func(c *Config) { c.Clients[0].GrantTypes = []string{"implicit"} }, "clients[0].grantTypes[0]: unknown grant type \"implicit\""},
		{"public with secret", func(c *Config) { c.Clients[0].Public = true }, "clients[0].public: a public client must not have a secret"},
		{"public without PKCE", func(c *Config) {
			c.Clients[0].Public, c.Clients[0].SecretEnv, c.Clients[0].AllowMissingPKCE = true, "", true
		}, "clients[0].allowMissingPKCE: PKCE is required for public clients"},
		{"confidential without secret", func(c *Config) { c.Clients[0].SecretEnv = "" }, "clients[0].secretEnv: a confidential client needs secretEnv or secretFile"},
		{"duplicate client", func(c *Config) { c.Clients = append(c.Clients, c.Clients[0]) }, "clients[1].id: duplicate \"web\""},
		{"bad status", func(c *Config) { c.Users[0].Status = "gone" }, "users[0].status: \"gone\" is not active, suspended or offboarded"},
		{"bad hash", func(c *Config) { c.Users[0].PasswordHash = "plain" }, "users[0].passwordHash: not a bcrypt hash"},
		{"duplicate username", func(c *Config) {
			c.Users = append(c.Users, UserConfig{Subject: "u2", Username: "alice"})
		}, "users[1].username: duplicate \"alice\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestSecretsFromEnvAndFile(t *testing.T) {
	t.Setenv("IDP_TEST_SECRET", "from-env-0123456789abcdef")
	v, err := readSecret("secret", "", "IDP_TEST_SECRET", "")
	require.NoError(t, err)
	require.Equal(t, "from-env-0123456789abcdef", v)
	_, err = readSecret("secret", "", "IDP_TEST_UNSET_SECRET", "")
	require.EqualError(t, err, "secretEnv: environment variable IDP_TEST_UNSET_SECRET is not set")
	_, err = readSecret("password", "", "", "/nonexistent/pw")
	require.ErrorContains(t, err, "passwordFile: open /nonexistent/pw")
}
