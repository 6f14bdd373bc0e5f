package review

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	bolt "go.etcd.io/bbolt"

	"github.com/accessgraph/accessgraph/graph/risk"
)

// Decision is what a reviewer decides about an item.
type Decision string

// Decisions.
const (
	Keep     Decision = "KEEP"
	Revoke   Decision = "REVOKE"
	ExpireAt Decision = "EXPIRE_AT"
)

// ParseDecision parses a decision name (case-insensitive).
func ParseDecision(s string) (Decision, error) {
	switch d := Decision(strings.ToUpper(strings.TrimSpace(s))); d {
	case Keep, Revoke, ExpireAt:
		return d, nil
	}
	return "", fmt.Errorf("unknown decision %q (want KEEP, REVOKE or EXPIRE_AT)", s)
}

// ErrNotFound is returned for an unknown item.
var ErrNotFound = errors.New("review item not found")

// Reason is one rule hit behind an item.
type Reason struct {
	Rule     string   `json:"rule"`
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
	Weight   float64  `json:"weight"`
	Element  string   `json:"element"`
	Evidence []string `json:"evidence"`
}

// Item is one thing to review.
type Item struct {
	// ID is the review subject's element ID.
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Subkind string `json:"subkind,omitempty"`
	Name    string `json:"name"`
	Source  string `json:"source"`
	// Score is the final score (deterministic plus any bounded LLM raise);
	// DeterministicScore is what rules and features gave.
	Score              float64  `json:"score"`
	DeterministicScore float64  `json:"deterministicScore"`
	LLMRaise           float64  `json:"llmRaise"`
	Reasons            []Reason `json:"reasons"`
	// Members are the scored elements rolled into the item (the subject,
	// its accounts and credentials).
	Members []string `json:"members"`
	// Reviewers are who should review it (the HR manager), if known.
	Reviewers []string `json:"reviewers,omitempty"`
	// Advice is the LLM's answer for the highest-scored member.
	Advice risk.Advice `json:"advice"`
	// Decision is the item's current decision, if any.
	Decision *Record `json:"decision,omitempty"`
}

// Record is a durable decision.
type Record struct {
	ID            string     `json:"id"`
	Item          string     `json:"item"`
	Decision      Decision   `json:"decision"`
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"`
	Justification string     `json:"justification"`
	Who           string     `json:"who"`
	At            time.Time  `json:"at"`
	Score         float64    `json:"score"`
	// Lapsed is set when a KEEP exception expired and the item went back
	// into the queue.
	Lapsed *time.Time `json:"lapsed,omitempty"`
	// Request is the remediation request a REVOKE or EXPIRE_AT created.
	Request string `json:"request,omitempty"`
}

// Request is a pending remediation request; an executor (remediate) picks
// it up. No executor runs here.
type Request struct {
	ID       string     `json:"id"`
	Item     string     `json:"item"`
	Action   Decision   `json:"action"`
	Targets  []string   `json:"targets"`
	Status   string     `json:"status"`
	At       time.Time  `json:"at"`
	Due      *time.Time `json:"due,omitempty"`
	Decision string     `json:"decision"`
	Who      string     `json:"who"`
}

// Filters narrow a queue.
type Filters struct {
	// Kinds keeps items of these kinds (identity, account, role ...).
	Kinds []string
	// MinScore drops items below it.
	MinScore float64
	// Rule keeps items with a reason from this rule.
	Rule string
	// Source keeps items whose source starts with it.
	Source string
	// IncludeDecided also lists items under an active decision.
	IncludeDecided bool
}

// Page is one page of a queue.
type Page struct {
	Items       []Item
	Cursors     []string
	Total       int
	HasNext     bool
	HasPrev     bool
	EndCursor   string
	StartCursor string
}

