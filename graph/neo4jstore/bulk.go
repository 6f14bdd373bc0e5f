package neo4jstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/accessgraph/accessgraph/graph"
)

// Bulk initial load: instead of staging and merging every element through
// Bolt (about 88 µs of server CPU per element), the batches are written as
// the CSV files that Neo4j's offline importer (neo4j-admin database import
// full) reads, the importer builds the store files directly with the server
// stopped, and Open applies the schema once the server is back. The result
// is the database the transactional path would have written for the same
// batches, ingested in order, one complete sync run each: the same labels,
// relationship types and properties, the same syncRun tags, one :SyncRun
// per batch with its stats, and the same constraints and indexes. Only an
// empty database can be bulk-loaded.

// bulkArrayDelimiter separates the elements of list properties (and
// labels) in the CSV files: a control character no name or action holds.
const bulkArrayDelimiter = '\x1f'

// BulkFiles is what WriteBulkFiles wrote.
type BulkFiles struct {
	// Dir holds the files.
	Dir string
	// Args are the importer's options naming the files (--nodes=...,
	// --relationships=..., --array-delimiter=...), for neo4j.sh import.
	Args []string
	// Runs are the :SyncRun records written, one per batch, in order.
	Runs []graph.SyncRun
	// Nodes and Edges are how many graph nodes and relationships the files
	// hold (an element reported by two sources is counted once).
	Nodes, Edges int
}

// bulkNode is the node a bulk load writes for an ID: the batch whose row
// wins, as the transactional path's stub rule decides, and whether that row
// is a stub.
type bulkNode struct {
	batch int32
	count int32 // how many batches report the ID
	stub  bool
}

