package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/accessgraph/accessgraph/graph"
	"github.com/accessgraph/accessgraph/graph/projection"
	"github.com/accessgraph/accessgraph/ingest"
	"github.com/accessgraph/accessgraph/ingest/config"
	"github.com/accessgraph/accessgraph/ingest/resolve"
)

// ErrBusy is returned when a source already has a run in progress.
var ErrBusy = errors.New("a run of this source is already in progress")

// Fetcher reads one configured source into batches (one per sync source
// it reports, e.g. one per AWS account). It must return either every batch
// or an error: a partial read is never written.
type Fetcher func(ctx context.Context, src *config.Source) ([]*graph.Batch, error)

// Progress is the state of an active run.
type Progress struct {
	Source  string    `json:"source"`
	Phase   string    `json:"phase"` // fetching, writing, resolving, projecting
	Started time.Time `json:"started"`
	Done    int       `json:"done"`
	Total   int       `json:"total"`
}

// Result is one finished run of a configured source.
type Result struct {
	Source   string          `json:"source"`
	Started  time.Time       `json:"started"`
	Duration time.Duration   `json:"duration"`
	Runs     []graph.SyncRun `json:"runs"`
	Err      error           `json:"-"`
}

// Scheduler runs sources on their schedules.
type Scheduler struct {
	cfg      *config.Config
	st       graph.Store
	fetch    Fetcher
	holder   *projection.Holder
	log      *slog.Logger
	sem      chan struct{}
	cron     *cron.Cron
	projMu   sync.Mutex
	mu       sync.Mutex
	locks    map[string]*sync.Mutex
	active   map[string]*Progress
	OnResult func(Result) // optional, called after every run
}

// New returns a scheduler; Start begins the schedules. holder, if set,
// receives a new projection after each run that completed.
func New(cfg *config.Config, st graph.Store, fetch Fetcher, holder *projection.Holder,
	log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	s := &Scheduler{cfg: cfg, st: st, fetch: fetch, holder: holder, log: log,
		sem: make(chan struct{}, max(cfg.Workers, 1)), locks: map[string]*sync.Mutex{},
		active: map[string]*Progress{}}
	for _, src := range cfg.Sources {
		s.locks[src.Name] = &sync.Mutex{}
	}
	return s
}

// Start registers every scheduled source with cron and starts it. Runs use
// ctx; cancel it, then call Stop, to end them.
func (s *Scheduler) Start(ctx context.Context) error {
	s.cron = cron.New(cron.WithLogger(cron.DiscardLogger))
	for i := range s.cfg.Sources {
		src := &s.cfg.Sources[i]
		if src.Schedule == "" {
			continue
		}
		_, err := s.cron.AddFunc(src.Schedule, func() {
			res := s.RunNow(ctx, src.Name)
			if errors.Is(res.Err, ErrBusy) {
				s.log.Warn("scheduled run skipped: the previous one is still going", "source", src.Name)
			}
		})
		if err != nil {
			return fmt.Errorf("schedule %s %q: %w", src.Name, src.Schedule, err)
		}
		s.log.Info("source scheduled", "source", src.Name, "schedule", src.Schedule)
	}
	s.cron.Start()
	return nil
}

// Stop stops scheduling and waits for running jobs to end.
func (s *Scheduler) Stop() {
	if s.cron != nil {
		<-s.cron.Stop().Done()
	}
}

// Active returns the progress of every run in progress, sorted by source.
func (s *Scheduler) Active() []Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Progress, 0, len(s.active))
	for _, p := range s.active {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Progress) int {
		if a.Source < b.Source {
			return -1
		}
		if a.Source > b.Source {
			return 1
		}
		return 0
	})
	return out
}

func (s *Scheduler) setProgress(name string, f func(p *Progress)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.active[name]; p != nil {
		f(p)
	}
}

