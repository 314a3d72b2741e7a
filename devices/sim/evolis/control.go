package evolissim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"slices"
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
hangup MS              drop the line now, back after MS
help                   list these commands`

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
		return "err empty command: " + controlSummary()
	}
	usage, known := controlUsage(f[0])
	if !known {
		return fmt.Sprintf("err unknown command %q: %s", f[0], controlSummary())
	}
	if reply := checkArgs(f, usage); reply != "" {
		return reply
	}
	if f[0] == "help" {
		return "ok " + controlSummary()
	}
	if f[0] == "status" {
		ins, panels, rej, del := s.Counters()
		return fmt.Sprintf("ok position=%s inserted=%d panels=%d rejected=%d delivered=%d",
			s.Position(), ins, panels, rej, del)
	}
	return s.runControl(f)
}

// runControl runs a command whose arguments checkArgs accepted.
func (s *Sim) runControl(f []string) string {
	n, _ := strconv.Atoi(argAt(f, 1))
	ms, _ := strconv.Atoi(argAt(f, 2))
	switch f[0] {
	case "ribbon-out":
		return s.controlRibbonOut(n)
	case "replace-ribbon":
		s.ReplaceRibbon(n)
	case "jam":
		s.JamAt(n)
	case "clear-jam":
		s.ClearJam()
	case "blank-eject":
		s.BlankEjectAt(n)
	case "cover":
		s.SetCoverOpen(f[1] == "open")
	case "cleaning":
		s.SetNeedsCleaning(f[1] == "on")
	case "feeder":
		s.SetFeeder(n)
	case "busy":
		s.Busy(n)
	case "disconnect":
		s.DisconnectDuringDownload(n, time.Duration(ms)*time.Millisecond)
	case "short-writes":
		s.ShortWrites(f[1] == "on")
	case "late":
		s.LateReply(f[1], time.Duration(ms)*time.Millisecond)
	case "hangup":
		s.Hangup(time.Duration(n) * time.Millisecond)
	case "power-cycle":
		s.PowerCycle()
	}
	return "ok"
}

// controlRibbonOut sets the ribbon to end at card n, and rejects a card that
// has already passed the print head because the fault would never fire.
func (s *Sim) controlRibbonOut(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.st.inserted + 1
	if s.st.card != 0 && !s.printedLocked(s.st.card) {
		next = s.st.card
	}
	if n != 0 && n < next {
		what := "already went through the printer"
		if s.printedLocked(n) {
			what = "was already printed"
		}
		return fmt.Sprintf("err ribbon-out %d: card %d %s; the next card is %d", n, n, what, next)
	}
	s.faults.ribbonOutAt = n
	return "ok"
}

func (s *Sim) printedLocked(card int) bool {
	for _, p := range s.st.printed {
		if p.Number == card {
			return true
		}
	}
	return false
}

// controlUsage returns the ControlHelp syntax of command, such as
// "replace-ribbon PANELS".
func controlUsage(command string) (string, bool) {
	for _, l := range strings.Split(ControlHelp, "\n") {
		usage, _, _ := strings.Cut(l, "  ")
		if strings.Fields(usage)[0] == command {
			return strings.TrimSpace(usage), true
		}
	}
	return "", false
}

// controlSummary lists every command's syntax on one line, because each
// control reply is one line.
func controlSummary() string {
	var usages []string
	for _, l := range strings.Split(ControlHelp, "\n") {
		usage, _, _ := strings.Cut(l, "  ")
		usages = append(usages, strings.TrimSpace(usage))
	}
	return "commands: " + strings.Join(usages, ", ")
}

// checkArgs compares f with usage and returns an "err usage: ..." reply
// naming the missing, invalid or extra argument, or "" when f fits.
// Upper-case words in usage are whole numbers, except CMD. Words with "|"
// list the allowed values.
func checkArgs(f []string, usage string) string {
	want := strings.Fields(usage)[1:]
	for i, name := range want {
		arg := argAt(f, i+1)
		switch {
		case arg == "":
			return fmt.Sprintf("err usage: %s (%s is missing)", usage, name)
		case strings.Contains(name, "|") && !slices.Contains(strings.Split(name, "|"), arg):
			return fmt.Sprintf("err usage: %s (invalid value %q: use %s)", usage, arg, name)
		case name != "CMD" && !strings.Contains(name, "|") && !isCount(arg):
			return fmt.Sprintf("err usage: %s (invalid %s %q: use a whole number)", usage, name, arg)
		}
	}
	if len(f)-1 > len(want) {
		return fmt.Sprintf("err usage: %s (unexpected argument %q)", usage, f[len(want)+1])
	}
	return ""
}

func argAt(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

func isCount(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0
}