// WriteBulkFiles checks every batch, then writes them into dir (created;
// it must not exist or be empty) as the importer's CSV files, one sync run
// per batch in the order given, as if each were ingested in turn into an
// empty database. Nothing is written unless every batch is valid: each
// batch passes graph.Batch.Validate, sources are distinct, and no list
// element is empty or holds the control character U+001F (the CSV list
// delimiter).
func WriteBulkFiles(dir string, batches []*graph.Batch, now time.Time) (*BulkFiles, error) {
	if len(batches) == 0 {
		return nil, errors.New("bulk import: no batches")
	}
	// 1. Check everything and decide which batch's row each element is.
	sources := map[string]bool{}
	nodes := map[string]*bulkNode{}
	applied := make([]int, len(batches)) // node rows applied, per batch
	for i, b := range batches {
		if b == nil {
			return nil, fmt.Errorf("bulk import: batches[%d] is nil", i)
		}
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("bulk import: %s: invalid batch: %w", b.Source, err)
		}
		if sources[b.Source] {
			return nil, fmt.Errorf("bulk import: source %q appears in two batches: merge them (each source is one sync run)", b.Source)
		}
		sources[b.Source] = true
		for _, n := range b.Nodes() {
			stub := n.Props[graph.PropStub] == "true"
			cur := nodes[n.ID]
			if cur == nil {
				nodes[n.ID] = &bulkNode{batch: int32(i), count: 1, stub: stub}
				applied[i]++
				continue
			}
			cur.count++
			// A stub never overwrites a node another source reported (apply.go).
			if stub && !cur.stub {
				continue
			}
			cur.batch, cur.stub = int32(i), stub
			applied[i]++
		}
	}
	// Two sources' edges with the same endpoints and type are one
	// relationship, the later run's: only possible when both endpoints
	// are reported by more than one batch.
	shared := map[string]int32{}
	edgesIn := make([]int, len(batches))
	for i, b := range batches {
		for _, e := range b.Edges() {
			for _, l := range [3]struct {
				name string
				v    []string
			}{{"actions", e.Actions}, {"conditions", e.Conditions}, {"via", e.Via}} {
				for _, s := range l.v {
					if s == "" || strings.IndexByte(s, bulkArrayDelimiter) >= 0 {
						return nil, fmt.Errorf("bulk import: %s: edge %s: %s holds %q, which the importer's CSV cannot "+
							"carry (an empty string or U+001F): ingest this source without --bulk-import",
							b.Source, e.ID(), l.name, s)
					}
				}
			}
			if nodes[e.From].count > 1 && nodes[e.To].count > 1 {
				shared[e.ID()] = int32(i)
			}
			edgesIn[i]++
		}
	}

	// 2. Write.
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bulk import: %w", err)
	}
	if ents, err := os.ReadDir(dir); err != nil {
		return nil, fmt.Errorf("bulk import: %w", err)
	} else if len(ents) > 0 {
		return nil, fmt.Errorf("bulk import: %s is not empty", dir)
	}
	out := &BulkFiles{Dir: dir}
	runsW, err := newCSVFile(filepath.Join(dir, "runs.csv"))
	if err != nil {
		return nil, err
	}
	nodesW, err := newCSVFile(filepath.Join(dir, "nodes.csv"))
	if err != nil {
		return nil, err
	}
	relsW, err := newCSVFile(filepath.Join(dir, "relationships.csv"))
	if err != nil {
		return nil, err
	}
	runsW.raw("id:ID(SyncRun),:LABEL,source,status,started:long,finished:long,updated:long," +
		"nodesUpserted:long,edgesUpserted:long,nodesSwept:long,edgesSwept:long\n")
	nodesW.raw("id:ID(Node),:LABEL,kind,subkind,name,sensitivity:long,source,syncRun,stub:boolean,props\n")
	relsW.raw(":START_ID(Node),:END_ID(Node),:TYPE,privilege:long,actions:string[],conditions:string[]," +
		"via:string[],source,syncRun,props\n")
	for i, b := range batches {
		// Runs a microsecond apart, so that their IDs and start times order
		// them as they were given.
		at := now.UTC().Add(time.Duration(i) * time.Microsecond)
		r := graph.SyncRun{ID: newRunID(at), Source: b.Source, Status: graph.RunComplete, Started: at, Finished: at,
			Stats: graph.RunStats{NodesUpserted: applied[i], EdgesUpserted: edgesIn[i]}}
		out.Runs = append(out.Runs, r)
		w := runsW
		w.str(r.ID)
		w.sep()
		w.str("SyncRun")
		w.sep()
		w.str(r.Source)
		w.sep()
		w.str(string(r.Status))
		for _, v := range []int64{at.UnixNano(), at.UnixNano(), at.UnixNano(), int64(applied[i]), int64(edgesIn[i]), 0, 0} {
			w.sep()
			w.int(v)
		}
		w.end()

		w = nodesW
		for _, n := range b.Nodes() {
			bn := nodes[n.ID]
			if bn.batch != int32(i) {
				continue
			}
			p, err := propsJSON(n.Props) // a map of strings always encodes
			if err != nil {
				return nil, fmt.Errorf("bulk import: %s: node %q: props: %w", b.Source, n.ID, err)
			}
			w.str(n.ID)
			w.sep()
			w.str("Node" + string(bulkArrayDelimiter) + kindLabels[n.Kind])
			w.sep()
			w.str(n.Kind.String())
			w.sep()
			w.opt(n.Subkind)
			w.sep()
			w.str(n.Name)
			w.sep()
			w.int(int64(n.Sensitivity))
			w.sep()
			w.str(b.Source)
			w.sep()
			w.str(r.ID)
			w.sep()
			if bn.stub {
				w.raw("true")
			}
			w.sep()
			w.opt(p)
			w.end()
			out.Nodes++
		}
		w = relsW
		for _, e := range b.Edges() {
			if last, ok := shared[e.ID()]; ok && last != int32(i) {
				continue
			}
			p, err := propsJSON(e.Props)
			if err != nil {
				return nil, fmt.Errorf("bulk import: %s: edge %s: props: %w", b.Source, e.ID(), err)
			}
			w.str(e.From)
			w.sep()
			w.str(e.To)
			w.sep()
			w.str(e.Kind.String())
			w.sep()
			w.int(int64(e.Privilege))
			w.sep()
			w.list(e.Actions)
			w.sep()
			w.list(e.Conditions)
			w.sep()
			w.list(e.Via)
			w.sep()
			w.str(b.Source)
			w.sep()
			w.str(r.ID)
			w.sep()
			w.opt(p)
			w.end()
			out.Edges++
		}
	}
	multiline := false
	for _, w := range []*csvFile{runsW, nodesW, relsW} {
		if err := w.close(); err != nil {
			return nil, fmt.Errorf("bulk import: %w", err)
		}
		multiline = multiline || w.multiline
	}
	out.Args = []string{
		"--nodes=" + runsW.path,
		"--nodes=" + nodesW.path,
		"--relationships=" + relsW.path,
		"--array-delimiter=U+001F",
		"--id-type=string",
		"--bad-tolerance=0",
	}
	if multiline {
		out.Args = append(out.Args, "--multiline-fields=true")
	}
	return out, nil
}

