package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/server"
	centralstore "permitdesk/central/store"
	"permitdesk/devices/idcard"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	simcard "permitdesk/devices/sim/card"
	evolissim "permitdesk/devices/sim/evolis"
	idreadersim "permitdesk/devices/sim/idreader"
	"permitdesk/devices/sim/psam"
	rewritersim "permitdesk/devices/sim/rewriter"
)

func init() {
	simCommands = append(simCommands, newSimStackCmd, newSimControlCmd)
}

// stackOptions are the flags of `sim stack`.
type stackOptions struct {
	dir     string
	seedDir string
	station string
	addr    string
	fast    bool
	idCards int
	hopper  int
	// readerWait bounds the wait for the vpcd readers.
	readerWait time.Duration
}

// Files that `sim stack` creates inside its directory. The demo and the
// documentation refer to them by these names.
const (
	stackConfig      = "permitdesk.toml"
	stackReady       = "stack.ready"
	stackIdentities  = "identities.json"
	stackCardSocket  = "card.sock"
	stackPrinterTTY  = "printer.tty"
	stackPrinterSock = "printer.sock"
	stackRewriterTTY = "rewriter.tty"
	stackRewriterSk  = "rewriter.sock"
	stackIDReaderTTY = "idreader.tty"
	stackIDReaderSk  = "idreader.sock"
)

func newSimStackCmd(env *Env) *cobra.Command {
	var o stackOptions
	cmd := &cobra.Command{
		Use:   "stack",
		Short: "Run the whole emulated station: pcscd, cards, PSAM, printers, ID reader and central server",
		Long: "Start every emulator of a workstation and the reference central server, then\n" +
			"write a workstation configuration for them to DIR/" + stackConfig + ".\n" +
			"pcscd is started in the foreground when no PC/SC service is running and stopped\n" +
			"again on exit. DIR/" + stackReady + " appears when everything answers; Ctrl-C stops\n" +
			"everything and removes it.\n\n" +
			"Control sockets in DIR (send lines with `permitdesk sim control`):\n" +
			"  " + stackCardSocket + "      card emulator: insert blank | insert SERIAL | remove | status\n" +
			"  " + stackPrinterSock + "   printer faults\n" +
			"  " + stackRewriterSk + "  rewriter faults\n" +
			"  " + stackIDReaderSk + "  ID reader: place N | remove | fault NAME | status",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStack(cmd.Context(), env, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.dir, "dir", "", "directory for the stack's files, created if missing (required)")
	fl.StringVar(&o.seedDir, "seed", "testdata/applications",
		"seed data for the central server; generated when the directory does not exist")
	fl.StringVar(&o.station, "station", "DEV-0001", "station id of the workstation")
	fl.StringVar(&o.addr, "central-addr", "127.0.0.1:0", "address of the central server (port 0: any free port)")
	fl.BoolVar(&o.fast, "fast", false, "no mechanical delays in the printers (default: realistic times)")
	fl.IntVar(&o.idCards, "id-cards", 20, "ID cards in the reader's deck, made from the station's approved applications")
	fl.IntVar(&o.hopper, "hopper", 100, "blank cards in the card hopper")
	fl.DurationVar(&o.readerWait, "reader-wait", pcsctest.LockTimeout,
		"how long to wait for the vpcd readers while a test or another stack uses them")
	cmd.MarkFlagRequired("dir")
	return cmd
}

// runStack starts every component, writes the configuration, and waits for
// Ctrl-C or the first component to fail.
func runStack(ctx context.Context, env *Env, o stackOptions) error {
	log, err := stackLogger(env, o.dir)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Remove(filepath.Join(o.dir, stackReady))

	stopPCSCD, err := ensurePCSCD(ctx, log)
	if err != nil {
		return err
	}
	defer stopPCSCD()
	unlock, err := lockReaders(ctx, env.Out, log, o.readerWait)
	if err != nil {
		return err
	}
	defer unlock()

	g, gctx := errgroup.WithContext(ctx)
	central, err := startCentral(gctx, g, o, log)
	if err != nil {
		return err
	}
	if err := startDevices(gctx, g, o, central.applications, log); err != nil {
		return err
	}
	if err := writeStackConfig(o, central.url); err != nil {
		return err
	}
	ready := filepath.Join(o.dir, stackReady)
	if err := os.WriteFile(ready, []byte(central.url+"\n"), 0o644); err != nil {
		return err
	}
	defer os.Remove(ready)
	printStackUse(env.Out, o.dir, central.url)
	log.Info("stack ready", "dir", o.dir, "central", central.url)

	err = g.Wait()
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		log.Info("stack stopped")
		return nil
	}
	return err
}

