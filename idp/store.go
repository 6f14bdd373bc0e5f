package idp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names of the provider's bbolt file.
var (
	bktMeta     = []byte("meta")
	bktKeys     = []byte("signing_keys")
	bktClients  = []byte("clients")
	bktUsers    = []byte("users")
	bktUserName = []byte("users_by_name")
	bktAuthReqs = []byte("auth_requests")
	bktCodes    = []byte("auth_codes")
	bktSessions = []byte("sessions")
	bktAccess   = []byte("access_tokens")
	bktRefresh  = []byte("refresh_tokens")
	bktFamilies = []byte("refresh_families")
	bktGrants   = []byte("grants")
	bktAudit    = []byte("audit")
)

var allBuckets = [][]byte{bktMeta, bktKeys, bktClients, bktUsers, bktUserName, bktAuthReqs,
	bktCodes, bktSessions, bktAccess, bktRefresh, bktFamilies, bktGrants, bktAudit}

// errNotFound reports a missing record.
var errNotFound = errors.New("not found")

// store is the provider's durable state.
type store struct {
	db            *bolt.DB
	writes        chan pendingWrite
	committerDone chan struct{}
}

func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, "idp.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 5 * time.Second,
		// The settings etcd uses: a large initial mapping avoids remaps (which
		// block readers) as the token buckets grow, the hashmap freelist
		// stays fast with many free pages, and the freelist is rebuilt on
		// open rather than written on every commit.
		InitialMmapSize: 1 << 30,
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	s := &store{db: db}
	s.startCommitter()
	return s, nil
}

func (s *store) close() error {
	s.stopCommitter()
	return s.db.Close()
}

// getJSON reads key from bucket into v.
func getJSON(tx *bolt.Tx, bucket []byte, key string, v any) error {
	raw := tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return errNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

// putJSON writes v under key in bucket.
func putJSON(tx *bolt.Tx, bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return tx.Bucket(bucket).Put([]byte(key), raw)
}

// eachJSON decodes every record of bucket into a fresh T and calls fn.
func eachJSON[T any](tx *bolt.Tx, bucket []byte, fn func(key string, v *T) error) error {
	return tx.Bucket(bucket).ForEach(func(k, raw []byte) error {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("decode %s/%s: %w", bucket, k, err)
		}
		return fn(string(k), v)
	})
}

// eachJSONSkipping is eachJSON for best-effort passes such as the expiry
// sweep: a record that does not decode is skipped and its error collected
// in bad instead of ending the pass; an error from fn still ends it.
func eachJSONSkipping[T any](tx *bolt.Tx, bucket []byte, fn func(key string, v *T) error) (bad []error, err error) {
	err = tx.Bucket(bucket).ForEach(func(k, raw []byte) error {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			bad = append(bad, fmt.Errorf("decode %s/%s: %w", bucket, k, err))
			return nil
		}
		return fn(string(k), v)
	})
	return bad, err
}

// randomID returns n random bytes, base64url without padding.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken returns the hex SHA-256 of a bearer secret; only hashes of
// refresh tokens, codes and session secrets are stored.
func hashToken(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}
