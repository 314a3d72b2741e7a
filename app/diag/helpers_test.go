package diag

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/store"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/server"
	cstore "permitdesk/central/store"
	"permitdesk/devices/hidio"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	simcard "permitdesk/devices/sim/card"
	evolissim "permitdesk/devices/sim/evolis"
	idreadersim "permitdesk/devices/sim/idreader"
	"permitdesk/devices/sim/psam"
	rewritersim "permitdesk/devices/sim/rewriter"
)

// testConfig returns the defaults with a fresh data directory and no
// device configured.
func testConfig(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	return cfg
}

// run runs the service and fails the test on an unknown device name.
func run(t *testing.T, s *Service, o RunOptions) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := s.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// expect fails the test unless check id has status and, when fix is not
// empty, a fix containing it.
func expect(t *testing.T, r Report, id string, status Status, fix string) Check {
	t.Helper()
	c, ok := r.Find(id)
	if !ok {
		t.Fatalf("check %s missing from the report", id)
	}
	if c.Status != status {
		t.Errorf("%s: status %s, want %s (reason %q, fix %q)", id, c.Status, status, c.Reason, c.Fix)
	}
	if fix != "" && !strings.Contains(c.Fix, fix) {
		t.Errorf("%s: fix %q does not mention %q", id, c.Fix, fix)
	}
	return c
}

func serve(t testing.TB, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// startPrinter runs the printer emulator and configures it.
func startPrinter(t testing.TB, cfg *config.Config) *evolissim.Sim {
	t.Helper()
	sim, err := evolissim.New(evolissim.Options{Link: filepath.Join(t.TempDir(), "printer")})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, sim.Run)
	cfg.Devices.Printer.Port = sim.Path()
	return sim
}

// startRewriter runs the rewriter emulator with a card at the inlet.
func startRewriter(t *testing.T, cfg *config.Config) *rewritersim.Sim {
	t.Helper()
	dir := t.TempDir()
	sim, err := rewritersim.New(rewritersim.Options{Link: filepath.Join(dir, "rewriter"), OutDir: dir,
		CardInserted: true})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, sim.Run)
	cfg.Devices.Rewriter.Port = sim.Path()
	return sim
}

// startIDReader runs the serial ID reader emulator with the test identities.
func startIDReader(t *testing.T, cfg *config.Config) *idreadersim.Emulator {
	t.Helper()
	ids, err := idreadersim.LoadIdentities("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	emu := idreadersim.NewEmulator(ids, logging.Discard())
	srv, err := idreadersim.NewSerial(emu, filepath.Join(t.TempDir(), "idreader"), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	serve(t, srv.Run)
	cfg.Devices.IDReader.Transport = "serial"
	cfg.Devices.IDReader.Port = srv.Path()
	return emu
}

// startScanner plugs an emulated HID POS scanner into a new bus.
func startScanner(t *testing.T, cfg *config.Config) (*hidio.Emulator, *hidio.Endpoint) {
	t.Helper()
	bus := hidio.NewEmulator()
	ep, err := bus.Plug(idreadersim.ScannerHIDInfo("emu-scanner", "SC001"), 0)
	if err != nil {
		t.Fatal(err)
	}
	info := ep.Info()
	cfg.Devices.Scanner = config.HIDDevice{VendorID: hex4(info.VendorID), ProductID: hex4(info.ProductID),
		Serial: info.Serial}
	return bus, ep
}

func hex4(v uint16) string { return fmt.Sprintf("%04x", v) }

// startCards runs the card and PSAM emulators on the vpcd readers, holding
// both reader locks for the test, and configures the readers.
func startCards(t *testing.T, cfg *config.Config, opts simcard.Options) *simcard.Emulator {
	t.Helper()
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	pcsctest.Lock(t, pcsctest.PSAMAddr)
	opts.Addr, opts.Hopper = pcsctest.EncoderAddr, 3
	e, err := simcard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, e.Run)
	serve(t, psam.New(psam.Options{Addr: pcsctest.PSAMAddr}).Run)
	cfg.Devices.Encoder.Name = pcsctest.EncoderReader
	cfg.Devices.PSAM.Name = pcsctest.PSAMReader
	cfg.Devices.DeskReader.Name = pcsctest.EncoderReader
	waitReader(t, func(ctx context.Context, r *pcsc.Reader) error { return r.WaitRemoved(ctx) },
		"a card from an earlier test is still in the reader")
	return e
}

// insertCard inserts a blank card and waits until pcscd shows it, because
// pcscd notices a vpcd card only at its next poll.
func insertCard(t *testing.T, e *simcard.Emulator) {
	t.Helper()
	if _, err := e.InsertBlank(); err != nil {
		t.Fatal(err)
	}
	waitReader(t, func(ctx context.Context, r *pcsc.Reader) error {
		_, err := r.WaitCard(ctx)
		return err
	}, "the inserted card did not appear")
}

// waitReader runs wait on the encoder reader with a 5 s limit.
func waitReader(t *testing.T, wait func(context.Context, *pcsc.Reader) error, msg string) {
	t.Helper()
	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wait(ctx, r); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
}

// central is a reference central server on 127.0.0.1 with its PKI.
type central struct {
	url    string
	pkiDir string
	ca     *pki.CA
}

// startCentral serves the reference central system and points cfg at it
// with a station certificate valid for validity.
func startCentral(t *testing.T, cfg *config.Config, validity time.Duration) *central {
	t.Helper()
	dir := t.TempDir()
	c := &central{pkiDir: filepath.Join(dir, "pki")}
	var err error
	if c.ca, err = pki.Init(pki.InitOptions{Dir: c.pkiDir, Stations: []string{cfg.StationID}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := cstore.Open(ctx, cstore.Options{Dir: filepath.Join(dir, "central")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: cfg.StationID, Approved: 2}}, NoPhotos: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Seed(ctx, ds); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := pki.ServerTLS(c.pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.url = "https://" + ln.Addr().String()
	serve(t, func(ctx context.Context) error { return srv.Serve(ctx, ln, tlsConfig) })
	cert, key, err := c.ca.IssueClient(cfg.StationID, pki.RoleStation, time.Now(), validity)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Central.URL, cfg.Central.CAFile = c.url, filepath.Join(c.pkiDir, pki.CAFile)
	cfg.Central.CertFile, cfg.Central.KeyFile = cert, key
	return c
}

// openDB creates the migrated workstation database in cfg.DataDir.
func openDB(t testing.TB, cfg config.Config) *sql.DB {
	t.Helper()
	db, err := store.OpenMigrated(context.Background(), cfg.DataDir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sessions adds a supervisor, a technician and a clerk and logs each in.
func sessions(t *testing.T, db *sql.DB) map[operators.Role]*operators.Session {
	t.Helper()
	ctx := context.Background()
	ops := operators.New(db, operators.Options{Hash: operators.HashParams{Memory: 1024, Time: 1, Threads: 1}})
	out := map[operators.Role]*operators.Session{}
	if _, err := ops.Add(ctx, nil, operators.NewOperator{Login: "sup", Name: "Sup", Role: operators.Supervisor,
		Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	sup, err := ops.Login(ctx, "sup", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	out[operators.Supervisor] = sup
	for _, role := range []operators.Role{operators.Technician, operators.Clerk} {
		login := string(role)
		if _, err := ops.Add(ctx, sup, operators.NewOperator{Login: login, Name: login, Role: role,
			Password: login + "-password"}); err != nil {
			t.Fatal(err)
		}
		if out[role], err = ops.Login(ctx, login, login+"-password"); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