// RunNow runs one source now and waits for it. It returns ErrBusy in
// Result.Err if the source is already running.
func (s *Scheduler) RunNow(ctx context.Context, name string) Result {
	res := Result{Source: name, Started: time.Now()}
	src, ok := s.cfg.Source(name)
	if !ok {
		res.Err = fmt.Errorf("no source named %q in the configuration", name)
		return res
	}
	lock := s.locks[name]
	if !lock.TryLock() {
		res.Err = fmt.Errorf("%s: %w", name, ErrBusy)
		return res
	}
	defer lock.Unlock()
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		res.Err = ctx.Err()
		return res
	}
	defer func() { <-s.sem }()

	s.mu.Lock()
	s.active[name] = &Progress{Source: name, Phase: "fetching", Started: res.Started}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.active, name)
		s.mu.Unlock()
	}()
	res.Runs, res.Err = s.run(ctx, src)
	res.Duration = time.Since(res.Started)
	if res.Err != nil {
		s.log.Error("sync failed; the previous state keeps answering", "source", name, "err", res.Err)
	} else {
		s.log.Info("sync done", "source", name, "runs", len(res.Runs), "duration", res.Duration.Round(time.Millisecond))
	}
	if s.OnResult != nil {
		s.OnResult(res)
	}
	return res
}

func (s *Scheduler) run(ctx context.Context, src *config.Source) ([]graph.SyncRun, error) {
	batches, err := s.fetch(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Name, err)
	}
	seen := map[string]bool{}
	for _, b := range batches {
		if seen[b.Source] {
			// Two runs of one sync source would sweep each other's elements.
			return nil, fmt.Errorf("%s: two exports report the same sync source %s: give each its own "+
				"configured source, or merge them", src.Name, b.Source)
		}
		seen[b.Source] = true
	}
	total := 0
	for _, b := range batches {
		n, e := b.Len()
		total += n + e
	}
	s.setProgress(src.Name, func(p *Progress) { p.Phase, p.Total = "writing", total })
	var runs []graph.SyncRun
	base := 0
	for _, b := range batches {
		n, e := b.Len()
		run, err := ingest.Write(ctx, s.st, b, ingest.WriteOptions{Logger: s.log, AllowShrink: src.AllowShrink,
			Consume: true, Progress: func(_ string, done, _ int) {
				s.setProgress(src.Name, func(p *Progress) { p.Done = base + done })
			}})
		if run != nil {
			runs = append(runs, *run)
		}
		if err != nil {
			// Earlier batches of this source did commit: resolve and publish
			// them, so the store and the projection do not disagree.
			return runs, errors.Join(err, s.afterWrite(ctx, src))
		}
		base += n + e
	}
	return runs, s.afterWrite(ctx, src)
}

// afterWrite resolves identities and publishes a new projection.
func (s *Scheduler) afterWrite(ctx context.Context, src *config.Source) error {
	s.setProgress(src.Name, func(p *Progress) { p.Phase = "resolving" })
	if _, err := resolve.Run(ctx, s.st, func(ctx context.Context, b *graph.Batch) error {
		// Resolution follows its inputs: when a source shrinks, so do the links.
		_, err := ingest.Write(ctx, s.st, b, ingest.WriteOptions{Logger: s.log, AllowShrink: true})
		return err
	}); err != nil {
		return err
	}
	if s.holder != nil {
		s.setProgress(src.Name, func(p *Progress) { p.Phase = "projecting" })
		return s.Reproject(ctx)
	}
	return nil
}

// Reproject builds a new projection from the store and publishes it.
// Concurrent callers are serialised.
func (s *Scheduler) Reproject(ctx context.Context) error {
	s.projMu.Lock()
	defer s.projMu.Unlock()
	snap, err := projection.Build(ctx, s.st)
	if err != nil {
		return err
	}
	s.holder.Store(snap)
	st := snap.Stats()
	s.log.Info("projection published", "version", st.Version, "nodes", st.Nodes, "edges", st.Edges,
		"duration", st.BuildTime.Round(time.Millisecond))
	return nil
}