// stackLogger logs to DIR/stack.log and stderr, because the stack has no
// workstation configuration of its own.
func stackLogger(env *Env, dir string) (*slog.Logger, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create stack directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "stack.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	level := slog.LevelInfo
	if env.LogLevel == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: level})), nil
}

// ensurePCSCD starts pcscd in the foreground when no PC/SC service lists the
// vpcd readers, and returns a function that stops the pcscd it started.
func ensurePCSCD(ctx context.Context, log *slog.Logger) (func(), error) {
	if readers, err := pcsc.ListReaders(ctx); err == nil && slices.Contains(readers, pcsctest.EncoderReader) {
		log.Info("pcscd already running")
		return func() {}, nil
	}
	path, err := exec.LookPath("pcscd")
	if err != nil {
		return nil, fmt.Errorf("pcscd not found: install pcscd and vsmartcard-vpcd (scripts/setup does): %w", err)
	}
	cmd := exec.Command(path, "--foreground")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pcscd: %w", err)
	}
	log.Info("pcscd started", "pid", cmd.Process.Pid)
	stopFn := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
		}
		log.Info("pcscd stopped")
	}
	if err := pcsctest.Ensure(ctx, 15*time.Second); err != nil {
		stopFn()
		return nil, err
	}
	return stopFn, nil
}

// lockReaders takes the cross-process locks on both vpcd readers, so tests
// that drive the same readers wait instead of stealing the card emulator's
// connection. Ctrl-C ends the wait.
func lockReaders(ctx context.Context, out io.Writer, log *slog.Logger, wait time.Duration) (func(), error) {
	type result struct {
		unlock func()
		err    error
	}
	done := make(chan result, 1)
	go func() {
		enc, err := pcsctest.LockAddrWait(pcsctest.EncoderAddr, wait)
		if err != nil {
			done <- result{err: err}
			return
		}
		sam, err := pcsctest.LockAddrWait(pcsctest.PSAMAddr, wait)
		if err != nil {
			enc()
			done <- result{err: err}
			return
		}
		done <- result{unlock: func() { sam(); enc() }}
	}()
	select {
	case r := <-done:
		return r.unlock, r.err
	case <-time.After(2 * time.Second):
		fmt.Fprintln(out, "waiting for the vpcd readers: another stack or a test is using them")
		log.Info("waiting for the vpcd readers")
	}
	select {
	case r := <-done:
		return r.unlock, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("stopped while waiting for the vpcd readers: %w", ctx.Err())
	}
}

type centralInfo struct {
	url          string
	applications []seed.Application
}

