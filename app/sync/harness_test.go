package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"permitdesk/app/logging"
	"permitdesk/app/store"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/server"
	cstore "permitdesk/central/store"
)

// central is a reference central system on 127.0.0.1 for one test.
type central struct {
	srv    *server.Server
	store  *cstore.Store
	url    string
	pkiDir string
	ca     *pki.CA
	stop   func()
}

var (
	seedOnce gosync.Once
	seedData *seed.Dataset
	seedErr  error
)

// committedSeed loads testdata/applications once per test binary.
func committedSeed(t testing.TB) *seed.Dataset {
	seedOnce.Do(func() { seedData, seedErr = seed.Load("../../testdata/applications") })
	if seedErr != nil {
		t.Fatal(seedErr)
	}
	return seedData
}

// bulkSeed generates n approved applications without portraits for DEV-0001.
func bulkSeed(t testing.TB, n int) *seed.Dataset {
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: "DEV-0001", Approved: n}},
		ExtraHouseCodes: 10, RetiredHouseCodes: 1, NoPhotos: true})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func startCentral(t testing.TB, ds *seed.Dataset, faults server.Faults) *central {
	t.Helper()
	dir := t.TempDir()
	c := &central{pkiDir: filepath.Join(dir, "pki")}
	var err error
	c.ca, err = pki.Init(pki.InitOptions{Dir: c.pkiDir, Stations: []string{"DEV-0001", "DEV-0002"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	centralDir := filepath.Join(dir, "central")
	copySeeded(t, ds, centralDir)
	copySealKey(t, c.pkiDir)
	c.store, err = cstore.Open(ctx, cstore.Options{Dir: centralDir, SealKey: testSealKey})
	if err != nil {
		t.Fatal(err)
	}
	c.srv, err = server.New(server.Options{Store: c.store, Faults: faults, FaultSeed: 7})
	if err != nil {
		t.Fatal(err)
	}
	c.start(t, "127.0.0.1:0")
	t.Cleanup(func() {
		c.stop()
		c.store.Close()
	})
	return c
}

var (
	templatesMu gosync.Mutex
	templates   = map[*seed.Dataset]string{}
	templateDir string
	// testSealKey seals every seeded database of the run, so the seeded
	// templates can be shared; startCentral copies it into each PKI
	// directory.
	testSealKey *pki.SealKey
)

// TestMain removes the seeded database templates after the run.
func TestMain(m *testing.M) {
	var err error
	templateDir, err = os.MkdirTemp("", "permitdesk-sync-test-")
	if err != nil {
		panic(err)
	}
	if testSealKey, err = pki.CreateSealKey(filepath.Join(templateDir, "seal")); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(templateDir)
	os.Exit(code)
}

// copySeeded writes a central database seeded with ds into dir. Each dataset
// is seeded once per run and copied, because seeding dominates the time of
// a test under the race detector.
func copySeeded(t testing.TB, ds *seed.Dataset, dir string) {
	t.Helper()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	src, ok := templates[ds]
	if !ok {
		tdir, err := os.MkdirTemp(templateDir, "central-")
		if err != nil {
			t.Fatal(err)
		}
		st, err := cstore.Open(context.Background(), cstore.Options{Dir: tdir, SealKey: testSealKey})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Seed(context.Background(), ds); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		src = filepath.Join(tdir, cstore.FileName)
		templates[ds] = src
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cstore.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// copySealKey replaces the seal key pair that pki.Init wrote to dir with
// testSealKey's.
func copySealKey(t testing.TB, dir string) {
	t.Helper()
	for _, name := range []string{pki.SealKeyFile, pki.SealPubFile} {
		data, err := os.ReadFile(filepath.Join(templateDir, "seal", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// start serves on addr and sets c.url and c.stop.
func (c *central) start(t testing.TB, addr string) {
	t.Helper()
	tlsConfig, err := pki.ServerTLS(c.pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.url = "https://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.srv.Serve(ctx, ln, tlsConfig) }()
	var once gosync.Once
	c.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("central server: %v", err)
			}
		})
	}
}

// clock is a station clock that tests move by hand.
type clock struct {
	mu     gosync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// station is a workstation database and sync service.
type station struct {
	svc   *Service
	db    *sql.DB
	clock *clock
}

type stationOptions struct {
	station   string
	certFile  string
	keyFile   string
	caFile    string
	offset    time.Duration
	maxReply  int64
	batchSize int
	options   func(*Options)
}

func newStation(t testing.TB, c *central, so stationOptions) *station {
	t.Helper()
	if so.station == "" {
		so.station = "DEV-0001"
	}
	if so.certFile == "" {
		so.certFile, so.keyFile = pki.StationFiles(c.pkiDir, so.station)
	}
	if so.caFile == "" {
		so.caFile = filepath.Join(c.pkiDir, pki.CAFile)
	}

	db, err := store.OpenMigrated(context.Background(), t.TempDir(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{offset: so.offset}
	client, err := NewClient(ClientOptions{BaseURL: c.url, CAFile: so.caFile, CertFile: so.certFile,
		KeyFile: so.keyFile, Timeout: 10 * time.Second, MaxResponseBytes: so.maxReply, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)

	o := Options{DB: db, Client: client, StationID: so.station, Now: clk.Now, BatchSize: so.batchSize,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	if so.options != nil {
		so.options(&o)
	}
	svc, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &station{svc: svc, db: db, clock: clk}
}

// enqueueIssued queues one issued record per application in one
// transaction and returns the keys.
func (s *station) enqueueIssued(t testing.TB, apps []seed.Application) []string {
	t.Helper()
	keys := make([]string, 0, len(apps))
	ctx := context.Background()
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		for i, a := range apps {
			key, err := s.svc.Enqueue(ctx, tx, Record{Kind: KindIssued, ApplicationID: a.ID,
				PermitNumber: a.PermitNumber, CardSerial: cardSerial(i)})
			if err != nil {
				return err
			}
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func cardSerial(i int) string { return fmt.Sprintf("04A1%08X", i) }

// approved returns the approved applications of a station in the dataset.
func approved(ds *seed.Dataset, stationID string) []seed.Application {
	var out []seed.Application
	for _, a := range ds.Applications {
		if a.StationID == stationID && a.Status == seed.StatusApproved {
			out = append(out, a)
		}
	}
	return out
}

// drain pushes until the outbox is empty, moving the station clock past
// every backoff instead of sleeping; it fails after maxRounds.
func (s *station) drain(t testing.TB, maxRounds int) (PushReport, int) {
	t.Helper()
	var total PushReport
	failures := 0
	for round := 0; round < maxRounds; round++ {
		rep, err := s.svc.Push(context.Background())
		total.add(rep)
		if err != nil {
			if !isLinkError(err) {
				t.Fatalf("push: %v", err)
			}
			failures++
		}
		st, serr := s.svc.Status(context.Background())
		if serr != nil {
			t.Fatal(serr)
		}
		if st.OutboxDepth == 0 {
			return total, failures
		}
		s.clock.Advance(time.Second)
	}
	t.Fatalf("outbox not empty after %d rounds", maxRounds)
	return total, failures
}

func (r *PushReport) add(o PushReport) {
	r.Batches += o.Batches
	r.Accepted += o.Accepted
	r.Duplicate += o.Duplicate
	r.Conflict += o.Conflict
	r.Rejected += o.Rejected
	r.Retry += o.Retry
}

func mustStatus(t testing.TB, s *station) Status {
	t.Helper()
	st, err := s.svc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}
