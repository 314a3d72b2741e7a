package evolissim

import (
	"context"
	"strconv"
	"strings"
	"time"

	"permitdesk/devices/evolis"
)

// state is the printer's mechanical and configuration state.
type state struct {
	pos       evolis.Position
	card      int // number of the card in the printer, 0 when none
	inSeq     bool
	side      byte // 'r' or 'v'
	sides     map[byte][]byte
	errorMode string
	ejectMode string // "A" ejects after printing, "E" keeps the card
	ackMode   bool

	inserted, panels, rejected, delivered int
	feeder, ribbon                        int
	coverOpen, jammed, ribbonOut          bool
	needsCleaning                         bool
	printed                               []Printed
	serial                                map[string]string // Pcom settings by port
}

func newState(cards, ribbon int) state {
	return state{pos: evolis.PositionNone, errorMode: "0", ejectMode: "A", feeder: cards, ribbon: ribbon,
		serial: map[string]string{"1": "1;9600;N;8;1;NONE;E", "2": "2;9600;N;8;1;NONE;D"}}
}

// powerCycle loses what a power cycle loses: settings, the sequence and the
// partial command; the card stays where it is and counters survive.
func (st *state) powerCycle() {
	st.errorMode, st.ejectMode, st.ackMode = "0", "A", false
	st.abortSequence()
}

func (st *state) abortSequence() {
	st.inSeq, st.side, st.sides = false, 0, nil
}

// reply is the printer's reply to one command.
type reply struct {
	ok    bool   // "OK" / ACK
	value string // a read's value
	err   string // an error text, such as "COVER OPEN"
	code  string // the NACK code character for err
	after func() // state change applied after the reply is chosen
}

func okReply() reply                   { return reply{ok: true} }
func valueReply(v string) reply        { return reply{value: v} }
func errReply(text, code string) reply { return reply{err: text, code: code} }

var (
	errCDE   = errReply("ERROR CDE", "1")
	errParam = errReply("ERROR PARAMETRES", "2")
	errCover = errReply("COVER OPEN", "C")
	errJam   = errReply("CARD JAM", "T")
	errFeed  = errReply("FEEDER EMPTY", "F")
	errNoRib = errReply("ERR RIBBON ENDED", "R")
	errNone  = errReply("ERR NO CARD", "T")
	errBusy  = errReply("ERR BUSY", "T")
)

// bytes encodes the reply as the printer sends it in the given mode.
func (r reply) bytes(ack bool) []byte {
	switch {
	case ack && r.err != "":
		return []byte{evolis.NACK, r.code[0]}
	case ack && r.ok:
		return []byte{evolis.ACK}
	case ack:
		return append(append([]byte{evolis.ACK}, r.value...), evolis.CR)
	case r.err != "":
		return append([]byte(r.err), evolis.CR)
	case r.ok:
		return []byte("OK\r")
	}
	return append([]byte(r.value), evolis.CR)
}

// handle executes one frame. Mechanical moves sleep outside the lock.
func (s *Sim) handle(ctx context.Context, f frame) reply {
	if f.bad != "" {
		if f.bad == errCDE.err {
			return errCDE
		}
		return errParam
	}
	s.mu.Lock()
	if s.faults.busy > 0 {
		s.faults.busy--
		s.mu.Unlock()
		return errBusy
	}
	s.mu.Unlock()
	switch f.cmd[:min(1, len(f.cmd))] {
	case "R":
		return s.read(f)
	case "P":
		return s.param(f)
	case "D":
		return s.download(f)
	case "S":
		return s.sequence(ctx, f)
	}
	return errCDE
}

