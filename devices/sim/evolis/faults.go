package evolissim

import (
	"permitdesk/devices/evolis"
	"time"
)

// faults are the failures waiting to happen.
type faults struct {
	ribbonOutAt     int // card number whose print finds the ribbon ended
	jamAt           int // card number that jams on feeding
	blankEjectAt    int // card number ejected blank before the next is fed
	busy            int // commands still to reply "ERR BUSY"
	disconnectAfter int // payload bytes after which the line drops
	disconnectDown  time.Duration
	shortWrites     bool // replies written one byte at a time
	late            map[string]time.Duration
}

func (f *faults) takeLate(cmd string) time.Duration {
	d, ok := f.late[cmd]
	if ok {
		delete(f.late, cmd)
	}
	return d
}

func (s *Sim) withLock(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// RibbonOutAt makes the ribbon end when card n (counting cards taken from the
// feeder since start, from 1) is printed. ReplaceRibbon clears it.
func (s *Sim) RibbonOutAt(n int) { s.withLock(func() { s.faults.ribbonOutAt = n }) }

// ReplaceRibbon fits a new ribbon of the given number of panels.
func (s *Sim) ReplaceRibbon(panels int) {
	s.withLock(func() { s.st.ribbon, s.st.ribbonOut = panels, false })
}

// JamAt makes card n jam as it is fed. ClearJam clears it.
func (s *Sim) JamAt(n int) { s.withLock(func() { s.faults.jamAt = n }) }

// ClearJam models the operator opening the printer and pulling the jammed
// card out by hand, so the printer is empty and ready again.
func (s *Sim) ClearJam() {
	s.withLock(func() {
		s.st.jammed, s.st.pos, s.st.card = false, evolis.PositionNone, 0
		s.st.abortSequence()
	})
}

// BlankEjectAt makes the printer eject card n blank to the output hopper and
// feed the next one, as after a double pick.
func (s *Sim) BlankEjectAt(n int) { s.withLock(func() { s.faults.blankEjectAt = n }) }

// SetCoverOpen opens or closes the cover.
func (s *Sim) SetCoverOpen(open bool) { s.withLock(func() { s.st.coverOpen = open }) }

// SetFeeder sets the number of blank cards in the feeder.
func (s *Sim) SetFeeder(n int) { s.withLock(func() { s.st.feeder = n }) }

// Busy makes the printer reply ERR BUSY to the next n commands.
func (s *Sim) Busy(n int) { s.withLock(func() { s.faults.busy = n }) }

// DisconnectDuringDownload drops the line once n bytes of a download payload
// have arrived. After down, a new pseudo-terminal takes over the link, as a
// USB serial adapter does when it comes back.
func (s *Sim) DisconnectDuringDownload(n int, down time.Duration) {
	s.withLock(func() { s.faults.disconnectAfter, s.faults.disconnectDown = max(n, 1), down })
}

// ShortWrites makes the printer send its replies one byte at a time.
func (s *Sim) ShortWrites(on bool) { s.withLock(func() { s.faults.shortWrites = on }) }

// LateReply delays the next reply to cmd (such as "Se") by d, after the
// command has taken effect.
func (s *Sim) LateReply(cmd string, d time.Duration) {
	s.withLock(func() {
		if s.faults.late == nil {
			s.faults.late = map[string]time.Duration{}
		}
		s.faults.late[cmd] = d
	})
}

// PowerCycle switches the printer off and on: the error mode, eject mode and
// ACK/NACK mode return to their defaults and any sequence is lost. The card
// stays where it was and the counters survive.
func (s *Sim) PowerCycle() { s.withLock(func() { s.st.powerCycle() }) }

// Counters returns the cards taken from the feeder, panels printed, cards
// rejected and cards delivered to the output hopper.
func (s *Sim) Counters() (inserted, panels, rejected, delivered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.inserted, s.st.panels, s.st.rejected, s.st.delivered
}

// Printed returns the cards printed so far.
func (s *Sim) Printed() []Printed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Printed(nil), s.st.printed...)
}

// Position returns where the card is.
func (s *Sim) Position() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.st.pos)
}

// Hangup drops the line now, between commands, and brings a new
// pseudo-terminal up at the link after down.
func (s *Sim) Hangup(down time.Duration) {
	select {
	case s.hangup <- down:
	default:
	}
}

// SetNeedsCleaning makes Rlr;c and Rlr;r report that the printer needs a
// cleaning card. Printing goes on, as a printer treats it as a warning.
func (s *Sim) SetNeedsCleaning(on bool) { s.withLock(func() { s.st.needsCleaning = on }) }