// startCentral creates the development PKI on first use, seeds the central
// database, and serves it on o.addr.
func startCentral(ctx context.Context, g *errgroup.Group, o stackOptions, log *slog.Logger) (centralInfo, error) {
	pkiDir := filepath.Join(o.dir, "pki")
	if _, err := pki.LoadCA(pkiDir); err != nil {
		if _, err := pki.Init(pki.InitOptions{Dir: pkiDir, Stations: []string{o.station}}); err != nil {
			return centralInfo{}, fmt.Errorf("create development PKI: %w", err)
		}
	}
	sealKey, _, err := pki.LoadOrCreateSealKey(pkiDir)
	if err != nil {
		return centralInfo{}, err
	}
	ds, err := loadOrGenerateSeed(o.seedDir)
	if err != nil {
		return centralInfo{}, err
	}
	st, err := centralstore.Open(ctx, centralstore.Options{Dir: filepath.Join(o.dir, "central"), SealKey: sealKey})
	if err != nil {
		return centralInfo{}, err
	}
	if err := seedStack(ctx, st, ds); err != nil {
		st.Close()
		return centralInfo{}, err
	}
	srv, err := server.New(server.Options{Store: st, Log: log.With("emulator", "central")})
	if err != nil {
		st.Close()
		return centralInfo{}, err
	}
	addrCh := make(chan net.Addr, 1)
	g.Go(func() error {
		defer st.Close()
		return srv.ListenAndServe(ctx, o.addr, pkiDir, func(a net.Addr) { addrCh <- a })
	})
	select {
	case a := <-addrCh:
		return centralInfo{url: "https://" + a.String(), applications: ds.Applications}, nil
	case <-ctx.Done():
		return centralInfo{}, fmt.Errorf("central server did not start: %w", context.Cause(ctx))
	}
}

// seedStack seeds an empty central database and seals the approved
// applications that a database from an earlier stack run left unsealed.
func seedStack(ctx context.Context, st *centralstore.Store, ds *seed.Dataset) error {
	empty, err := st.Empty(ctx)
	if err == nil && empty {
		err = st.Seed(ctx, ds)
	}
	if err != nil {
		return fmt.Errorf("seed central database: %w", err)
	}
	if _, err := st.SealMissing(ctx); err != nil {
		return fmt.Errorf("seal central applications: %w", err)
	}
	return nil
}

func loadOrGenerateSeed(dir string) (*seed.Dataset, error) {
	if _, err := os.Stat(filepath.Join(dir, seed.ApplicationsFile)); err == nil {
		return seed.Load(dir)
	}
	return seed.Generate(seed.Options{})
}

// startDevices starts the card, PSAM, printer, rewriter and ID reader
// emulators, each on its real transport.
func startDevices(ctx context.Context, g *errgroup.Group, o stackOptions, apps []seed.Application, log *slog.Logger) error {
	cards, err := simcard.New(simcard.Options{StateDir: filepath.Join(o.dir, "cards"), Hopper: o.hopper,
		Logger: log.With("emulator", "card-sim")})
	if err != nil {
		return err
	}
	g.Go(func() error { return cards.Run(ctx) })
	g.Go(func() error { return cards.ServeControl(ctx, filepath.Join(o.dir, stackCardSocket)) })

	keyCard := psam.New(psam.Options{Logger: log.With("emulator", "psam-sim")})
	g.Go(func() error { return keyCard.Run(ctx) })

	if err := startPrinters(ctx, g, o, cards, log); err != nil {
		return err
	}
	return startIDReader(ctx, g, o, apps, log)
}

// cardSlot inserts a blank card into the card emulator when the printer
// moves a card to its contactless station, and removes it on eject.
type cardSlot struct{ e *simcard.Emulator }

func (s cardSlot) Insert(context.Context) (string, error) {
	serial, err := s.e.InsertBlank()
	return serial.String(), err
}

func (s cardSlot) Remove(context.Context) error { s.e.Remove(); return nil }

func startPrinters(ctx context.Context, g *errgroup.Group, o stackOptions, cards *simcard.Emulator, log *slog.Logger) error {
	popts := evolissim.Options{Link: filepath.Join(o.dir, stackPrinterTTY), OutDir: filepath.Join(o.dir, "printed"),
		Slot: cardSlot{cards}, Logger: log.With("emulator", "printer-sim")}
	ropts := rewritersim.Options{Link: filepath.Join(o.dir, stackRewriterTTY), OutDir: filepath.Join(o.dir, "strips"),
		CardInserted: true, Logger: log.With("emulator", "rewriter-sim")}
	if !o.fast {
		popts.Timing = evolissim.RealisticTiming()
		ropts.Timing = rewritersim.RealisticTiming()
	}
	printer, err := evolissim.New(popts)
	if err != nil {
		return err
	}
	rewriter, err := rewritersim.New(ropts)
	if err != nil {
		return err
	}
	g.Go(func() error { return printer.Run(ctx) })
	g.Go(func() error { return printer.ServeControl(ctx, filepath.Join(o.dir, stackPrinterSock)) })
	g.Go(func() error { return rewriter.Run(ctx) })
	g.Go(func() error { return rewriter.ServeControl(ctx, filepath.Join(o.dir, stackRewriterSk)) })
	return nil
}

