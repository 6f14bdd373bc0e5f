package idp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/crypto/bcrypt"
)

// Provider is accessgraph's OpenID provider.
type Provider struct {
	cfg        Config
	issuer     string
	issuerPath string
	source     string
	secure     bool
	log        *slog.Logger
	st         *storage
	srv        *server
	handler    http.Handler
	csrfKey    [32]byte
	httpClient *http.Client

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New validates cfg, opens (or creates) the store in cfg.DataDir, seeds the
// configured clients and users, and builds the provider.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("idp config: %w", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	u, _ := url.Parse(cfg.Issuer)
	p := &Provider{
		cfg: cfg, issuer: cfg.Issuer, issuerPath: u.Path, source: sourceFor(cfg.Issuer),
		secure: u.Scheme == "https", log: logger.With("component", "idp"),
		httpClient: &http.Client{Timeout: cfg.BackchannelTimeout.or(5 * time.Second)},
		stop:       make(chan struct{}),
	}
	s, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("idp: %w", err)
	}
	if err := p.init(s); err != nil {
		_ = s.close()
		return nil, fmt.Errorf("idp: %w", err)
	}
	p.wg.Add(1)
	go p.sweepLoop()
	p.log.InfoContext(ctx, "identity provider ready", "issuer", p.issuer, "clients", len(cfg.Clients),
		"users", len(cfg.Users), "data_dir", cfg.DataDir)
	return p, nil
}

func (p *Provider) init(s *store) error {
	keys, err := newKeyManager(s, p.cfg.KeyRotation.or(720*time.Hour), p.cfg.KeyRetention.or(24*time.Hour))
	if err != nil {
		return err
	}
	p.st = &storage{s: s, cfg: &p.cfg, issuer: p.issuer, keys: keys, log: p.log}
	if err := p.seed(); err != nil {
		return err
	}
	if _, err := rand.Read(p.csrfKey[:]); err != nil {
		return fmt.Errorf("csrf key: %w", err)
	}
	cryptoKey, err := s.cryptoKey()
	if err != nil {
		return err
	}
	opCfg := &op.Config{
		CryptoKey:                         cryptoKey,
		CryptoKeyId:                       "k1",
		DefaultLogoutRedirectURI:          p.path(loggedOutPath),
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		GrantTypeRefreshToken:             true,
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
	}
	var opts []op.Option
	if p.cfg.Insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	// Only the authenticated AES-256-GCM sealing: the library's default
	// also accepts a legacy unauthenticated AES format when decrypting.
	opts = append(opts, op.WithLogger(p.log), op.WithCrypto(op.NewAES256GCMCrypto(cryptoKey, "k1")))
	provider, err := op.NewProvider(opCfg, p.st, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return fmt.Errorf("oidc provider: %w", err)
	}
	p.st.crypto = provider.Crypto()
	p.srv = &server{LegacyServer: op.NewLegacyServer(provider, *op.DefaultEndpoints), st: p.st, p: p}
	opHandler := op.RegisterLegacyServer(p.srv, op.AuthorizeCallbackHandler(provider))
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+loginPath, p.loginPage)
	mux.HandleFunc("POST "+loginPath, p.loginSubmit)
	mux.HandleFunc("POST "+consentPath, p.consentSubmit)
	mux.HandleFunc("GET "+loggedOutPath, p.loggedOut)
	mux.Handle("/", opHandler)
	p.handler = mux
	return nil
}