// csvFile writes one CSV file: strings always quoted (an unquoted empty
// field is an absent property; a quoted one an empty string).
type csvFile struct {
	path      string
	f         *os.File
	w         *bufio.Writer
	num       []byte
	multiline bool
}

func newCSVFile(path string) (*csvFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bulk import: %w", err)
	}
	return &csvFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (c *csvFile) raw(s string) { _, _ = c.w.WriteString(s) }
func (c *csvFile) sep()         { _ = c.w.WriteByte(',') }
func (c *csvFile) end()         { _ = c.w.WriteByte('\n') }

func (c *csvFile) int(v int64) {
	c.num = strconv.AppendInt(c.num[:0], v, 10)
	_, _ = c.w.Write(c.num)
}

func (c *csvFile) body(s string) {
	if strings.ContainsAny(s, "\r\n") {
		c.multiline = true
	}
	if strings.IndexByte(s, '"') >= 0 {
		s = strings.ReplaceAll(s, `"`, `""`)
	}
	_, _ = c.w.WriteString(s)
}

func (c *csvFile) str(s string) {
	_ = c.w.WriteByte('"')
	c.body(s)
	_ = c.w.WriteByte('"')
}

// opt writes s, or nothing (an absent property) when it is empty.
func (c *csvFile) opt(s string) {
	if s != "" {
		c.str(s)
	}
}

// list writes v as one field, or nothing (an absent property) when empty.
func (c *csvFile) list(v []string) {
	if len(v) == 0 {
		return
	}
	_ = c.w.WriteByte('"')
	for i, s := range v {
		if i > 0 {
			_ = c.w.WriteByte(bulkArrayDelimiter)
		}
		c.body(s)
	}
	_ = c.w.WriteByte('"')
}

func (c *csvFile) close() error {
	err := c.w.Flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return nil
}

// Server is the Neo4j server a bulk load stops, imports into and starts.
type Server interface {
	// Stop stops the server (a no-op when it is not running).
	Stop(ctx context.Context) error
	// Import runs the offline importer with args (BulkFiles.Args) into the
	// server's database; on failure the database is left as it was and
	// the error holds the importer's log.
	Import(ctx context.Context, args []string) error
	// Start starts the server and waits until Bolt answers.
	Start(ctx context.Context) error
}

// ScriptServer is the local server that deploy/neo4j/neo4j.sh runs.
type ScriptServer struct {
	// Script is the path of neo4j.sh.
	Script string
	// Env is the script's environment (NEO4J_DATA_DIR, NEO4J_BOLT_PORT,
	// NEO4J_PASSWORD, ...); nil means this process's.
	Env []string
}

