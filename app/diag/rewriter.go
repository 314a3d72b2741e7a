package diag

import (
	"context"
	"fmt"
	"strconv"

	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
)

var rewriterCheckIDs = []string{"rewriter.port", "rewriter.identity", "rewriter.sensors"}

// useRewriter probes the port, opens the driver and reads the ROM version,
// reporting rewriter.port and rewriter.identity. The caller calls the
// returned release function.
func (s *Service) useRewriter(ctx context.Context, l *checkList) (*rewriter.Rewriter, func()) {
	c := s.opts.Config.Devices.Rewriter
	if c.Port == "" && c.USBSerial == "" {
		l.skipRest(rewriterCheckIDs, "not_configured", "not configured: set devices.rewriter.port to enable it")
		return nil, nil
	}
	path, problem := probePort("devices.rewriter", c, s.lentRewriter)
	if problem != nil {
		l.fail("rewriter.port", problem.reason, problem.fix, map[string]string{"path": path}).variant(problem.variant)
		l.skipRest(rewriterCheckIDs, "prerequisite", "the port cannot be used")
		return nil, nil
	}
	rw, release, err := s.opts.OpenRewriter(rewriter.Options{
		Port:    serialport.Options{Path: path, Baud: c.Baud, FlowControl: c.FlowControl},
		Timeout: s.deviceTimeout(c.Timeout.Duration), Logger: s.log,
	})
	if err != nil {
		l.fail("rewriter.port", fmt.Sprintf("opening %s failed: %v", path, err),
			"check the cable and the USB serial adapter", map[string]string{"path": path}).variant("open_failed")
		l.skipRest(rewriterCheckIDs, "prerequisite", "the port cannot be used")
		return nil, nil
	}
	rom, err := rw.ROMVersion(ctx)
	if err != nil {
		release()
		l.fail("rewriter.port", fmt.Sprintf("the rewriter on %s does not answer: %v", path, err),
			noReplyFix(path, "rewriter", "devices.rewriter.baud"), map[string]string{"path": path}).variant("no_answer")
		l.skipRest(rewriterCheckIDs, "prerequisite", "the rewriter does not answer")
		return nil, nil
	}
	l.pass("rewriter.port", "rewriter answers on "+path, map[string]string{"path": path,
		"baud": strconv.Itoa(c.Baud)})
	l.pass("rewriter.identity", "ROM version "+rom, map[string]string{"rom": rom})
	return rw, release
}

// checkRewriter runs the rewriter checks.
func (s *Service) checkRewriter(ctx context.Context) []Check {
	l := checkList{device: "rewriter"}
	rw, release := s.useRewriter(ctx, &l)
	if rw == nil {
		return l.checks
	}
	defer release()
	st, err := rw.Status(ctx)
	if err != nil {
		l.fail("rewriter.sensors", "reading the sensors failed: "+err.Error(),
			"switch the rewriter off and on, then run the diagnostics again", nil).variant("read_failed")
		return l.checks
	}
	d := map[string]string{"status": st.Raw, "card": cardSensor(st.Card), "cover": openClosed(st.CoverOpen),
		"dispenser": emptyLoaded(st.DispenserEmpty)}
	if n, err := rw.Count(ctx); err == nil {
		d["cards_transported"] = strconv.Itoa(n)
	}
	switch {
	case st.CoverOpen:
		l.fail("rewriter.sensors", "the rewriter cover is open", "close the rewriter cover", d).variant("cover_open")
	case st.Card == rewriter.CardWaiting:
		l.warn("rewriter.sensors", "a processed card waits in the front slot", "take the card out", d)
	default:
		l.pass("rewriter.sensors", "cover closed, card sensor: "+cardSensor(st.Card), d)
	}
	return l.checks
}

func cardSensor(c rewriter.CardSensor) string {
	switch c {
	case rewriter.CardAtInlet:
		return "card at inlet"
	case rewriter.CardWaiting:
		return "card waiting for removal"
	}
	return "no card"
}

// eraseTest erases the rewritable area of the card at the inlet and pushes
// it out of the front slot.
func (s *Service) eraseTest(ctx context.Context) Check {
	l := checkList{device: "rewriter"}
	rw, release := s.useRewriter(ctx, &l)
	if rw == nil {
		return l.checks[0]
	}
	defer release()
	st, err := rw.Status(ctx)
	if err != nil {
		return failCheck("rewriter.erase_test", "rewriter", "sensors_failed", "reading the sensors failed: "+err.Error(), "")
	}
	if st.Card != rewriter.CardAtInlet {
		return failCheck("rewriter.erase_test", "rewriter", "no_card", "no card at the rewriter inlet ("+
			cardSensor(st.Card)+")", "insert a card with a rewritable strip into the inlet, then run the test")
	}
	if err := rw.Erase(ctx, rewriter.DischargeOut); err != nil {
		return failCheck("rewriter.erase_test", "rewriter", "erase_failed", "erasing the strip failed: "+err.Error(),
			"take the card out, check the cover and the card orientation, and try again")
	}
	return Check{ID: "rewriter.erase_test", Code: "rewriter.erase_test.pass", Device: "rewriter", Status: StatusPass,
		Reason: "strip erased; the card is out of the front slot", Details: map[string]string{}}
}
