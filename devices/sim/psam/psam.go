// Package psam emulates the key card (PSAM) that holds the card master key,
// on the second vpcd reader ("Virtual PCD 00 01", 127.0.0.1:35964). It
// implements the command set that package keys documents: SELECT of the
// PSAM AID, DIVERSIFY INIT (80 1A) and CIPHER (80 FA). The master key never
// leaves it: no command reads it back.
//
// Limits: one master key (index 01); no PIN, no MAC commands, no key
// loading. The key card is always present while Run runs.
package psam

import (
	"bytes"
	"context"
	"log/slog"
	"sync"

	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	simcard "permitdesk/devices/sim/card"
)

// Options configure New.
type Options struct {
	// Addr is the vpcd address; default simcard.DefaultPSAMAddr.
	Addr string
	// MasterKey is the key the PSAM holds; default keys.DevMasterKey.
	MasterKey *keys.MasterKey
	// Logger receives link messages; default discards.
	Logger *slog.Logger
}

// Emulator is an emulated PSAM.
type Emulator struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	selected bool
	session  *[16]byte // diversified key after DIVERSIFY INIT
}

// New returns a PSAM emulator.
func New(opts Options) *Emulator {
	if opts.Addr == "" {
		opts.Addr = simcard.DefaultPSAMAddr
	}
	if opts.MasterKey == nil {
		mk := keys.DevMasterKey
		opts.MasterKey = &mk
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Emulator{opts: opts, log: opts.Logger.With("component", "sim_psam")}
}

// Run keeps the PSAM in the reader until ctx ends.
func (e *Emulator) Run(ctx context.Context) error {
	return simcard.RunLink(ctx, e.opts.Addr, e.log, func(ctx context.Context) (simcard.Link, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return link{e}, nil
	})
}

type link struct{ e *Emulator }

func (l link) ATR() []byte                         { return append([]byte{0x3B, 0x04}, []byte("PSAM")...) }
func (l link) Reset()                              { l.e.reset() }
func (l link) Exchange(cmd []byte) ([]byte, error) { return l.e.Process(cmd), nil }
func (l link) Done() <-chan struct{}               { return nil }

func (e *Emulator) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.selected, e.session = false, nil
}

// Process answers one command APDU.
func (e *Emulator) Process(raw []byte) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	cmd, _, err := apdu.ParseCommand(raw)
	if err != nil {
		return sw(apdu.SWWrongLength)
	}
	data, status := e.dispatch(cmd)
	return apdu.Response{Data: data, SW: status}.Bytes()
}

func (e *Emulator) dispatch(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	switch {
	case cmd.CLA == apdu.ClaISO && cmd.INS == apdu.InsSelect:
		if cmd.P1 != apdu.SelectByName || !bytes.Equal(cmd.Data, keys.PSAMAID) {
			return nil, apdu.SWFileNotFound
		}
		e.selected, e.session = true, nil
		return nil, apdu.SWOK
	case cmd.CLA != apdu.ClaProprietary:
		return nil, apdu.SWClaNotSupported
	case !e.selected:
		return nil, apdu.SWConditionsNotMet
	case cmd.INS == apdu.InsPSAMDiversify:
		return e.diversify(cmd)
	case cmd.INS == apdu.InsPSAMCipher:
		return e.cipher(cmd)
	}
	return nil, apdu.SWInsNotSupported
}

func (e *Emulator) diversify(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	if cmd.P2 != keys.PSAMKeyIndexCardAuth {
		return nil, apdu.SWKeyNotFound
	}
	if len(cmd.Data) != keys.FactorSize {
		return nil, apdu.SWWrongLength
	}
	sk, err := keys.Diversify(*e.opts.MasterKey, cmd.Data)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	e.session = &sk
	return nil, apdu.SWOK
}

func (e *Emulator) cipher(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	if e.session == nil {
		return nil, apdu.SWConditionsNotMet
	}
	if cmd.P1 != 0 || len(cmd.Data) != 8 {
		return nil, apdu.SWWrongLength
	}
	out, err := keys.Encrypt3DES(*e.session, cmd.Data)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	return out, apdu.SWOK
}

func sw(s apdu.StatusWord) []byte { return []byte{s.SW1(), s.SW2()} }
