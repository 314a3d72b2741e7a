// Package card emulates permit cards behind the real PC/SC stack: it
// connects to the vsmartcard vpcd reader driver that pcscd loads, so
// permitdesk's PC/SC driver talks to it exactly as to a card in a
// contactless encoder.
//
// vpcd link (vsmartcard 0.8, ifd-vpcd): the emulator is a TCP client of
// vpcd, 127.0.0.1:35963 for "Virtual PCD 00 00" and 35964 for
// "Virtual PCD 00 01". Each message is a 2-byte big-endian length and a
// payload. A 1-byte payload is a control code: 0 power off, 1 power on,
// 2 reset, 4 get ATR (answered with the ATR); any longer payload is a
// command APDU, answered with a response APDU. A card is present while the
// TCP connection is open, so inserting connects and removing disconnects.
// TCP_QUICKACK is set after each read; without it each APDU waits about
// 40 ms for a delayed ACK.
//
// Card OS: ISO/IEC 7816-4 with FMCOS-style status words. MF 3F00, the permit
// DF (FID 1001, AID F0 "PERMIT" 01) and the EFs of package permitcard;
// SELECT by FID or AID (FCI for P2 00, FCP for P2 04), READ/UPDATE BINARY
// with 15-bit offsets or an SFI, READ/UPDATE/APPEND RECORD on the cyclic
// history EF, GET CHALLENGE, EXTERNAL AUTHENTICATE with a retry counter
// (63Cx, then 6983 when blocked), 6982 for writes without authentication,
// and GET DATA FF CA 00 00 returning the serial as a contactless reader
// returns a UID. Security state is cleared on power-on and reset. Cards are
// pre-formatted: the emulator creates every EF and loads the diversified
// key when it makes a blank card, so it implements no CREATE FILE or ERASE.
//
// Control protocol (Options.ControlPath, a unix socket): one command per
// line, one reply line each:
//
//	insert blank      -> ok SERIAL          take a blank card from the hopper
//	insert SERIAL     -> ok SERIAL          present a stored card again
//	remove            -> ok                 take the card out of the field
//	status            -> ok present SERIAL | ok empty
//	fault remove-after N | fault tear N | fault delay DURATION | fault clear
//	                  -> ok
//	help              -> ok commands: ...   list these commands
//
// Errors are "err MESSAGE". The same operations are methods of Emulator for
// in-process use.
//
// Limits: one DF and one key; no secure messaging; faults are one-shot.
package card

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"permitdesk/devices/keys"
	"permitdesk/devices/permitcard"
)

// Default vpcd addresses.
const (
	DefaultAddr     = "127.0.0.1:35963" // reader "Virtual PCD 00 00"
	DefaultPSAMAddr = "127.0.0.1:35964" // reader "Virtual PCD 00 01"
)

// Options configure New.
type Options struct {
	// Addr is the vpcd address; default DefaultAddr.
	Addr string
	// StateDir keeps one JSON file per card serial so an issued card can be
	// presented again after a restart; empty keeps cards in memory only.
	StateDir string
	// Hopper is the number of blank cards generated at start; default 50.
	Hopper int
	// MasterKey diversifies each blank card's key; default keys.DevMasterKey.
	MasterKey *keys.MasterKey
	// MaxTries is the EXTERNAL AUTHENTICATE retry limit; default 3.
	MaxTries int
	// T0 makes cards behave as T=0 cards: a T=0 ATR, case-4 commands
	// answered with 61xx, and 6Cxx for a wrong Le.
	T0 bool
	// T0Chunk caps the length announced by each 61xx; default 256.
	T0Chunk int
	// ShortOnly makes cards reject extended-length APDUs with 6700.
	ShortOnly bool
	// Faults are injected on the next insertion; see Faults.
	Faults Faults
	// Logger receives insert, remove, link and fault messages; default
	// discards them.
	Logger *slog.Logger
}

// Faults are one-shot failures. Each fires once, then clears.
type Faults struct {
	// RemoveAfter removes the card instead of answering command N (counted
	// from when the fault is set); 0 disables it.
	RemoveAfter int
	// TearUpdate writes only the first half of the Nth UPDATE BINARY, then
	// removes the card without answering; 0 disables it.
	TearUpdate int
	// Delay is added before every answer; 0 disables it.
	Delay time.Duration
}

// Stats count the traffic of the current and past insertions.
type Stats struct {
	APDUs     int
	BytesIn   int           // command bytes
	BytesOut  int           // response bytes
	Air106    time.Duration // estimated ISO 14443-4 air time at 106 kbit/s
	Air424    time.Duration // estimated ISO 14443-4 air time at 424 kbit/s
	Processed time.Duration // time spent in the card OS
	Resets    int           // power-on, power-off and reset requests from the reader
}

// ErrHopperEmpty is returned by InsertBlank when no blank cards are left.
var ErrHopperEmpty = errors.New("hopper empty")