func (s *Sim) read(f frame) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	arg := ""
	if len(f.params) > 0 {
		arg = f.params[0]
	}
	switch f.cmd {
	case "Rtp":
		return valueReply(s.opts.Model)
	case "Rsn":
		return valueReply(s.opts.Serial)
	case "Rfv":
		return valueReply(s.opts.Firmware)
	case "Rem":
		return valueReply(st.errorMode)
	case "Rr":
		return valueReply("kb")
	case "Rcr":
		if st.ribbonOut || st.ribbon <= 0 {
			return errNoRib
		}
		return okReply()
	case "Rco":
		return s.readCounter(arg)
	case "Rcom":
		if arg != "1" && arg != "2" {
			return errParam
		}
		return valueReply(st.serial[arg])
	case "Rlr":
		return s.readLastReply(arg)
	case "Rse":
		return s.readSensor(arg)
	}
	return errCDE
}

func (s *Sim) readCounter(which string) reply {
	st := &s.st
	switch which {
	case "c":
		return valueReply(strconv.Itoa(st.inserted))
	case "p":
		return valueReply(strconv.Itoa(st.panels))
	case "l":
		return valueReply(strconv.Itoa(st.ribbon))
	case "a", "m", "n":
		return valueReply("0")
	}
	return errParam
}

func (s *Sim) readLastReply(which string) reply {
	st := &s.st
	switch which {
	case "p":
		switch st.pos {
		case evolis.PositionPrint:
			return valueReply("CARD")
		case evolis.PositionContactless:
			return valueReply("CONTACTLESS CARD")
		case evolis.PositionContact:
			return valueReply("SMART CARD")
		}
		return valueReply("OK")
	case "r", "c":
		if st.needsCleaning {
			return errReply("ERR NEED CLEANING", "T")
		}
		return okReply()
	case "h":
		if st.feeder > 0 {
			return valueReply("CARD")
		}
		return valueReply("NO CARD")
	}
	return errParam
}

func (s *Sim) readSensor(which string) reply {
	st := &s.st
	volts := func(high bool) reply {
		if high {
			return valueReply(evolis.FormatVolts(5))
		}
		return valueReply(evolis.FormatVolts(0))
	}
	switch which {
	case "o":
		return volts(!st.coverOpen)
	case "f":
		return volts(st.feeder > 0)
	case "n":
		return volts(st.feeder > 5)
	case "b":
		return valueReply(evolis.FormatVolts(0.2))
	case "c", "m", "p", "r":
		return volts(true)
	}
	return errParam
}

func (s *Sim) param(f frame) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	switch f.cmd {
	case "Pem":
		if len(f.params) < 1 {
			return errParam
		}
		mode, err := strconv.Atoi(f.params[0])
		if err != nil || (mode&^16) > 2 {
			return errParam
		}
		r := okReply()
		r.after = func() { st.errorMode, st.ackMode = f.params[0], mode&16 != 0 }
		return r
	case "Pneab":
		if len(f.params) < 1 || (f.params[0] != "E" && f.params[0] != "A") {
			return errParam
		}
		st.ejectMode = f.params[0]
		return okReply()
	case "Pcom":
		return s.serialSettings(f.params)
	case "Pr", "Pc", "Pl", "Ps", "Pmi", "Pcim", "Pcem", "Pcrm", "Px", "Py", "Poc", "Pos":
		if len(f.params) == 0 {
			return errParam
		}
		return okReply()
	}
	return errCDE
}

func (s *Sim) download(f frame) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	if (f.cmd != "Db" && f.cmd != "Dbc") || f.data == nil {
		if f.cmd == "Db" || f.cmd == "Dbc" {
			return errParam
		}
		return errCDE
	}
	if len(f.params) < 2 || f.params[1] != "2" || (f.params[0] != "k" && f.params[0] != "o") {
		return errParam
	}
	panel := f.data
	if f.cmd == "Dbc" {
		var err error
		if panel, err = evolis.DecompressPanel(f.data); err != nil {
			s.log.Warn("rejected compressed download", "error", err)
			return errParam
		}
	}
	if !st.inSeq {
		return errParam
	}
	if f.params[0] == "k" {
		st.sides[st.side] = panel
	}
	return okReply()
}

