package evolissim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// ControlHelp lists the control socket's commands. Each command is one
// line and gets one line back, "ok ..." or "err ...".
const ControlHelp = `status
ribbon-out CARD        the ribbon ends when card CARD is printed
replace-ribbon PANELS
jam CARD               card CARD jams as it is fed
clear-jam              the operator pulls the jammed card out
blank-eject CARD       card CARD is ejected blank and the next one fed
cover open|closed
cleaning on|off        Rlr;c reports that the printer needs cleaning
feeder CARDS
busy COMMANDS          the next COMMANDS commands answer ERR BUSY
disconnect BYTES MS    drop the line BYTES into a download, back after MS
short-writes on|off
late CMD MS            delay the next reply to CMD by MS
power-cycle
hangup MS              drop the line now, back after MS`

// ServeControl accepts fault commands on a unix socket at path until ctx
// ends.
func (s *Sim) ServeControl(ctx context.Context, path string) error {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("printer emulator control socket: %w", err)
	}
	context.AfterFunc(ctx, func() { ln.Close(); os.Remove(path) })
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go s.controlConn(conn)
	}
}

func (s *Sim) controlConn(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		fmt.Fprintln(conn, s.Control(sc.Text()))
	}
}

// Control runs one control command and returns its reply line.
func (s *Sim) Control(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "err empty command"
	}
	num := func(i int) (int, bool) {
		if len(f) <= i {
			return 0, false
		}
		n, err := strconv.Atoi(f[i])
		return n, err == nil && n >= 0
	}
	n, ok := num(1)
	switch {
	case f[0] == "status":
		ins, panels, rej, del := s.Counters()
		return fmt.Sprintf("ok position=%s inserted=%d panels=%d rejected=%d delivered=%d",
			s.Position(), ins, panels, rej, del)
	case f[0] == "ribbon-out" && ok:
		s.RibbonOutAt(n)
	case f[0] == "replace-ribbon" && ok:
		s.ReplaceRibbon(n)
	case f[0] == "jam" && ok:
		s.JamAt(n)
	case f[0] == "clear-jam":
		s.ClearJam()
	case f[0] == "blank-eject" && ok:
		s.BlankEjectAt(n)
	case f[0] == "cover" && len(f) == 2 && (f[1] == "open" || f[1] == "closed"):
		s.SetCoverOpen(f[1] == "open")
	case f[0] == "cleaning" && len(f) == 2 && (f[1] == "on" || f[1] == "off"):
		s.SetNeedsCleaning(f[1] == "on")
	case f[0] == "feeder" && ok:
		s.SetFeeder(n)
	case f[0] == "busy" && ok:
		s.Busy(n)
	case f[0] == "disconnect" && ok:
		ms, ok := num(2)
		if !ok {
			return "err usage: disconnect BYTES MS"
		}
		s.DisconnectDuringDownload(n, time.Duration(ms)*time.Millisecond)
	case f[0] == "short-writes" && len(f) == 2:
		s.ShortWrites(f[1] == "on")
	case f[0] == "late" && len(f) == 3:
		ms, ok := num(2)
		if !ok {
			return "err usage: late CMD MS"
		}
		s.LateReply(f[1], time.Duration(ms)*time.Millisecond)
	case f[0] == "hangup" && ok:
		s.Hangup(time.Duration(n) * time.Millisecond)
	case f[0] == "power-cycle":
		s.PowerCycle()
	default:
		return fmt.Sprintf("err unknown or malformed command %q: use status, ribbon-out, replace-ribbon, "+
			"jam, clear-jam, blank-eject, cover, cleaning, feeder, busy, disconnect, hangup, short-writes, "+
			"late or power-cycle", line)
	}
	return "ok"
}
