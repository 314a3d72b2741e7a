package diag

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"

	"permitdesk/app/config"
	"permitdesk/devices/evolis"
	"permitdesk/devices/hidio"
	"permitdesk/devices/serialport"
	idreadersim "permitdesk/devices/sim/idreader"
)

func TestPrinterGood(t *testing.T) {
	cfg := testConfig(t)
	startPrinter(t, &cfg)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	for _, id := range printerCheckIDs {
		expect(t, r, id, StatusPass, "")
	}
	id := expect(t, r, "printer.identity", StatusPass, "")
	if id.Details["model"] != "Evolis Primacy" || id.Details["serial"] != "EMU00001" {
		t.Errorf("identity details %v, want the emulator's model and serial", id.Details)
	}
	if got := expect(t, r, "printer.ribbon", StatusPass, "").Details["ribbon_left"]; got != "1000" {
		t.Errorf("ribbon_left %q, want 1000", got)
	}
}

func TestPrinterCoverOpen(t *testing.T) {
	cfg := testConfig(t)
	sim := startPrinter(t, &cfg)
	sim.SetCoverOpen(true)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	c := expect(t, r, "printer.sensors", StatusFail, "close the printer cover")
	if c.Details["cover"] != "open" {
		t.Errorf("cover detail %q, want open", c.Details["cover"])
	}
	if !r.Failed() {
		t.Error("report not failed with the cover open")
	}
}

func TestPrinterRibbonLow(t *testing.T) {
	cfg := testConfig(t)
	sim := startPrinter(t, &cfg)
	sim.ReplaceRibbon(20)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	expect(t, r, "printer.ribbon", StatusWarn, "ribbon")
}

func TestPrinterPortMissing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices.Printer.Port = filepath.Join(t.TempDir(), "ttyUSB9")
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	c := expect(t, r, "printer.port", StatusFail, "devices.printer.port")
	if !strings.Contains(c.Reason, "does not exist") {
		t.Errorf("reason %q does not say the port does not exist", c.Reason)
	}
	expect(t, r, "printer.sensors", StatusSkip, "")
}

// TestPrinterPortHeld holds the port open the way go.bug.st/serial and
// terminal programs do (exclusive mode), as another program would.
func TestPrinterPortHeld(t *testing.T) {
	cfg := testConfig(t)
	startPrinter(t, &cfg)
	p, err := serial.Open(cfg.Devices.Printer.Port, &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	c := expect(t, r, "printer.port", StatusFail, "close the program")
	if !strings.Contains(c.Reason, "held by") {
		t.Errorf("reason %q does not say the port is held", c.Reason)
	}
	p.Close()
	r = run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	expect(t, r, "printer.port", StatusPass, "")
}

// TestPrinterSilentPortNamesHolder opens a pseudo-terminal with no device
// behind it in a child process: the check times out and names the child.
func TestPrinterSilentPortNamesHolder(t *testing.T) {
	pty, err := serialport.OpenPty(filepath.Join(t.TempDir(), "silent"))
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	f, err := os.OpenFile(pty.SlavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("sleep", "30")
	holder.Stdin = f
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	cfg := testConfig(t)
	cfg.Devices.Printer.Port = pty.SlavePath
	s := New(Options{Config: cfg, DeviceTimeout: 300 * time.Millisecond})
	r := run(t, s, RunOptions{Devices: []string{"printer"}})
	c := expect(t, r, "printer.port", StatusFail, "sleep (pid")
	if !strings.Contains(c.Reason, "does not answer") {
		t.Errorf("reason %q does not say the printer is silent", c.Reason)
	}
}

func TestRewriterGoodAndCoverOpen(t *testing.T) {
	cfg := testConfig(t)
	sim := startRewriter(t, &cfg)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"rewriter"}})
	for _, id := range rewriterCheckIDs {
		expect(t, r, id, StatusPass, "")
	}
	if rom := expect(t, r, "rewriter.identity", StatusPass, "").Details["rom"]; !strings.Contains(rom, "TCP300II") {
		t.Errorf("rom %q, want the emulator's ROM version", rom)
	}
	sim.SetCoverOpen(true)
	r = run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"rewriter"}})
	expect(t, r, "rewriter.sensors", StatusFail, "close the rewriter cover")
}