// sequence handles the S family: moves, sequences and printing.
func (s *Sim) sequence(ctx context.Context, f frame) reply {
	switch f.cmd {
	case "Ss":
		return s.locked(func(st *state) reply {
			st.inSeq, st.side, st.sides = true, 'r', map[byte][]byte{}
			return okReply()
		})
	case "Sr", "Sv":
		return s.locked(func(st *state) reply {
			if !st.inSeq {
				return errParam
			}
			st.side = f.cmd[1]
			return okReply()
		})
	case "Scs", "Srs":
		return s.locked(func(st *state) reply {
			st.abortSequence()
			return okReply()
		})
	case "Sic":
		return s.toContactless(ctx)
	case "Se":
		return s.end(ctx)
	case "Ser":
		return s.reject(ctx)
	}
	return errCDE
}

func (s *Sim) locked(fn func(*state) reply) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&s.st)
}

// moveBlocked returns the error that stops any card movement.
func (st *state) moveBlocked() (reply, bool) {
	switch {
	case st.coverOpen:
		return errCover, true
	case st.jammed:
		return errJam, true
	}
	return reply{}, false
}

// feed takes a card from the feeder to the print head, honouring the
// blank-eject and jam faults.
func (s *Sim) feed(ctx context.Context) (reply, bool) {
	s.mu.Lock()
	st := &s.st
	if st.feeder <= 0 {
		s.mu.Unlock()
		return errFeed, false
	}
	st.feeder--
	st.inserted++
	st.card = st.inserted
	st.pos = evolis.PositionPrint
	card := st.card
	blank := s.faults.blankEjectAt == card
	jam := s.faults.jamAt == card
	s.mu.Unlock()
	sleep(ctx, s.opts.Timing.Feed)

	if blank {
		s.log.Warn("fault: blank card ejected", "card", card)
		s.mu.Lock()
		st.pos, st.card, st.delivered = evolis.PositionNone, 0, st.delivered+1
		s.faults.blankEjectAt = 0
		s.mu.Unlock()
		sleep(ctx, s.opts.Timing.Eject)
		return s.feed(ctx)
	}
	if jam {
		s.mu.Lock()
		st.jammed = true
		s.faults.jamAt = 0
		s.mu.Unlock()
		s.log.Warn("fault: card jam", "card", card)
		return errJam, false
	}
	return reply{}, true
}

func (s *Sim) toContactless(ctx context.Context) reply {
	s.mu.Lock()
	if r, blocked := s.st.moveBlocked(); blocked {
		s.mu.Unlock()
		return r
	}
	pos := s.st.pos
	s.mu.Unlock()
	if pos == evolis.PositionNone {
		if r, ok := s.feed(ctx); !ok {
			return r
		}
	}
	sleep(ctx, s.opts.Timing.Station)
	s.mu.Lock()
	s.st.pos = evolis.PositionContactless
	s.mu.Unlock()
	s.slotInsert(ctx)
	return okReply()
}

// end handles Se: inside a sequence it prints the downloaded sides; outside
// one it ejects the card to the output hopper.
func (s *Sim) end(ctx context.Context) reply {
	s.mu.Lock()
	st := &s.st
	if r, blocked := st.moveBlocked(); blocked {
		s.mu.Unlock()
		return r
	}
	inSeq, pos := st.inSeq, st.pos
	s.mu.Unlock()
	if !inSeq {
		if pos == evolis.PositionNone {
			return errNone
		}
		return s.eject(ctx, false)
	}
	return s.print(ctx)
}