func (s ScriptServer) run(ctx context.Context, args ...string) error {
	//nolint:gosec // G204: the script is the operator's deploy/neo4j/neo4j.sh; the arguments are the files BulkLoad wrote
	cmd := exec.CommandContext(ctx, "bash", append([]string{s.Script}, args...)...)
	cmd.Env = s.Env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w:\n%s", s.Script, args[0], err, tail(out.String(), 40))
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop runs neo4j.sh stop.
func (s ScriptServer) Stop(ctx context.Context) error { return s.run(ctx, "stop") }

// Import runs neo4j.sh import args.
func (s ScriptServer) Import(ctx context.Context, args []string) error {
	return s.run(ctx, append([]string{"import"}, args...)...)
}

// Start runs neo4j.sh start.
func (s ScriptServer) Start(ctx context.Context) error { return s.run(ctx, "start") }

// BulkOptions tunes BulkLoad.
type BulkOptions struct {
	// Dir receives the CSV files (created; it must not exist or be empty).
	Dir string
	// Server is stopped, imported into and started again.
	Server Server
	// Now stamps the sync runs (default time.Now()).
	Now time.Time
}

// BulkResult is what BulkLoad did, step by step.
type BulkResult struct {
	// Store is open on the loaded database; the caller closes it.
	Store *Store
	// Files are the CSV files written.
	Files *BulkFiles
	// Write (the CSV files), Stop, Import (the importer), Start (until Bolt
	// answers) and Schema (Open: constraints and indexes built) time each
	// step.
	Write, Stop, Import, Start, Schema time.Duration
}

// Total is the time of every step.
func (r *BulkResult) Total() time.Duration { return r.Write + r.Stop + r.Import + r.Start + r.Schema }

// BulkLoad loads batches into the empty database of cfg with Neo4j's
// offline importer: it refuses a database holding anything but schema
// records, writes the CSV files (WriteBulkFiles: a malformed batch fails
// before any file is written), stops the server, imports, starts it, and
// opens the store, which builds the constraints and indexes. If the
// importer fails, the server is started again on the database as it was,
// and the error holds the importer's log. Use it for an initial load;
// later runs of the same sources are ordinary sync runs (ingest.Write),
// which sweep what a source no longer reports.
func BulkLoad(ctx context.Context, cfg Config, batches []*graph.Batch, opt BulkOptions) (*BulkResult, error) {
	cfg.defaults()
	if opt.Server == nil {
		return nil, errors.New("bulk import: no server to import into")
	}
	if opt.Dir == "" {
		return nil, errors.New("bulk import: no directory for the CSV files")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if err := CheckEmpty(ctx, cfg); err != nil {
		return nil, err
	}
	res := &BulkResult{}
	t := time.Now()
	files, err := WriteBulkFiles(opt.Dir, batches, opt.Now)
	if err != nil {
		return nil, err
	}
	res.Files, res.Write = files, time.Since(t)
	cfg.Logger.Info("bulk import: files written", "dir", files.Dir, "nodes", files.Nodes, "edges", files.Edges,
		"runs", len(files.Runs), "duration", res.Write.Round(time.Millisecond))
	t = time.Now()
	if err := opt.Server.Stop(ctx); err != nil {
		return nil, fmt.Errorf("bulk import: stop neo4j: %w", err)
	}
	res.Stop = time.Since(t)
	t = time.Now()
	ierr := opt.Server.Import(ctx, files.Args)
	res.Import = time.Since(t)
	t = time.Now()
	serr := opt.Server.Start(ctx)
	res.Start = time.Since(t)
	if ierr != nil {
		if serr != nil {
			return nil, fmt.Errorf("bulk import: the importer failed, the database is as it was: %w (and starting neo4j again failed: %w)", ierr, serr)
		}
		return nil, fmt.Errorf("bulk import: the importer failed, the database is as it was: %w", ierr)
	}
	if serr != nil {
		return nil, fmt.Errorf("bulk import: imported, but starting neo4j failed: %w", serr)
	}
	cfg.Logger.Info("bulk import: imported", "import", res.Import.Round(time.Millisecond),
		"start", res.Start.Round(time.Millisecond))
	t = time.Now()
	st, err := Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bulk import: imported, but: %w", err)
	}
	res.Schema = time.Since(t)
	n, e, err := st.Counts(ctx)
	if err == nil && (n != files.Nodes || e != files.Edges) {
		err = fmt.Errorf("the database holds %d nodes and %d relationships, the files %d and %d", n, e, files.Nodes, files.Edges)
	}
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("bulk import: check: %w", err)
	}
	res.Store = st
	cfg.Logger.Info("bulk import complete", "nodes", n, "edges", e, "schema", res.Schema.Round(time.Millisecond),
		"total", res.Total().Round(time.Millisecond))
	return res, nil
}

// CheckEmpty returns an error unless the database of cfg holds nothing but
// schema records (:Migration nodes): a bulk import replaces the database.
func CheckEmpty(ctx context.Context, cfg Config) error {
	cfg.defaults()
	if cfg.Password == "" {
		return fmt.Errorf("neo4j at %s: no password: set NEO4J_PASSWORD", redactURI(cfg.URI))
	}
	drv, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""))
	if err != nil {
		return fmt.Errorf("neo4j at %s: %w", redactURI(cfg.URI), err)
	}
	s := &Store{drv: drv, cfg: cfg, log: cfg.Logger}
	defer s.Close()
	if err := s.verify(ctx); err != nil {
		return err
	}
	out, err := s.read(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `CALL () { MATCH (n) WHERE NOT n:Migration RETURN n LIMIT 1 }
			RETURN count(n) AS c, collect(labels(n))[0] AS labels`, nil)
		if err != nil {
			return nil, err
		}
		rec, err := res.Single(ctx)
		if err != nil {
			return nil, err
		}
		c, _ := rec.Get("c")
		l, _ := rec.Get("labels")
		return [2]any{c, l}, nil
	})
	if err != nil {
		return fmt.Errorf("neo4j at %s: %w", redactURI(cfg.URI), err)
	}
	v := out.([2]any)
	if i64(v[0]) > 0 {
		labels := strings.Join(decodeStrings(v[1]), ":")
		return fmt.Errorf("neo4j at %s: bulk import needs an empty database, and this one holds data (a :%s node, "+
			"at least): ingest without --bulk-import (sync runs update a loaded graph), or empty the database first",
			redactURI(cfg.URI), labels)
	}
	return nil
}
