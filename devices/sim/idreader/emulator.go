// Package idreadersim emulates a GA 467 ID card reader: the SAM's command
// handling, a card that can be placed and removed, and injected faults. The
// same emulator serves a pseudo-terminal (Serial), so the idreader driver
// runs over a real tty through go.bug.st/serial, and an in-process HID
// endpoint (ServeHID) using the idreader package's 64-byte report scheme.
// The package also emulates a HID POS barcode scanner (Scanner).
//
// The emulator follows the reader behaviour that matters to a driver: after
// a successful read, find fails (00 00 80) until the card is removed and
// placed again, while the selected card may be read again. A card removed
// after select makes the read fail (00 00 41).
//
// Limits: the photo is 1024 bytes derived from the ID number, not real WLT
// data, because WLT compression is proprietary.
package idreadersim

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"permitdesk/devices/ga467"
	"permitdesk/devices/idcard"
)

// Fault is a failure injected into the emulator's responses.
type Fault string

// Faults.
const (
	FaultNone Fault = ""
	// FaultChecksum corrupts the checksum byte of responses.
	FaultChecksum Fault = "checksum"
	// FaultLength makes LEN one larger than the bytes sent.
	FaultLength Fault = "length"
	// FaultTruncate sends only the first half of a response.
	FaultTruncate Fault = "truncate"
	// FaultSilent sends no response at all.
	FaultSilent Fault = "silent"
	// FaultRemoveAfterSelect takes the card away right after a select.
	FaultRemoveAfterSelect Fault = "remove-after-select"
	// FaultBadIDNumber reads the card with a wrong ID-number check character.
	FaultBadIDNumber Fault = "bad-id-number"
	// FaultSequence sends a HID response's reports out of order (HID only).
	FaultSequence Fault = "sequence"
)

// Faults lists every fault for help texts.
var Faults = []Fault{FaultChecksum, FaultLength, FaultTruncate, FaultSilent,
	FaultRemoveAfterSelect, FaultBadIDNumber, FaultSequence}

// ParseFault checks a fault name.
func ParseFault(s string) (Fault, error) {
	if s == "" || s == "none" {
		return FaultNone, nil
	}
	for _, f := range Faults {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown fault %q: use none or one of %v", s, Faults)
}

// Card is one card the emulator can place in the field.
type Card struct {
	Identity    idcard.Identity
	Photo       []byte // 1024 bytes
	Fingerprint []byte // empty or up to 1024 bytes
	IIN, SN     []byte // 8 bytes each
}

// NewCard derives the photo, fingerprint and card numbers of an identity
// from its ID number, so every run returns the same bytes.
func NewCard(id idcard.Identity, withFingerprint bool) Card {
	seed := sha256.Sum256([]byte(id.Number))
	c := Card{Identity: id, Photo: expand(seed, ga467.PhotoLen), IIN: seed[:8], SN: seed[8:16]}
	if withFingerprint {
		c.Fingerprint = expand(sha256.Sum256(seed[:]), ga467.MaxFingerprintLen)
	}
	return c
}

func expand(seed [32]byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		seed = sha256.Sum256(seed[:])
		out = append(out, seed[:]...)
	}
	return out[:n]
}

// LoadIdentities reads a JSON array of identities, such as
// testdata/idcards/identities.json.
func LoadIdentities(path string) ([]idcard.Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	var ids []idcard.Identity
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("read identities %s: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("read identities %s: the file lists no identity", path)
	}
	return ids, nil
}

// Emulator is the reader's SAM and its RF field. It is safe for concurrent
// use: the transports call Handle while an operator places cards.
type Emulator struct {
	log *slog.Logger
	// RequireRemoval makes find fail after a read until the card is placed
	// again, as real readers do. NewEmulator sets it.
	RequireRemoval bool

	mu        sync.Mutex
	cards     []Card
	present   int // index into cards, -1 when the field is empty
	found     bool
	selected  bool
	readDone  bool
	fault     Fault
	faultLeft int // responses the fault still applies to; -1 means until cleared
	commands  int
}

// NewEmulator returns an emulator with the given cards and no card placed.
// Cards at even positions carry a fingerprint block.
func NewEmulator(ids []idcard.Identity, log *slog.Logger) *Emulator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{log: log, RequireRemoval: true, present: -1}
	for i, id := range ids {
		e.cards = append(e.cards, NewCard(id, i%2 == 0))
	}
	return e
}

// Cards returns the number of cards known.
func (e *Emulator) Cards() int { return len(e.cards) }

// Place puts card i in the field, replacing any card there.
func (e *Emulator) Place(i int) error {
	if i < 0 || i >= len(e.cards) {
		return fmt.Errorf("no card %d: choose 0 to %d", i, len(e.cards)-1)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.present, e.found, e.selected, e.readDone = i, false, false, false
	e.log.Info("card placed", "card", i)
	return nil
}

// Remove takes the card out of the field.
func (e *Emulator) Remove() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.removeLocked()
}