// Emulator holds the cards and the one reader slot of an emulated encoder.
type Emulator struct {
	opts  Options
	log   *slog.Logger
	store *store

	mu       sync.Mutex
	hopper   []permitcard.Serial
	present  *chip
	gen      int           // bumps on every insert and remove
	changed  chan struct{} // closed and replaced on every insert and remove
	faults   Faults
	commands int // commands since the faults were set
	updates  int // UPDATE BINARY commands since the faults were set
	stats    Stats
}

// New returns an emulator with a full hopper and no card present.
func New(opts Options) (*Emulator, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Hopper <= 0 {
		opts.Hopper = 50
	}
	if opts.MasterKey == nil {
		mk := keys.DevMasterKey
		opts.MasterKey = &mk
	}
	if opts.MaxTries <= 0 {
		opts.MaxTries = 3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := newStore(opts.StateDir)
	if err != nil {
		return nil, err
	}
	e := &Emulator{opts: opts, log: opts.Logger.With("component", "sim_card"), store: st,
		changed: make(chan struct{}), faults: opts.Faults}
	for range opts.Hopper {
		e.hopper = append(e.hopper, newSerial())
	}
	return e, nil
}

// newSerial returns "PD" followed by 6 random bytes.
func newSerial() permitcard.Serial {
	var s permitcard.Serial
	s[0], s[1] = 'P', 'D'
	_, _ = rand.Read(s[2:])
	return s
}

// InsertBlank presents the next blank card from the hopper.
func (e *Emulator) InsertBlank() (permitcard.Serial, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.present != nil {
		return permitcard.Serial{}, fmt.Errorf("card %s is already in the reader: remove it first", e.present.serial())
	}
	if len(e.hopper) == 0 {
		return permitcard.Serial{}, fmt.Errorf("%w: restart the card emulator with a larger --hopper", ErrHopperEmpty)
	}
	s := e.hopper[0]
	c, err := newBlankChip(s, *e.opts.MasterKey, e.opts.MaxTries)
	if err != nil {
		return s, err
	}
	if err := e.store.save(c.snapshot()); err != nil {
		return s, err
	}
	e.hopper = e.hopper[1:]
	e.insertLocked(c)
	return s, nil
}

// InsertNew presents a new blank card with the given serial, outside the
// hopper, for tests and for the --serial flag.
func (e *Emulator) InsertNew(s permitcard.Serial) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.present != nil {
		return fmt.Errorf("card %s is already in the reader: remove it first", e.present.serial())
	}
	c, err := newBlankChip(s, *e.opts.MasterKey, e.opts.MaxTries)
	if err != nil {
		return err
	}
	if err := e.store.save(c.snapshot()); err != nil {
		return err
	}
	e.insertLocked(c)
	return nil
}

// Insert presents a stored card again.
func (e *Emulator) Insert(s permitcard.Serial) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.present != nil {
		return fmt.Errorf("card %s is already in the reader: remove it first", e.present.serial())
	}
	st, err := e.store.load(s)
	if err != nil {
		return err
	}
	e.insertLocked(chipFromState(st))
	return nil
}

func (e *Emulator) insertLocked(c *chip) {
	c.opts = chipOptions{T0: e.opts.T0, T0Chunk: e.opts.T0Chunk, ShortOnly: e.opts.ShortOnly}
	c.reset()
	e.present = c
	e.bumpLocked()
	e.log.Info("card inserted", "serial", c.serial().String())
}

// Remove takes the card out of the field. Removing from an empty reader is
// not an error.
func (e *Emulator) Remove() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.removeLocked("removed")
}

func (e *Emulator) removeLocked(why string) {
	if e.present == nil {
		return
	}
	e.log.Info("card "+why, "serial", e.present.serial().String())
	e.present = nil
	e.bumpLocked()
}

func (e *Emulator) bumpLocked() {
	e.gen++
	close(e.changed)
	e.changed = make(chan struct{})
}

// Status reports whether a card is present and its serial.
func (e *Emulator) Status() (permitcard.Serial, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.present == nil {
		return permitcard.Serial{}, false
	}
	return e.present.serial(), true
}

// SetFaults replaces the pending faults and restarts their counters.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults, e.commands, e.updates = f, 0, 0
}

// Stats returns the traffic counters.
func (e *Emulator) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// ResetStats clears the traffic counters.
func (e *Emulator) ResetStats() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats = Stats{}
}

// HopperLeft returns the number of blank cards left.
func (e *Emulator) HopperLeft() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.hopper)
}

// waitPresent blocks until a card is present and returns it with its
// insertion generation.
func (e *Emulator) waitPresent(ctx context.Context) (*chip, int, error) {
	for {
		e.mu.Lock()
		c, gen, ch := e.present, e.gen, e.changed
		e.mu.Unlock()
		if c != nil {
			return c, gen, nil
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-ch:
		}
	}
}

// current reports whether gen is still the insertion in the field.
func (e *Emulator) current(gen int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.gen == gen && e.present != nil
}