// seed writes the configured clients and users. Config is authoritative for
// the fields it sets; a user's status set at run time (SetUserStatus) is
// kept unless the config names a status.
func (p *Provider) seed() error {
	clients := make([]clientRec, 0, len(p.cfg.Clients))
	for i, c := range p.cfg.Clients {
		rec := clientRec{ClientConfig: c}
		rec.Secret = ""
		if !c.Public {
			sec, err := readSecret("secret", c.Secret, c.SecretEnv, c.SecretFile)
			if err != nil {
				return fmt.Errorf("clients[%d].%w", i, err)
			}
			if len(sec) < minSecretLen {
				return fmt.Errorf("clients[%d].secret: shorter than %d characters", i, minSecretLen)
			}
			rec.SecretHash = hashToken(sec)
		}
		clients = append(clients, rec)
	}
	users := make([]userRec, 0, len(p.cfg.Users))
	for i, u := range p.cfg.Users {
		rec, err := userFromConfig(u)
		if err != nil {
			return fmt.Errorf("users[%d].%w", i, err)
		}
		users = append(users, rec)
	}
	p.st.clients = make(map[string]*clientRec, len(clients))
	for i := range clients {
		p.st.clients[clients[i].ID] = &clients[i]
	}
	return p.st.s.db.Update(func(tx *bolt.Tx) error {
		// A client removed from the config is removed from the store: it
		// can no longer authenticate or redeem anything.
		var gone [][]byte
		err := tx.Bucket(bktClients).ForEach(func(k, _ []byte) error {
			if _, ok := p.st.clients[string(k)]; !ok {
				gone = append(gone, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list stored clients: %w", err)
		}
		for _, k := range gone {
			if err := tx.Bucket(bktClients).Delete(k); err != nil {
				return err
			}
		}
		for _, c := range clients {
			if err := putJSON(tx, bktClients, c.ID, c); err != nil {
				return err
			}
		}
		for i, u := range users {
			old := new(userRec)
			if err := getJSON(tx, bktUsers, u.Subject, old); err == nil {
				if p.cfg.Users[i].Status == "" {
					u.Status = old.Status
				}
				if old.Username != u.Username {
					if err := tx.Bucket(bktUserName).Delete([]byte(old.Username)); err != nil {
						return fmt.Errorf("rename user %q: %w", u.Subject, err)
					}
				}
			}
			if err := putJSON(tx, bktUsers, u.Subject, u); err != nil {
				return err
			}
			if err := tx.Bucket(bktUserName).Put([]byte(u.Username), []byte(u.Subject)); err != nil {
				return err
			}
		}
		return nil
	})
}

func userFromConfig(u UserConfig) (userRec, error) {
	rec := userRec{Subject: u.Subject, Username: u.Username, Name: u.Name, Email: u.Email, Kind: u.Kind,
		Status: u.Status, PasswordHash: u.PasswordHash, UpdatedAt: time.Now().UTC()}
	if rec.Kind == "" {
		rec.Kind = "human"
	}
	if rec.Status == "" {
		rec.Status = StatusActive
	}
	if rec.PasswordHash == "" {
		pw, err := readSecret("password", u.Password, u.PasswordEnv, u.PasswordFile)
		if err != nil {
			return rec, err
		}
		if pw != "" {
			h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
			if err != nil {
				return rec, fmt.Errorf("password: %w", err)
			}
			rec.PasswordHash = string(h)
		}
	}
	return rec, nil
}

// Handler serves the provider: discovery at /.well-known/openid-configuration,
// /keys, /authorize, /oauth/token, /oauth/introspect, /userinfo, /revoke,
// /end_session, and the /login, /consent and /logged-out pages. The paths
// are relative to the issuer's path: to mount the provider under a prefix
// beside another API, give the issuer that path and strip it, e.g.
// mux.Handle("/idp/", http.StripPrefix("/idp", p.Handler())) with issuer
// https://host/idp.
func (p *Provider) Handler() http.Handler { return p.handler }

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// RotateSigningKey replaces the signing key now; the previous key stays in
// the JWKS for Config.KeyRetention. It returns the new key ID.
func (p *Provider) RotateSigningKey(context.Context) (string, error) {
	id, err := p.st.keys.Rotate()
	if err != nil {
		return "", fmt.Errorf("rotate signing key: %w", err)
	}
	p.log.Info("signing key rotated", "kid", id)
	return id, nil
}

// Close stops background work and closes the store. It is safe to call
// more than once.
func (p *Provider) Close() error {
	var err error
	p.stopOnce.Do(func() {
		close(p.stop)
		p.wg.Wait()
		if cerr := p.st.s.close(); cerr != nil && !errors.Is(cerr, berrors.ErrDatabaseNotOpen) {
			err = fmt.Errorf("close idp store: %w", cerr)
		}
	})
	return err
}

// sweepLoop deletes expired records every minute.
func (p *Provider) sweepLoop() {
	defer p.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if err := p.st.sweep(time.Now()); err != nil {
				p.log.Warn("sweep expired records", "err", err)
			}
		}
	}
}

// sweep removes expired auth requests, codes, sessions, access tokens and
// refresh families (with their token hashes). A record that cannot be read
// is skipped, so it does not stop the sweep of the others, and reported in
// the returned error once the rest is removed.
func (st *storage) sweep(now time.Time) error {
	var unreadable []error
	err := st.s.db.Update(func(tx *bolt.Tx) error {
		unreadable = unreadable[:0]
		var dead [][2][]byte
		skip := func(bad []error, err error) error {
			unreadable = append(unreadable, bad...)
			return err
		}
		err := skip(eachJSONSkipping(tx, bktAuthReqs, func(k string, a *authReqRec) error {
			if now.Sub(a.CreatedAt) > authRequestTTL {
				dead = append(dead, [2][]byte{bktAuthReqs, []byte(k)})
				if a.CodeHash != "" {
					dead = append(dead, [2][]byte{bktCodes, []byte(a.CodeHash)})
				}
			}
			return nil
		}))
		if err != nil {
			return err
		}
		err = skip(eachJSONSkipping(tx, bktSessions, func(k string, s *sessionRec) error {
			if !s.live(now) {
				dead = append(dead, [2][]byte{bktSessions, []byte(k)})
			}
			return nil
		}))
		if err != nil {
			return err
		}
		err = skip(eachJSONSkipping(tx, bktAccess, func(k string, a *accessRec) error {
			if now.After(a.ExpiresAt) {
				dead = append(dead, [2][]byte{bktAccess, []byte(k)})
			}
			return nil
		}))
		if err != nil {
			return err
		}
		deadFam := map[string]bool{}
		err = skip(eachJSONSkipping(tx, bktFamilies, func(k string, f *familyRec) error {
			if now.After(f.ExpiresAt) {
				deadFam[k] = true
				dead = append(dead, [2][]byte{bktFamilies, []byte(k)})
			}
			return nil
		}))
		if err != nil {
			return err
		}
		err = skip(eachJSONSkipping(tx, bktRefresh, func(k string, r *refreshRec) error {
			if deadFam[r.FamilyID] {
				dead = append(dead, [2][]byte{bktRefresh, []byte(k)})
			}
			return nil
		}))
		if err != nil {
			return err
		}
		for _, d := range dead {
			if err := tx.Bucket(d[0]).Delete(d[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if len(unreadable) > 0 {
		return fmt.Errorf("sweep: %d unreadable records skipped: %w", len(unreadable), errors.Join(unreadable...))
	}
	return nil
}