// Options configure a Service.
type Options struct {
	// ExpirySchedule is the cron spec for the stale-exception sweep
	// (default "@every 1m").
	ExpirySchedule string
	// Now overrides the clock (tests).
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

var (
	bucketDecisions = []byte("decisions") // record id -> Record
	bucketCurrent   = []byte("current")   // item id -> record id of its active decision
	bucketRequests  = []byte("requests")  // request id -> Request
)

// Service holds the current queue and the decision store.
type Service struct {
	db   *bolt.DB
	opt  Options
	cron *cron.Cron

	mu     sync.RWMutex
	items  []Item // sorted by score desc, then ID
	byID   map[string]int
	member map[string]int // element ID -> item index
	scores map[string]ElementScore
	seq    uint64
}

// ElementScore is the assessment of one element, for riskScore(id).
type ElementScore struct {
	Assessment risk.Assessment
	Advice     risk.Advice
	Final      float64
}

// Open opens (creating) the decision store at path.
func Open(path string, opt Options) (*Service, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open review store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDecisions, bucketCurrent, bucketRequests} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open review store %s: %w", path, err)
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.ExpirySchedule == "" {
		opt.ExpirySchedule = "@every 1m"
	}
	return &Service{db: db, opt: opt, byID: map[string]int{}, member: map[string]int{},
		scores: map[string]ElementScore{}}, nil
}

// Start runs the stale-exception sweep on its schedule.
func (s *Service) Start() error {
	c := cron.New()
	if _, err := c.AddFunc(s.opt.ExpirySchedule, func() {
		if n, err := s.ExpireDue(); err != nil {
			s.opt.Logger.Error("review: expire exceptions", "err", err)
		} else if n > 0 {
			s.opt.Logger.Info("review: exceptions lapsed", "count", n)
		}
	}); err != nil {
		return fmt.Errorf("review: expiry schedule %q: %w", s.opt.ExpirySchedule, err)
	}
	s.cron = c
	c.Start()
	return nil
}

// Close stops the schedule and closes the store.
func (s *Service) Close() error {
	if s.cron != nil {
		<-s.cron.Stop().Done()
	}
	return s.db.Close()
}

// Load replaces the queue with the items of a scoring run. advice may be
// nil or have one entry per assessment (risk.Advisor.AdviseAll).
func (s *Service) Load(res *risk.Result, advice []risk.Advice) {
	items := map[string]*Item{}
	scores := make(map[string]ElementScore, len(res.Assessments))
	best := map[string]float64{}
	for k := range res.Assessments {
		a := &res.Assessments[k]
		var adv risk.Advice
		if k < len(advice) {
			adv = advice[k]
		} else {
			adv = risk.Advice{State: risk.LLMUnavailable, PromptVersion: risk.PromptVersion}
		}
		final := risk.Final(a, &adv)
		scores[a.Item.ID] = ElementScore{Assessment: *a, Advice: adv, Final: final}
		if len(a.Hits) == 0 {
			continue
		}
		it := items[a.Subject]
		if it == nil {
			it = &Item{ID: a.Subject}
			items[a.Subject] = it
		}
		it.Members = append(it.Members, a.Item.ID)
		if a.Item.ID == a.Subject {
			it.Kind, it.Subkind, it.Name, it.Source = a.Item.Kind.String(), a.Item.Subkind, a.Item.Name, a.Item.Source
		}
		if m, _ := a.Facts["manager"].(string); m != "" && !slices.Contains(it.Reviewers, m) {
			it.Reviewers = append(it.Reviewers, m)
		}
		for _, h := range a.Hits {
			it.Reasons = append(it.Reasons, Reason{Rule: h.Rule, Title: h.Title, Severity: h.Severity,
				Weight: h.Weight, Element: a.Item.ID, Evidence: h.Evidence})
		}
		if final > it.Score || (final == it.Score && a.Score > best[a.Subject]) {
			it.Score, it.DeterministicScore, it.LLMRaise, it.Advice = final, a.Score, final-a.Score, adv
			best[a.Subject] = a.Score
		}
	}
	list := make([]Item, 0, len(items))
	for id, it := range items {
		if it.Kind == "" {
			if e, ok := scores[id]; ok {
				it.Kind, it.Subkind, it.Name, it.Source = e.Assessment.Item.Kind.String(), e.Assessment.Item.Subkind,
					e.Assessment.Item.Name, e.Assessment.Item.Source
			} else {
				it.Kind = "identity"
			}
		}
		slices.SortFunc(it.Reasons, func(a, b Reason) int {
			if a.Weight != b.Weight {
				if a.Weight > b.Weight {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Rule+a.Element, b.Rule+b.Element)
		})
		list = append(list, *it)
	}
	slices.SortFunc(list, compareItems)
	s.mu.Lock()
	s.items, s.scores = list, scores
	s.byID = make(map[string]int, len(list))
	s.member = map[string]int{}
	for i := range list {
		s.byID[list[i].ID] = i
		for _, m := range list[i].Members {
			s.member[m] = i
		}
	}
	s.mu.Unlock()
}

func compareItems(a, b Item) int {
	if a.Score != b.Score {
		if a.Score > b.Score {
			return -1
		}
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

// Score returns the assessment of one element (any scored element, or a
// review item's subject).
func (s *Service) Score(id string) (ElementScore, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.scores[id]
	return e, ok
}

// Item returns the review item with id, or the item that id is a member of.
func (s *Service) Item(id string) (Item, error) {
	s.mu.RLock()
	i, ok := s.byID[id]
	if !ok {
		i, ok = s.member[id]
	}
	var it Item
	if ok {
		it = s.items[i]
	}
	s.mu.RUnlock()
	if !ok {
		return Item{}, fmt.Errorf("item %q: %w", id, ErrNotFound)
	}
	rec, err := s.current(it.ID)
	if err != nil {
		return Item{}, err
	}
	it.Decision = rec
	return it, nil
}

// encodeCursor and decodeCursor make opaque cursors of (score, id).
func encodeCursor(it *Item) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatFloat(it.Score, 'f', -1, 64) + "|" + it.ID))
}

