package card

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"slices"
	"sync"

	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/permitcard"
)

// ef is one elementary file of the chip.
type ef struct {
	spec    permitcard.FileSpec
	data    []byte   // transparent
	records [][]byte // cyclic, newest first
}

// chipState is what persists between insertions of a card.
type chipState struct {
	Serial   permitcard.Serial `json:"serial"`
	Key      [16]byte          `json:"key"` // diversified card key (emulator state only)
	Tries    int               `json:"tries"`
	MaxTries int               `json:"maxTries"`
	Files    map[uint16][]byte `json:"files"`
	Records  map[uint16][][]byte
}

// chipOptions are the per-card behaviours the emulator sets.
type chipOptions struct {
	T0        bool // answer case-4 commands with 61xx and check Le (6Cxx)
	T0Chunk   int  // most bytes announced by one 61xx; 0 means 256
	ShortOnly bool // reject extended-length APDUs with 6700
}

// chip is the card OS: a file system with MF, one DF, transparent and
// cyclic EFs, and one external-authentication key. Its methods are safe
// for concurrent use.
type chip struct {
	mu   sync.Mutex
	st   chipState
	opts chipOptions
	efs  map[uint16]*ef

	// Session state, cleared by reset.
	inDF          bool
	cur           *ef
	authenticated bool
	challenge     []byte
	pending       []byte // T=0 data awaiting GET RESPONSE
	dirty         bool   // files changed since the last save
}

// newBlankChip formats a card at manufacture: every EF created empty,
// EF.CARDINFO written, and the card key diversified from mk by the serial.
func newBlankChip(serial permitcard.Serial, mk keys.MasterKey, maxTries int) (*chip, error) {
	key, err := keys.Diversify(mk, serial[:])
	if err != nil {
		return nil, err
	}
	st := chipState{Serial: serial, Key: key, Tries: maxTries, MaxTries: maxTries,
		Files: map[uint16][]byte{}, Records: map[uint16][][]byte{}}
	for _, f := range permitcard.Files {
		if f.Kind == permitcard.Transparent {
			st.Files[f.FID] = make([]byte, f.Size)
		}
	}
	st.Files[permitcard.FIDCardInfo] = permitcard.EncodeCardInfo(serial)
	return chipFromState(st), nil
}

func chipFromState(st chipState) *chip {
	c := &chip{st: st, efs: map[uint16]*ef{}}
	for _, f := range permitcard.Files {
		e := &ef{spec: f}
		if f.Kind == permitcard.Transparent {
			e.data = st.Files[f.FID]
			if len(e.data) != f.Size {
				e.data = append(e.data, make([]byte, max(0, f.Size-len(e.data)))...)[:f.Size]
			}
		} else {
			e.records = st.Records[f.FID]
		}
		c.efs[f.FID] = e
	}
	return c
}

// snapshot returns a copy of the persistent state.
func (c *chip) snapshot() chipState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.Files = map[uint16][]byte{}
	st.Records = map[uint16][][]byte{}
	for fid, e := range c.efs {
		if e.spec.Kind == permitcard.Transparent {
			st.Files[fid] = slices.Clone(e.data)
		} else {
			st.Records[fid] = cloneRecords(e.records)
		}
	}
	c.dirty = false
	return st
}

func cloneRecords(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, r := range in {
		out[i] = slices.Clone(r)
	}
	return out
}

// reset clears the security state and selection, as a power cycle does.
func (c *chip) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inDF, c.cur, c.authenticated, c.challenge, c.pending = false, nil, false, nil, nil
}

// atr returns the answer to reset: a contactless-style T=1 ATR
// (3B 8A 80 01 ...), or a T=0-only ATR (3B 0A ...), each with the
// historical bytes "PERMITDESK".
func (c *chip) atr() []byte {
	hist := []byte("PERMITDESK")
	if c.opts.T0 {
		return append([]byte{0x3B, 0x0A}, hist...)
	}
	out := append([]byte{0x3B, 0x8A, 0x80, 0x01}, hist...)
	var tck byte
	for _, b := range out[1:] {
		tck ^= b
	}
	return append(out, tck)
}

// process runs one command APDU and returns the response APDU. changed
// reports whether a file was written.
func (c *chip) process(raw []byte) (rsp []byte, changed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd, extended, err := apdu.ParseCommand(raw)
	if err != nil {
		return sw(apdu.SWWrongLength), false
	}
	if extended && c.opts.ShortOnly {
		return sw(apdu.SWWrongLength), false
	}
	wasChallenge := c.challenge
	c.challenge = nil
	if cmd.INS != apdu.InsGetResponse {
		c.pending = nil
	}
	data, status := c.dispatch(cmd, wasChallenge)
	changed = c.dirty
	return c.answer(cmd, data, status), changed
}

