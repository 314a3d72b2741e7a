package diag

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"

	"permitdesk/devices"
	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
)

var printerCheckIDs = []string{"printer.port", "printer.identity", "printer.sensors", "printer.counters",
	"printer.ribbon", "printer.cleaning"}

// usePrinter probes the port and opens the printer driver. It reports the
// port check itself and returns nil when the printer cannot be used; the
// caller calls the returned release function otherwise.
func (s *Service) usePrinter(ctx context.Context, l *checkList) (*evolis.Printer, func()) {
	c := s.opts.Config.Devices.Printer
	if c.Port == "" && c.USBSerial == "" {
		l.skipRest(printerCheckIDs, "not_configured", "not configured: set devices.printer.port to enable it")
		return nil, nil
	}
	path, problem := probePort("devices.printer", c, s.lentPrinter)
	if problem != nil {
		l.fail("printer.port", problem.reason, problem.fix, map[string]string{"path": path}).variant(problem.variant)
		l.skipRest(printerCheckIDs, "prerequisite", "the port cannot be used")
		return nil, nil
	}
	p, release, err := s.opts.OpenPrinter(ctx, evolis.Options{
		Port:    serialport.Options{Path: path, Baud: c.Baud, FlowControl: c.FlowControl},
		Timeout: s.deviceTimeout(c.Timeout.Duration), AckNack: c.AckNack, Logger: s.log,
	})
	if err != nil {
		l.fail("printer.port", fmt.Sprintf("the printer on %s does not answer: %v", path, err),
			noReplyFix(path, "printer", "devices.printer.baud"), map[string]string{"path": path}).variant("no_answer")
		l.skipRest(printerCheckIDs, "prerequisite", "the printer does not answer")
		return nil, nil
	}
	l.pass("printer.port", "printer answers on "+path, map[string]string{"path": path,
		"baud": strconv.Itoa(c.Baud)})
	return p, release
}

// noReplyFix advises on a device that is silent on an open port, naming any
// other program that has the port open.
func noReplyFix(path, what, baudField string) string {
	fix := fmt.Sprintf("switch the %s on, check the cable, and check %s against the %s's setting",
		what, baudField, what)
	if holders := portHolders(path); len(holders) > 0 {
		fix += fmt.Sprintf("; %s also has %s open and may be taking the replies: close it",
			strings.Join(holders, ", "), path)
	}
	return fix
}

// checkPrinter runs the printer checks.
func (s *Service) checkPrinter(ctx context.Context) []Check {
	l := checkList{device: "printer"}
	p, release := s.usePrinter(ctx, &l)
	if p == nil {
		return l.checks
	}
	defer release()
	st, err := p.Status(ctx)
	if err != nil {
		l.fail("printer.identity", "reading the printer status failed: "+err.Error(), printerFix(err), nil)
		l.skipRest(printerCheckIDs, "prerequisite", "the status cannot be read")
		return l.checks
	}
	l.pass("printer.identity", fmt.Sprintf("%s, serial %s, firmware %s", st.Model, st.Serial, st.Firmware),
		map[string]string{"model": st.Model, "serial": st.Serial, "firmware": st.Firmware})
	printerSensors(&l, st)
	l.pass("printer.counters", fmt.Sprintf("%d cards fed, %d panels printed", st.Counters.Inserted,
		st.Counters.Panels), map[string]string{"cards_inserted": strconv.Itoa(st.Counters.Inserted),
		"panels_printed": strconv.Itoa(st.Counters.Panels)})
	s.printerRibbon(ctx, &l, p)
	printerCleaning(ctx, &l, p)
	return l.checks
}

func printerSensors(l *checkList, st evolis.Status) {
	d := map[string]string{"cover": openClosed(st.CoverOpen), "feeder": emptyLoaded(st.FeederEmpty),
		"position": string(st.Position)}
	switch {
	case st.CoverOpen:
		l.fail("printer.sensors", "the printer cover is open", "close the printer cover", d)
	case st.Position != evolis.PositionNone:
		l.warn("printer.sensors", fmt.Sprintf("a card is held in the printer (%s)", st.Position),
			"finish or recover the job that owns the card from the Queue screen; a card with no job "+
				"is sent to the reject box by job recovery", d).variant("card_inside")
	case st.FeederEmpty:
		l.warn("printer.sensors", "the card feeder is empty", "load blank permit cards into the feeder", d).
			variant("feeder_empty")
	default:
		l.pass("printer.sensors", "cover closed, feeder loaded, no card inside", d)
	}
}