func decodeCursor(c string) (Item, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Item{}, fmt.Errorf("invalid cursor %q", c)
	}
	sc, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return Item{}, fmt.Errorf("invalid cursor %q", c)
	}
	v, err := strconv.ParseFloat(sc, 64)
	if err != nil {
		return Item{}, fmt.Errorf("invalid cursor %q", c)
	}
	return Item{Score: v, ID: id}, nil
}

// Queue lists open items (those under no active decision, unless
// f.IncludeDecided) sorted by score, highest first. reviewer, when not
// empty, keeps items whose reviewers include it. first bounds the page
// (default 50); after is the cursor of the previous page's last item.
func (s *Service) Queue(reviewer string, f Filters, first int, after string) (*Page, error) {
	if first <= 0 {
		first = 50
	}
	var from *Item
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return nil, err
		}
		from = &c
	}
	active, err := s.activeDecisions()
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := &Page{HasPrev: from != nil}
	for i := range s.items {
		it := &s.items[i]
		if !s.keep(it, reviewer, f, active) {
			continue
		}
		p.Total++
		if from != nil && compareItems(*it, *from) <= 0 {
			continue
		}
		if len(p.Items) == first {
			p.HasNext = true
			continue
		}
		cp := *it
		cp.Decision = active[it.ID]
		p.Items = append(p.Items, cp)
		p.Cursors = append(p.Cursors, encodeCursor(it))
	}
	if n := len(p.Cursors); n > 0 {
		p.StartCursor, p.EndCursor = p.Cursors[0], p.Cursors[n-1]
	}
	return p, nil
}

func (s *Service) keep(it *Item, reviewer string, f Filters, active map[string]*Record) bool {
	if reviewer != "" && !slices.Contains(it.Reviewers, reviewer) {
		return false
	}
	if !f.IncludeDecided && active[it.ID] != nil {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, it.Kind) {
		return false
	}
	if it.Score < f.MinScore {
		return false
	}
	if f.Source != "" && !strings.HasPrefix(it.Source, f.Source) {
		return false
	}
	if f.Rule != "" && !slices.ContainsFunc(it.Reasons, func(r Reason) bool { return r.Rule == f.Rule }) {
		return false
	}
	return true
}

// Decided returns the IDs of the items under an active decision (they are
// out of the default queue until it expires).
func (s *Service) Decided() (map[string]bool, error) {
	active, err := s.activeDecisions()
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(active))
	for id := range active {
		out[id] = true
	}
	return out, nil
}

// activeDecisions returns the current decision of every decided item.
func (s *Service) activeDecisions() (map[string]*Record, error) {
	out := map[string]*Record{}
	err := s.db.View(func(tx *bolt.Tx) error {
		dec := tx.Bucket(bucketDecisions)
		return tx.Bucket(bucketCurrent).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(dec.Get(v), &r); err != nil {
				return fmt.Errorf("decision %s: %w", v, err)
			}
			out[string(k)] = &r
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("review: read decisions: %w", err)
	}
	return out, nil
}

func (s *Service) current(item string) (*Record, error) {
	var rec *Record
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketCurrent).Get([]byte(item))
		if id == nil {
			return nil
		}
		rec = &Record{}
		return json.Unmarshal(tx.Bucket(bucketDecisions).Get(id), rec)
	})
	if err != nil {
		return nil, fmt.Errorf("review: read decision of %s: %w", item, err)
	}
	return rec, nil
}