func TestRewriterPortMissing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices.Rewriter.Port = "/dev/ttyUSB-permitdesk-none"
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"rewriter"}})
	expect(t, r, "rewriter.port", StatusFail, "devices.rewriter.port")
}

func TestIDReaderGood(t *testing.T) {
	cfg := testConfig(t)
	startIDReader(t, &cfg)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"idreader"}})
	expect(t, r, "idreader.port", StatusPass, "")
	if c := expect(t, r, "idreader.sam", StatusPass, ""); c.Details["sam_id"] == "" {
		t.Error("no SAM id in the details")
	}
}

func TestIDReaderPortMissing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Devices.IDReader.Port = "/dev/ttyUSB-permitdesk-none"
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"idreader"}})
	expect(t, r, "idreader.port", StatusFail, "devices.idreader.port")
}

func TestScannerPresentAndMissing(t *testing.T) {
	cfg := testConfig(t)
	bus, ep := startScanner(t, &cfg)
	r := run(t, New(Options{Config: cfg, HID: bus}), RunOptions{Devices: []string{"scanner"}})
	expect(t, r, "scanner.device", StatusPass, "")
	bus.Unplug(ep.Info().Path)
	r = run(t, New(Options{Config: cfg, HID: bus}), RunOptions{Devices: []string{"scanner"}})
	expect(t, r, "scanner.device", StatusFail, "plug the device in")
}

func TestUnconfiguredDevicesSkip(t *testing.T) {
	cfg := testConfig(t)
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer", "rewriter", "idreader",
		"scanner", "central", "encoder"}})
	if r.Summary.Skip != len(r.Checks) || len(r.Checks) == 0 {
		t.Fatalf("summary %+v over %d checks, want every check skipped", r.Summary, len(r.Checks))
	}
	for _, id := range []string{"encoder.reader", "printer.port", "central.tls", "scanner.device", "idreader.sam"} {
		expect(t, r, id, StatusSkip, "")
	}
	if _, ok := r.Find("pcscd.service"); ok {
		t.Error("pcscd checked although no reader is configured and pcscd was not requested")
	}
	if r.Failed() {
		t.Error("an unconfigured station reports a failure")
	}
}

func TestRunRejectsUnknownDevice(t *testing.T) {
	_, err := New(Options{Config: testConfig(t)}).Run(context.Background(), RunOptions{Devices: []string{"fax"}})
	if err == nil || !strings.Contains(err.Error(), "fax") {
		t.Fatalf("err %v, want one naming the unknown device", err)
	}
}