// answer applies the T=0 rules: a case-4 success is announced with 61xx.
func (c *chip) answer(cmd apdu.Command, data []byte, status apdu.StatusWord) []byte {
	if c.opts.T0 && status.OK() && len(data) > 0 && len(cmd.Data) > 0 && cmd.INS != apdu.InsGetResponse {
		c.pending = data
		return sw(c.announce())
	}
	return apdu.Response{Data: data, SW: status}.Bytes()
}

func (c *chip) announce() apdu.StatusWord {
	n := len(c.pending)
	limit := 256
	if c.opts.T0Chunk > 0 {
		limit = c.opts.T0Chunk
	}
	n = min(n, limit)
	return apdu.StatusWord(0x6100 | (n & 0xFF))
}

func sw(s apdu.StatusWord) []byte { return []byte{s.SW1(), s.SW2()} }

func (c *chip) dispatch(cmd apdu.Command, challenge []byte) ([]byte, apdu.StatusWord) {
	switch cmd.CLA {
	case apdu.ClaISO:
	case apdu.ClaPCSCPseudoAPDU:
		if cmd.INS == apdu.InsGetData && cmd.P1 == 0 && cmd.P2 == 0 {
			return slices.Clone(c.st.Serial[:]), apdu.SWOK
		}
		return nil, apdu.SWInsNotSupported
	default:
		return nil, apdu.SWClaNotSupported
	}
	switch cmd.INS {
	case apdu.InsSelect:
		return c.selectFile(cmd)
	case apdu.InsReadBinary:
		return c.readBinary(cmd)
	case apdu.InsUpdateBinary:
		return c.updateBinary(cmd)
	case apdu.InsReadRecord:
		return c.readRecord(cmd)
	case apdu.InsUpdateRecord, apdu.InsAppendRecord:
		return c.writeRecord(cmd)
	case apdu.InsGetChallenge:
		return c.getChallenge(cmd)
	case apdu.InsExternalAuth:
		return c.externalAuth(cmd, challenge)
	case apdu.InsGetResponse:
		return c.getResponse(cmd)
	}
	return nil, apdu.SWInsNotSupported
}

func (c *chip) getChallenge(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	if cmd.Ne != 4 && cmd.Ne != 8 {
		return nil, apdu.SWWrongLength
	}
	ch := make([]byte, 8)
	_, _ = rand.Read(ch[:cmd.Ne])
	c.challenge = ch // a 4-byte challenge is padded with 00 00 00 00
	return slices.Clone(ch[:cmd.Ne]), apdu.SWOK
}

func (c *chip) externalAuth(cmd apdu.Command, challenge []byte) ([]byte, apdu.StatusWord) {
	switch {
	case cmd.P2 != permitcard.KeyID || !c.inDF:
		return nil, apdu.SWKeyNotFound
	case len(cmd.Data) != keys.CryptogramSize:
		return nil, apdu.SWWrongLength
	case c.st.Tries <= 0:
		return nil, apdu.SWKeyBlocked
	case challenge == nil:
		return nil, apdu.SWConditionsNotMet
	}
	want, err := keys.Encrypt3DES(c.st.Key, challenge)
	if err != nil || subtle.ConstantTimeCompare(want, cmd.Data) != 1 {
		c.st.Tries--
		c.dirty = true
		c.authenticated = false
		return nil, apdu.StatusWord(0x63C0 | c.st.Tries)
	}
	if c.st.Tries != c.st.MaxTries {
		c.st.Tries = c.st.MaxTries
		c.dirty = true
	}
	c.authenticated = true
	return nil, apdu.SWOK
}

func (c *chip) getResponse(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	if len(c.pending) == 0 {
		return nil, apdu.SWConditionsNotMet
	}
	n := cmd.Ne
	if n > len(c.pending) {
		return nil, apdu.StatusWord(0x6C00 | len(c.pending)&0xFF)
	}
	out := c.pending[:n]
	c.pending = c.pending[n:]
	if len(c.pending) > 0 {
		return out, c.announce()
	}
	return out, apdu.SWOK
}

// serialOf returns the chip's serial without locking (immutable).
func (c *chip) serial() permitcard.Serial { return c.st.Serial }

func u16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