func startIDReader(ctx context.Context, g *errgroup.Group, o stackOptions, apps []seed.Application, log *slog.Logger) error {
	ids, err := identitiesFor(apps, o.station, o.idCards)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.dir, stackIdentities), b, 0o644); err != nil {
		return err
	}
	emu := idreadersim.NewEmulator(ids, log.With("emulator", "idreader-sim"))
	emu.RequireRemoval = true
	srv, err := idreadersim.NewSerial(emu, filepath.Join(o.dir, stackIDReaderTTY), log)
	if err != nil {
		return err
	}
	g.Go(func() error { defer srv.Close(); return srv.Run(ctx) })
	g.Go(func() error { return emu.ServeControl(ctx, filepath.Join(o.dir, stackIDReaderSk)) })
	return nil
}

// identitiesFor turns the station's first n approved applications, in id
// order, into national ID cards, so that a card read at the reader matches an
// application the workstation pulls from the central server.
func identitiesFor(apps []seed.Application, station string, n int) ([]idcard.Identity, error) {
	var mine []seed.Application
	for _, a := range apps {
		if a.StationID == station && a.Status == seed.StatusApproved {
			mine = append(mine, a)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].ID < mine[j].ID })
	if len(mine) == 0 {
		return nil, fmt.Errorf("the seed data has no approved application for station %q: "+
			"pass --station with a station the seed data covers", station)
	}
	ids := make([]idcard.Identity, 0, n)
	for _, a := range mine[:min(n, len(mine))] {
		id, err := identityOf(a)
		if err != nil {
			return nil, fmt.Errorf("application %s: %w", a.ID, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func identityOf(a seed.Application) (idcard.Identity, error) {
	// The central system writes ethnic groups without the 族 suffix.
	code, ok := idcard.EthnicityCode(a.Holder.Ethnicity)
	if !ok {
		code, ok = idcard.EthnicityCode(a.Holder.Ethnicity + "族")
	}
	if !ok {
		return idcard.Identity{}, fmt.Errorf("unknown ethnicity %q", a.Holder.Ethnicity)
	}
	name, err := idcard.EthnicityName(code)
	if err != nil {
		return idcard.Identity{}, err
	}
	birth := idcard.DateOf(a.Holder.BirthDate.Time)
	// An adult's ID card is valid for 20 years. The emulated card was
	// issued five years before today, so it is valid on any demo day.
	issued := idcard.DateOf(time.Now().AddDate(-5, 0, 0))
	return idcard.Identity{
		CardType: idcard.Resident, Name: a.Holder.Name, Sex: idcard.Sex(a.Holder.Sex),
		Ethnicity: code, EthnicityName: name, BirthDate: birth, Address: a.Holder.HukouAddress,
		Number: a.Holder.IdNumber, Authority: issuingAuthority(a.Holder.IdNumber),
		ValidFrom: issued, ValidTo: idcard.Date{Year: issued.Year + 20, Month: issued.Month, Day: issued.Day},
	}, nil
}

// issuingAuthority names the public-security department of the holder's
// home province, as the back of an ID card names an issuing bureau.
func issuingAuthority(number string) string {
	province := idcard.Province(number)
	switch province {
	case "北京", "天津", "上海", "重庆":
		return province + "市公安局"
	case "内蒙古", "广西", "西藏", "宁夏", "新疆":
		return province + "自治区公安厅"
	}
	return province + "省公安厅"
}

// writeStackConfig writes the workstation configuration for the stack.
func writeStackConfig(o stackOptions, centralURL string) error {
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	pkiDir := filepath.Join(abs, "pki")
	cert, key := pki.StationFiles(pkiDir, o.station)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by `permitdesk sim stack`; it points at the emulators in this directory.\n")
	fmt.Fprintf(&b, "station_id = %s\ndata_dir = %s\nlog_level = \"info\"\n\n", quote(o.station), quote(filepath.Join(abs, "station")))
	fmt.Fprintf(&b, "[central]\nurl = %s\nca_file = %s\ncert_file = %s\nkey_file = %s\n",
		quote(centralURL), quote(filepath.Join(pkiDir, pki.CAFile)), quote(cert), quote(key))
	fmt.Fprintf(&b, "# Empty: trust the seal keys fetched from the central server. Pin its key with\n"+
		"# seal_key_file = %s\nseal_key_file = \"\"\n\n", quote(filepath.Join(pkiDir, pki.SealPubFile)))
	fmt.Fprintf(&b, "[keys]\nsource = \"psam\"\n\n")
	fmt.Fprintf(&b, "[printing]\noutput_dir = %s\n\n", quote(filepath.Join(abs, "faces")))
	fmt.Fprintf(&b, "[devices.encoder]\nname = %s\n\n", quote(pcsctest.EncoderReader))
	fmt.Fprintf(&b, "[devices.psam]\nname = %s\n\n", quote(pcsctest.PSAMReader))
	fmt.Fprintf(&b, "# vpcd offers two readers, so the desk reader is the encoder's reader here.\n")
	fmt.Fprintf(&b, "[devices.desk_reader]\nname = %s\n\n", quote(pcsctest.EncoderReader))
	fmt.Fprintf(&b, "[devices.printer]\nport = %s\n\n", quote(filepath.Join(abs, stackPrinterTTY)))
	fmt.Fprintf(&b, "[devices.rewriter]\nport = %s\n\n", quote(filepath.Join(abs, stackRewriterTTY)))
	fmt.Fprintf(&b, "[devices.idreader]\ntransport = \"serial\"\nport = %s\n", quote(filepath.Join(abs, stackIDReaderTTY)))
	return os.WriteFile(filepath.Join(o.dir, stackConfig), b.Bytes(), 0o644)
}

func quote(s string) string { return strconv.Quote(s) }

// newSimControlCmd sends one line to an emulator's control socket.
func newSimControlCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "control SOCKET COMMAND...",
		Short: "Send a command to an emulator's control socket and print the reply",
		Example: "  permitdesk sim control demo/stack/idreader.sock place 0\n" +
			"  permitdesk sim control demo/stack/card.sock insert 5044000000000001",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			reply, err := sendControl(cmd.Context(), args[0], joinArgs(args[1:]))
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Out, reply)
			if len(reply) >= 3 && reply[:3] == "err" {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
}

// sendControl writes one command line to a unix socket and reads one reply line.
func sendControl(ctx context.Context, socket, line string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", fmt.Errorf("connect to control socket %s: %w (is the emulator running?)", socket, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 0, 256)
	one := make([]byte, 1)
	for {
		n, err := conn.Read(one)
		if n == 1 && one[0] != '\n' {
			buf = append(buf, one[0])
		}
		if (n == 1 && one[0] == '\n') || err != nil {
			if len(buf) == 0 && err != nil {
				return "", fmt.Errorf("read reply from %s: %w", socket, err)
			}
			return string(buf), nil
		}
	}
}

func joinArgs(args []string) string { return strings.Join(args, " ") }

// printStackUse prints where the stack is and the first commands to run on
// it, for a technician who starts it by hand.
func printStackUse(w io.Writer, dir, centralURL string) {
	cfg := filepath.Join(dir, stackConfig)
	fmt.Fprintf(w, "stack ready: configuration %s, central %s\n", cfg, centralURL)
	fmt.Fprintf(w, "  devices:  permitdesk --config %s devices\n", cfg)
	fmt.Fprintf(w, "  window:   permitdesk --config %s\n", cfg)
	fmt.Fprintf(w, "  faults:   permitdesk sim control %s help   (also card.sock, rewriter.sock, idreader.sock)\n",
		filepath.Join(dir, "printer.sock"))
	fmt.Fprintf(w, "  stop:     Ctrl-C\n")
}