// TestPrinterPortUUCPLock leaves a UUCP lock file naming a live process, as
// minicom does while it has the port open.
func TestPrinterPortUUCPLock(t *testing.T) {
	cfg := testConfig(t)
	startPrinter(t, &cfg)
	lockDir := t.TempDir()
	saved := uucpLockDirs
	uucpLockDirs = []string{lockDir}
	t.Cleanup(func() { uucpLockDirs = saved })
	holder := exec.Command("sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	target, err := filepath.EvalSymlinks(cfg.Devices.Printer.Port)
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(lockDir, "LCK.."+filepath.Base(target))
	if err := os.WriteFile(lock, []byte(fmt.Sprintf("%10d\n", holder.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	c := expect(t, r, "printer.port", StatusFail, "close the program")
	if !strings.Contains(c.Reason, fmt.Sprint(holder.Process.Pid)) {
		t.Errorf("reason %q does not name the lock's pid", c.Reason)
	}
	holder.Process.Kill()
	holder.Wait()
	r = run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	expect(t, r, "printer.port", StatusPass, "")
}

// TestPrinterLent lends an open printer, as the desktop application does:
// its exclusive hold is not reported, and the printer stays open after the
// checks and a console command.
func TestPrinterLent(t *testing.T) {
	cfg := testConfig(t)
	startPrinter(t, &cfg)
	ctx := context.Background()
	lent, err := evolis.Open(ctx, evolis.Options{Port: serialport.Options{Path: cfg.Devices.Printer.Port,
		Baud: 115200}})
	if err != nil {
		t.Fatal(err)
	}
	defer lent.Close()
	released := 0
	borrow := func(context.Context, evolis.Options) (*evolis.Printer, func(), error) {
		return lent, func() { released++ }, nil
	}
	s := New(Options{Config: cfg, OpenPrinter: borrow})
	r := run(t, s, RunOptions{Devices: []string{"printer"}})
	for _, id := range printerCheckIDs {
		expect(t, r, id, StatusPass, "")
	}
	if released != 1 {
		t.Errorf("printer released %d times, want 1", released)
	}
	if _, err := lent.Status(ctx); err != nil {
		t.Errorf("the lent printer no longer works after the checks: %v", err)
	}
	unlent := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	expect(t, unlent, "printer.port", StatusFail, "close the program")
}

func TestIDReaderOverHID(t *testing.T) {
	ids, err := idreadersim.LoadIdentities("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	emu := idreadersim.NewEmulator(ids, nil)
	bus := hidio.NewEmulator()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info := idreadersim.ReaderHIDInfo("emu-idreader", "IDR001")
	if _, _, err := idreadersim.ServeHID(ctx, emu, bus, info); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Devices.IDReader.Transport = "hid"
	cfg.Devices.IDReader.HID = config.HIDDevice{VendorID: hex4(info.VendorID), ProductID: hex4(info.ProductID),
		Serial: info.Serial}
	r := run(t, New(Options{Config: cfg, HID: bus}), RunOptions{Devices: []string{"idreader"}})
	expect(t, r, "idreader.port", StatusPass, "")
	expect(t, r, "idreader.sam", StatusPass, "")
	bus.Unplug(info.Path)
	r = run(t, New(Options{Config: cfg, HID: bus}), RunOptions{Devices: []string{"idreader"}})
	expect(t, r, "idreader.port", StatusFail, "plug the device in")
}

// TestPrinterStaleExclusiveFlag runs a pseudo-terminal owner in a child
// process, as `permitdesk sim` is, and leaves the exclusive flag on the
// slave the way a driver killed with SIGKILL does: the flag stays because
// the owner keeps its own slave descriptor open.
func TestPrinterStaleExclusiveFlag(t *testing.T) {
	if link := os.Getenv("PERMITDESK_DIAG_PTY_OWNER"); link != "" {
		ownStaleExclusivePty(t, link)
		return
	}
	link := filepath.Join(t.TempDir(), "printer")
	owner := exec.Command(os.Args[0], "-test.run=^TestPrinterStaleExclusiveFlag$", "-test.count=1")
	owner.Env = append(os.Environ(), "PERMITDESK_DIAG_PTY_OWNER="+link)
	stdin, err := owner.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := owner.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); owner.Wait() })
	ready := make([]byte, 6)
	if _, err := io.ReadFull(stdout, ready); err != nil || string(ready) != "ready\n" {
		t.Fatalf("pseudo-terminal owner did not start: %q, %v", ready, err)
	}

	cfg := testConfig(t)
	cfg.Devices.Printer.Port = link
	r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer"}})
	c := expect(t, r, "printer.port", StatusFail, "restart the device emulator")
	if !strings.Contains(c.Reason, fmt.Sprintf("(pid %d)", owner.Process.Pid)) {
		t.Errorf("reason %q does not name the owner, pid %d", c.Reason, owner.Process.Pid)
	}
	if strings.Contains(c.Fix, "close the program") {
		t.Errorf("fix %q asks to close the emulator as if it held the port", c.Fix)
	}
}

// ownStaleExclusivePty is the child side of TestPrinterStaleExclusiveFlag:
// it creates the pseudo-terminal, sets and abandons the exclusive flag, and
// keeps both sides open until its standard input closes.
func ownStaleExclusivePty(t *testing.T, link string) {
	pt, err := serialport.OpenPty(link)
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	fd, err := unix.Open(pt.SlavePath, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetInt(fd, unix.TIOCEXCL, 0); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	fmt.Print("ready\n")
	io.Copy(io.Discard, os.Stdin)
}