func (e *Emulator) removeLocked() {
	e.present, e.found, e.selected, e.readDone = -1, false, false, false
	e.log.Info("card removed")
}

// Present returns the index of the card in the field, or -1.
func (e *Emulator) Present() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.present
}

// SetFault injects f into the next times responses. With times <= 0 the
// fault stays until SetFault(FaultNone, 0).
func (e *Emulator) SetFault(f Fault, times int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fault, e.faultLeft = f, times
	if times <= 0 {
		e.faultLeft = -1
	}
	e.log.Info("fault set", "fault", string(f), "times", times)
}

// Commands returns the number of command frames handled.
func (e *Emulator) Commands() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.commands
}

// takeFault returns the fault for this response and counts it down.
func (e *Emulator) takeFault() Fault {
	f := e.fault
	if f == FaultNone {
		return f
	}
	if e.faultLeft > 0 {
		e.faultLeft--
		if e.faultLeft == 0 {
			e.fault = FaultNone
		}
	}
	return f
}

// Response is the reply to one command: the frame and the fault to apply
// on the wire.
type Response struct {
	Frame []byte
	Fault Fault
}

// Handle returns the response to one received frame, or to a frame error
// from the transport.
func (e *Emulator) Handle(frame []byte, frameErr error) Response {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.commands++
	fault := e.takeFault()
	if frameErr != nil {
		return Response{Frame: ga467.EncodeResponse(frameStatus(frameErr), nil), Fault: fault}
	}
	cmd, _, err := ga467.ParseCommand(frame)
	if err != nil {
		return Response{Frame: ga467.EncodeResponse(frameStatus(err), nil), Fault: fault}
	}
	status, data := e.command(cmd, fault)
	e.log.Debug("command", "command", cmd.String(), "status", status.String())
	return Response{Frame: ga467.EncodeResponse(status, data), Fault: fault}
}

func frameStatus(err error) ga467.Status {
	if errors.Is(err, ga467.ErrChecksum) {
		return ga467.Status{SW3: ga467.SWBadChecksum}
	}
	return ga467.Status{SW3: ga467.SWBadLength}
}

func (e *Emulator) command(c ga467.Command, fault Fault) (ga467.Status, []byte) {
	switch c {
	case ga467.CmdReset, ga467.CmdStatus:
		return ga467.StatusOK, nil
	case ga467.CmdSAMID:
		return ga467.StatusOK, []byte("EMU-SAM-00000001")
	case ga467.CmdFind:
		return e.find()
	case ga467.CmdSelect:
		return e.selectCard(fault)
	case ga467.CmdReadBasic, ga467.CmdReadWithFinger:
		return e.read(c, fault)
	case ga467.CmdReadNewAddress:
		return ga467.Status{SW3: ga467.SWNoContent}, nil
	}
	return ga467.Status{SW3: ga467.SWBadCommand}, nil
}

func (e *Emulator) find() (ga467.Status, []byte) {
	if e.present < 0 || (e.readDone && e.RequireRemoval) {
		return ga467.Status{SW3: ga467.SWFindFailed}, nil
	}
	e.found = true
	return ga467.StatusFound, e.cards[e.present].IIN
}

func (e *Emulator) selectCard(fault Fault) (ga467.Status, []byte) {
	if e.present < 0 || !e.found {
		return ga467.Status{SW3: ga467.SWSelectFailed}, nil
	}
	e.selected = true
	sn := e.cards[e.present].SN
	if fault == FaultRemoveAfterSelect {
		e.removeLocked()
	}
	return ga467.StatusOK, sn
}

func (e *Emulator) read(c ga467.Command, fault Fault) (ga467.Status, []byte) {
	if e.present < 0 || !e.selected {
		return ga467.Status{SW3: ga467.SWReadFailed}, nil
	}
	card := e.cards[e.present]
	id := card.Identity
	if fault == FaultBadIDNumber {
		id.Number = id.Number[:17] + wrongCheck(id.Number[17])
	}
	text, err := ga467.EncodeText(id)
	if err != nil {
		e.log.Error("encode card text", "err", err)
		return ga467.Status{SW3: ga467.SWReadFailed}, nil
	}
	// The card stays selected, so a host may resend a read whose response
	// was damaged. Only find is refused until the card is placed again.
	e.found, e.readDone = false, true
	return ga467.StatusOK, ga467.EncodeRead(c, text, card.Photo, card.Fingerprint)
}

func wrongCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// Damage applies a wire fault to a response frame. It returns nil when
// nothing is to be sent.
func Damage(frame []byte, f Fault) []byte {
	out := append([]byte(nil), frame...)
	switch f {
	case FaultChecksum:
		out[len(out)-1] ^= 0x5A
	case FaultLength:
		n := int(out[5])<<8 | int(out[6]) + 1
		out[5], out[6] = byte(n>>8), byte(n)
	case FaultTruncate:
		out = out[:len(out)/2]
	case FaultSilent:
		return nil
	}
	return out
}