func (s *Service) nextID(prefix string, now time.Time) string {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	return fmt.Sprintf("%s-%s-%04d", prefix, now.Format("20060102T150405.000000000Z"), n)
}

// ArgumentError is a Decide argument that is missing or wrong.
type ArgumentError struct {
	// Argument is the argument's name as GraphQL spells it (justification,
	// expiresAt, decision, who).
	Argument string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *ArgumentError) Error() string { return "decide: " + e.Reason }

func argErr(arg, format string, args ...any) error {
	return &ArgumentError{Argument: arg, Reason: fmt.Sprintf(format, args...)}
}

// Decide records a decision on an item (or on the item an element belongs
// to). EXPIRE_AT needs expiresAt in the future; KEEP may carry one, which
// makes it an exception that lapses then. REVOKE and EXPIRE_AT create a
// pending remediation request. justification and who are required.
func (s *Service) Decide(item string, d Decision, expiresAt *time.Time, justification, who string) (*Record, error) {
	if strings.TrimSpace(justification) == "" {
		return nil, argErr("justification", "justification is required")
	}
	if strings.TrimSpace(who) == "" {
		return nil, argErr("who", "who is required")
	}
	if _, err := ParseDecision(string(d)); err != nil {
		return nil, &ArgumentError{Argument: "decision", Reason: err.Error()}
	}
	now := s.opt.Now()
	if d == ExpireAt && expiresAt == nil {
		return nil, argErr("expiresAt", "EXPIRE_AT needs expiresAt")
	}
	if d == Revoke && expiresAt != nil {
		return nil, argErr("expiresAt", "REVOKE takes no expiresAt")
	}
	if expiresAt != nil && !expiresAt.After(now) {
		return nil, argErr("expiresAt", "expiresAt %s is not in the future", expiresAt.Format(time.RFC3339))
	}
	it, err := s.Item(item)
	if err != nil {
		return nil, fmt.Errorf("decide: %w", err)
	}
	rec := &Record{ID: s.nextID("dec", now), Item: it.ID, Decision: d, ExpiresAt: expiresAt,
		Justification: justification, Who: who, At: now, Score: it.Score}
	var req *Request
	if d == Revoke || d == ExpireAt {
		req = &Request{ID: s.nextID("req", now), Item: it.ID, Action: d, Targets: it.Members, Status: "pending",
			At: now, Due: expiresAt, Decision: rec.ID, Who: who}
		rec.Request = req.ID
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketDecisions).Put([]byte(rec.ID), raw); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCurrent).Put([]byte(it.ID), []byte(rec.ID)); err != nil {
			return err
		}
		if req != nil {
			raw, err := json.Marshal(req)
			if err != nil {
				return err
			}
			return tx.Bucket(bucketRequests).Put([]byte(req.ID), raw)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decide %s: %w", it.ID, err)
	}
	return rec, nil
}

// ExpireDue lapses every KEEP exception whose expiry has passed: the item
// goes back into the queue and the record says when. It returns how many.
func (s *Service) ExpireDue() (int, error) {
	now := s.opt.Now()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		cur, dec := tx.Bucket(bucketCurrent), tx.Bucket(bucketDecisions)
		var lapsed [][]byte
		err := cur.ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(dec.Get(v), &r); err != nil {
				return fmt.Errorf("decision %s: %w", v, err)
			}
			if r.Decision != Keep || r.ExpiresAt == nil || r.ExpiresAt.After(now) {
				return nil
			}
			r.Lapsed = &now
			raw, err := json.Marshal(&r)
			if err != nil {
				return err
			}
			if err := dec.Put(v, raw); err != nil {
				return err
			}
			lapsed = append(lapsed, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range lapsed {
			if err := cur.Delete(k); err != nil {
				return err
			}
		}
		n = len(lapsed)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("review: expire exceptions: %w", err)
	}
	return n, nil
}

// Decisions returns every recorded decision, oldest first.
func (s *Service) Decisions() ([]Record, error) {
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDecisions).ForEach(func(_, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("review: list decisions: %w", err)
	}
	return out, nil
}

// Requests returns every remediation request, oldest first.
func (s *Service) Requests() ([]Request, error) {
	var out []Request
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).ForEach(func(_, v []byte) error {
			var r Request
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("review: list requests: %w", err)
	}
	return out, nil
}
