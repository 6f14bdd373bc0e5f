package idp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"sort"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
	bolt "go.etcd.io/bbolt"
)

// keyRec is a stored signing key. ES256 keeps signing cheap on the token
// endpoint, and every relying party tested here supports it.
type keyRec struct {
	ID        string    `json:"id"`
	Alg       string    `json:"alg"`
	PKCS8     []byte    `json:"pkcs8"`
	CreatedAt time.Time `json:"createdAt"`
	// RetiredAt is set when a newer key took over; the key stays published
	// until RetiredAt + retention so tokens it signed still verify.
	RetiredAt time.Time `json:"retiredAt,omitzero"`
}

// signingKey implements op.SigningKey and op.Key.
type signingKey struct {
	id   string
	priv *ecdsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *signingKey) Algorithm() jose.SignatureAlgorithm          { return jose.ES256 }
func (k *signingKey) ID() string                                  { return k.id }
func (k *signingKey) Use() string                                 { return "sig" }

// Key returns the private key (SigningKey); see publicKey for the JWKS.
func (k *signingKey) Key() any { return k.priv }

type publicKey struct{ *signingKey }

func (k publicKey) Key() any { return &k.priv.PublicKey }

// keyManager caches the current and published keys; the store is the truth.
type keyManager struct {
	s         *store
	rotation  time.Duration
	retention time.Duration

	mu        sync.RWMutex
	current   *signingKey
	createdAt time.Time
	published []*signingKey
}

func newKeyManager(s *store, rotation, retention time.Duration) (*keyManager, error) {
	km := &keyManager{s: s, rotation: rotation, retention: retention}
	if err := km.load(); err != nil {
		return nil, err
	}
	if km.current == nil || time.Since(km.createdAt) > rotation {
		if _, err := km.Rotate(); err != nil {
			return nil, err
		}
	}
	return km, nil
}

// load reads every key, dropping retired keys past retention.
func (km *keyManager) load() error {
	var recs []keyRec
	err := km.s.db.Update(func(tx *bolt.Tx) error {
		recs = recs[:0]
		now := time.Now()
		return eachJSON(tx, bktKeys, func(k string, r *keyRec) error {
			if !r.RetiredAt.IsZero() && now.Sub(r.RetiredAt) > km.retention {
				return tx.Bucket(bktKeys).Delete([]byte(k))
			}
			recs = append(recs, *r)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].CreatedAt.After(recs[j].CreatedAt) })
	var pub []*signingKey
	var cur *signingKey
	var curAt time.Time
	for _, r := range recs {
		k, err := parseKey(r)
		if err != nil {
			return err
		}
		pub = append(pub, k)
		if cur == nil && r.RetiredAt.IsZero() {
			cur, curAt = k, r.CreatedAt
		}
	}
	km.mu.Lock()
	km.current, km.createdAt, km.published = cur, curAt, pub
	km.mu.Unlock()
	return nil
}

func parseKey(r keyRec) (*signingKey, error) {
	raw, err := x509.ParsePKCS8PrivateKey(r.PKCS8)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.ID, err)
	}
	priv, ok := raw.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an ECDSA key", r.ID)
	}
	return &signingKey{id: r.ID, priv: priv}, nil
}

// Rotate creates a new signing key, retires the current one (it stays in
// the JWKS for the retention period) and returns the new key ID.
func (km *keyManager) Rotate() (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("marshal signing key: %w", err)
	}
	now := time.Now().UTC()
	rec := keyRec{ID: randomID(12), Alg: string(jose.ES256), PKCS8: der, CreatedAt: now}
	err = km.s.db.Update(func(tx *bolt.Tx) error {
		err := eachJSON(tx, bktKeys, func(k string, r *keyRec) error {
			if r.RetiredAt.IsZero() {
				r.RetiredAt = now
				return putJSON(tx, bktKeys, k, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return putJSON(tx, bktKeys, rec.ID, rec)
	})
	if err != nil {
		return "", fmt.Errorf("store signing key: %w", err)
	}
	return rec.ID, km.load()
}

// signing returns the current key, rotating it first when it is too old.
func (km *keyManager) signing() (*signingKey, error) {
	km.mu.RLock()
	cur, at := km.current, km.createdAt
	km.mu.RUnlock()
	if cur != nil && time.Since(at) <= km.rotation {
		return cur, nil
	}
	if _, err := km.Rotate(); err != nil {
		return nil, err
	}
	km.mu.RLock()
	defer km.mu.RUnlock()
	return km.current, nil
}

func (km *keyManager) keySet() []op.Key {
	km.mu.RLock()
	defer km.mu.RUnlock()
	out := make([]op.Key, 0, len(km.published))
	for _, k := range km.published {
		out = append(out, publicKey{k})
	}
	return out
}

// cryptoKey returns the AES key that seals opaque access tokens and codes,
// creating it on first start so tokens stay valid across restarts.
func (s *store) cryptoKey() ([32]byte, error) {
	var key [32]byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktMeta)
		if v := b.Get([]byte("crypto_key")); len(v) == 32 {
			copy(key[:], v)
			return nil
		}
		if _, err := rand.Read(key[:]); err != nil {
			return err
		}
		return b.Put([]byte("crypto_key"), key[:])
	})
	if err != nil {
		return key, fmt.Errorf("crypto key: %w", err)
	}
	return key, nil
}

// SigningKey implements op.AuthStorage.
func (st *storage) SigningKey(context.Context) (op.SigningKey, error) { return st.keys.signing() }

// SignatureAlgorithms implements op.AuthStorage.
func (st *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

// KeySet implements op.AuthStorage: the JWKS holds the current key and
// retired keys still within retention.
func (st *storage) KeySet(context.Context) ([]op.Key, error) { return st.keys.keySet(), nil }