// printerRibbon reads the ribbon's remaining panels (Rco;l) and its end
// mark (Rcr).
func (s *Service) printerRibbon(ctx context.Context, l *checkList, p *evolis.Printer) {
	left, err := p.Command(ctx, "Rco", "l")
	if err != nil {
		l.fail("printer.ribbon", "reading the ribbon counter failed: "+err.Error(), printerFix(err), nil).
			variant("read_failed")
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(left))
	if err != nil {
		l.warn("printer.ribbon", fmt.Sprintf("the printer reports %q panels left, not a number", left),
			"check the ribbon type with the printer's own tools", nil).variant("not_number")
		return
	}
	d := map[string]string{"ribbon_left": strconv.Itoa(n)}
	if _, err := p.Command(ctx, "Rcr"); err != nil || n <= 0 {
		reason := "the ribbon is used up"
		if err != nil {
			reason += ": " + err.Error()
		}
		l.fail("printer.ribbon", reason, "fit a new monochrome ribbon", d).variant("used_up")
		return
	}
	if n < s.opts.RibbonWarn {
		l.warn("printer.ribbon", fmt.Sprintf("%d panels left on the ribbon", n),
			"have a new monochrome ribbon ready", d).variant("low")
		return
	}
	l.pass("printer.ribbon", fmt.Sprintf("%d panels left on the ribbon", n), d)
}

// printerCleaning reads whether the roller needs cleaning (Rlr;r) and the
// cleaning counters (Rco;a, Rco;m, Rco;n).
func printerCleaning(ctx context.Context, l *checkList, p *evolis.Printer) {
	d := map[string]string{}
	for _, c := range []struct{ which, key string }{{"a", "cleaning_average"}, {"m", "cleaning_max"},
		{"n", "cleanings"}} {
		if v, err := p.Command(ctx, "Rco", c.which); err == nil {
			d[c.key] = v
		}
	}
	_, err := p.Command(ctx, "Rlr", "r")
	switch {
	case evolis.IsCode(err, evolis.CodeCleaning):
		l.warn("printer.cleaning", "the printer asks for cleaning", "run a cleaning card through the printer "+
			"(cleaning kit, printer command Scp)", d)
	case err != nil:
		l.fail("printer.cleaning", "reading the cleaning state failed: "+err.Error(), printerFix(err), d)
	default:
		l.pass("printer.cleaning", "no cleaning due", d)
	}
}

// printerFix is the operator text for a printer error code.
func printerFix(err error) string {
	var de *devices.Error
	if errors.As(err, &de) && de.Code != "" {
		return evolis.Message(de.Code, "en")
	}
	if errors.Is(err, devices.ErrTimeout) {
		return "switch the printer on and check the cable"
	}
	return "switch the printer off and on, then run the diagnostics again"
}

func openClosed(open bool) string {
	if open {
		return "open"
	}
	return "closed"
}

func emptyLoaded(empty bool) string {
	if empty {
		return "empty"
	}
	return "loaded"
}

// testPattern draws the test card face: a border, a 2 mm grid, both
// diagonals and a row of solid blocks, so missing dots, skew and contrast
// show on the printed card.
func testPattern() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, evolis.CardWidth, evolis.CardHeight))
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: 0xFF})
			if testDot(x, y, w, h) {
				img.SetGray(x, y, color.Gray{})
			}
		}
	}
	return img
}

func testDot(x, y, w, h int) bool {
	const grid = 24 // 2 mm at 300 dpi
	border := x < 6 || y < 6 || x >= w-6 || y >= h-6
	lines := x%grid == 0 || y%grid == 0
	diagonal := abs(x*h-y*w) < w || abs((w-x)*h-y*w) < w
	blocks := y > h-120 && y < h-40 && (x/80)%2 == 0
	return border || lines || diagonal || blocks
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// printTestCard feeds a card, prints the test pattern on its front and
// ejects it.
func (s *Service) printTestCard(ctx context.Context) Check {
	l := checkList{device: "printer"}
	p, release := s.usePrinter(ctx, &l)
	if p == nil {
		return l.checks[0]
	}
	defer release()
	face, err := evolis.PackPanel(testPattern())
	if err != nil {
		return failCheck("printer.test_card", "printer", "render_failed", "rendering the test pattern failed: "+err.Error(), "")
	}
	job, err := p.FeedToContactless(ctx)
	if err != nil {
		return failCheck("printer.test_card", "printer", "feed_failed", "feeding a card failed: "+err.Error(), printerFix(err))
	}
	if err := p.PrintFaces(ctx, job, face, nil); err != nil {
		if job.State == evolis.JobNotPrinted {
			err = errors.Join(err, p.EjectToReject(ctx, job))
		}
		return failCheck("printer.test_card", "printer", "print_failed", "printing the test card failed: "+err.Error(),
			printerFix(err))
	}
	if err := p.Eject(ctx, job); err != nil {
		return failCheck("printer.test_card", "printer", "eject_failed", "ejecting the test card failed: "+err.Error(),
			printerFix(err))
	}
	return Check{ID: "printer.test_card", Code: "printer.test_card.pass", Device: "printer", Status: StatusPass,
		Reason: "test card printed and ejected to the output hopper", Details: map[string]string{
			"panels": strconv.Itoa(job.Panels), "spoiled": strconv.Itoa(job.Spoiled)}}
}

// failCheck returns the failed check of an action, coded id.fail.variant.
func failCheck(id, device, variant, reason, fix string) Check {
	if fix == "" {
		fix = "run the action again; if it fails again, run the full diagnostics"
	}
	c := Check{ID: id, Device: device, Status: StatusFail, Reason: reason, Fix: fix,
		Details: map[string]string{}}
	c.variant(variant)
	return c
}