func (s *Sim) print(ctx context.Context) reply {
	s.mu.Lock()
	st := &s.st
	pos := st.pos
	sides := st.sides
	st.abortSequence()
	s.mu.Unlock()
	if len(sides) == 0 {
		return errParam
	}
	if pos == evolis.PositionNone {
		if r, ok := s.feed(ctx); !ok {
			return r
		}
	}
	if pos == evolis.PositionContactless {
		s.slotRemove(ctx)
		sleep(ctx, s.opts.Timing.Station)
	}
	s.mu.Lock()
	st.pos = evolis.PositionPrint
	card := st.card
	outOfRibbon := st.ribbonOut || st.ribbon < len(sides) || s.faults.ribbonOutAt == card
	if outOfRibbon {
		st.ribbonOut, s.faults.ribbonOutAt = true, 0
		st.ribbon = 0
		s.mu.Unlock()
		s.log.Warn("fault: ribbon ended", "card", card)
		return errNoRib
	}
	s.mu.Unlock()
	sleep(ctx, time.Duration(len(sides))*s.opts.Timing.PrintPanel)
	s.mu.Lock()
	st.panels += len(sides)
	st.ribbon -= len(sides)
	pr := Printed{Number: card, Front: sides['r'], Back: sides['v']}
	s.mu.Unlock()
	pr.Files = s.writePNGs(card, pr.Front, pr.Back)
	s.mu.Lock()
	st.printed = append(st.printed, pr)
	keep := st.ejectMode == "E"
	s.mu.Unlock()
	if keep {
		return okReply()
	}
	return s.eject(ctx, false)
}

// eject moves the card out, to the reject box when reject is set.
func (s *Sim) eject(ctx context.Context, reject bool) reply {
	s.mu.Lock()
	pos := s.st.pos
	s.mu.Unlock()
	if pos == evolis.PositionContactless {
		s.slotRemove(ctx)
	}
	sleep(ctx, s.opts.Timing.Eject)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	st.pos, st.card = evolis.PositionNone, 0
	st.abortSequence()
	if reject {
		st.rejected++
	} else {
		st.delivered++
	}
	return okReply()
}

func (s *Sim) reject(ctx context.Context) reply {
	s.mu.Lock()
	st := &s.st
	if st.coverOpen {
		s.mu.Unlock()
		return errCover
	}
	pos := st.pos
	s.mu.Unlock()
	if pos == evolis.PositionNone {
		return errNone
	}
	return s.eject(ctx, true)
}

func (s *Sim) slotInsert(ctx context.Context) {
	if s.opts.Slot == nil {
		return
	}
	serial, err := s.opts.Slot.Insert(ctx)
	if err != nil {
		s.log.Error("card emulator did not insert a card", "error", err)
		return
	}
	s.log.Info("card at contactless station", "card_serial", serial)
}

func (s *Sim) slotRemove(ctx context.Context) {
	if s.opts.Slot == nil {
		return
	}
	if err := s.opts.Slot.Remove(ctx); err != nil {
		s.log.Error("card emulator did not remove the card", "error", err)
	}
}

// serialSettings handles, with s.mu held, Pcom;port;speed;parity;data;stop[;protocol[;mode]]
// (Rev E section 5). The protocol ACK/NACK turns ACK/NACK replies on, as
// error mode bit 4 does.
func (s *Sim) serialSettings(p []string) reply {
	if len(p) < 5 || len(p) > 7 || (p[0] != "1" && p[0] != "2") {
		return errParam
	}
	speeds := map[string]bool{"2400": true, "4800": true, "9600": true, "19200": true, "38400": true,
		"57600": true, "115200": true}
	if !speeds[p[1]] || !strings.Contains("NOE", p[2]) || len(p[2]) != 1 || (p[3] != "7" && p[3] != "8") ||
		(p[4] != "1" && p[4] != "2") {
		return errParam
	}
	full := append(append([]string(nil), p...), "NONE", "E")[:7]
	switch full[5] {
	case "0", "NONE", "XON/XOFF", "RTS/CTS", "BOTH", "ACK/NACK":
	default:
		return errParam
	}
	s.st.serial[p[0]] = strings.Join(full, ";")
	r := okReply()
	r.after = func() { s.st.ackMode = full[5] == "ACK/NACK" }
	return r
}
