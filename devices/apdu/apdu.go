// Package apdu builds ISO/IEC 7816-4 command APDUs, parses response APDUs,
// and runs the T=0 recovery rules on top of any raw transmitter.
//
// Sources: ISO/IEC 7816-4:2020 clauses 5.1 (command-response pairs) and 5.6
// (status words), and the FMCOS-style status-word table used by Chinese CPU
// cards. Exchange implements two T=0 rules that readers leave to the host:
// SW 61xx is answered with GET RESPONSE (61 00 means 256 more bytes), and
// SW 6Cxx repeats the same command with Le = xx.
//
// Limits: short APDUs carry at most 255 data bytes and request at most 256;
// extended APDUs carry at most 65 535 and request at most 65 536, and are
// only sent when the caller asks for them (Command.Bytes with extended set).
// Secure messaging (CLA 04 with a MAC) is not implemented.
package apdu

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Maximum data lengths of short and extended APDUs.
const (
	MaxShortLc    = 255
	MaxShortNe    = 256
	MaxExtendedLc = 65535
	MaxExtendedNe = 65536
)

// Instruction bytes used by permitdesk.
const (
	InsSelect         byte = 0xA4
	InsReadBinary     byte = 0xB0
	InsUpdateBinary   byte = 0xD6
	InsReadRecord     byte = 0xB2
	InsUpdateRecord   byte = 0xDC
	InsAppendRecord   byte = 0xE2
	InsGetChallenge   byte = 0x84
	InsExternalAuth   byte = 0x82
	InsGetResponse    byte = 0xC0
	InsGetData        byte = 0xCA
	InsEraseDF        byte = 0x0E
	InsCreateFile     byte = 0xE0
	InsPSAMDiversify  byte = 0x1A
	InsPSAMCipher     byte = 0xFA
	ClaISO            byte = 0x00
	ClaProprietary    byte = 0x80
	ClaPCSCPseudoAPDU byte = 0xFF
)

// ErrMalformed is wrapped by every parse failure of bytes from a card.
var ErrMalformed = errors.New("malformed APDU")

// ErrCardReset reports that another application reset the card, so the
// card's security state and current file are lost. Callers reconnect,
// select and authenticate again, then retry an idempotent step.
var ErrCardReset = errors.New("card was reset by another application")

// Command is a command APDU. Ne is the number of response bytes expected:
// 0 means no Le field, 256 is encoded as a short Le of 00, and 65 536 as an
// extended Le of 00 00.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
}

// Bytes encodes the command in short form, or in extended form when
// extended is true and the lengths need it. It fails when the lengths do not
// fit the chosen form.
func (c Command) Bytes(extended bool) ([]byte, error) {
	if c.Ne < 0 || len(c.Data) > MaxExtendedLc || c.Ne > MaxExtendedNe {
		return nil, fmt.Errorf("apdu %s: Lc %d or Ne %d out of range", c.Name(), len(c.Data), c.Ne)
	}
	short := len(c.Data) <= MaxShortLc && c.Ne <= MaxShortNe
	if !short && !extended {
		return nil, fmt.Errorf("apdu %s: Lc %d or Ne %d needs an extended APDU, which is disabled: "+
			"send it in chunks of at most %d bytes", c.Name(), len(c.Data), c.Ne, MaxShortLc)
	}
	out := []byte{c.CLA, c.INS, c.P1, c.P2}
	if short {
		return c.appendShort(out), nil
	}
	return c.appendExtended(out), nil
}

func (c Command) appendShort(out []byte) []byte {
	if len(c.Data) > 0 {
		out = append(out, byte(len(c.Data)))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		out = append(out, byte(c.Ne)) // 256 wraps to 00
	}
	return out
}

func (c Command) appendExtended(out []byte) []byte {
	out = append(out, 0x00)
	if len(c.Data) > 0 {
		out = append(out, byte(len(c.Data)>>8), byte(len(c.Data)))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 wraps to 00 00
	}
	return out
}

// Name returns a short label for the command, such as "SELECT" or "INS 0x12",
// for errors and logs. It never includes the data field.
func (c Command) Name() string {
	if n, ok := insNames[c.INS]; ok && c.CLA&0x80 == 0 {
		return n
	}
	if c.CLA == ClaProprietary {
		switch c.INS {
		case InsPSAMDiversify:
			return "PSAM DIVERSIFY"
		case InsPSAMCipher:
			return "PSAM CIPHER"
		case InsEraseDF:
			return "ERASE DF"
		case InsCreateFile:
			return "CREATE FILE"
		}
	}
	return fmt.Sprintf("CLA %02X INS %02X", c.CLA, c.INS)
}

var insNames = map[byte]string{
	InsSelect: "SELECT", InsReadBinary: "READ BINARY", InsUpdateBinary: "UPDATE BINARY",
	InsReadRecord: "READ RECORD", InsUpdateRecord: "UPDATE RECORD", InsAppendRecord: "APPEND RECORD",
	InsGetChallenge: "GET CHALLENGE", InsExternalAuth: "EXTERNAL AUTHENTICATE",
	InsGetResponse: "GET RESPONSE", InsGetData: "GET DATA",
}

// ParseCommand decodes a command APDU in short or extended form. Card
// emulators use it; the boolean reports whether the extended form was used.
func ParseCommand(b []byte) (Command, bool, error) {
	if len(b) < 4 {
		return Command{}, false, fmt.Errorf("%w: command of %d bytes is shorter than its 4-byte header",
			ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0:
		return c, false, nil
	case len(body) == 1:
		c.Ne = neShort(body[0])
		return c, false, nil
	case body[0] != 0 || len(body) < 3:
		return parseShortBody(c, body)
	default:
		return parseExtendedBody(c, body[1:])
	}
}

func parseShortBody(c Command, body []byte) (Command, bool, error) {
	lc := int(body[0])
	switch {
	case lc == 0:
		return c, false, fmt.Errorf("%w: short Lc of 0", ErrMalformed)
	case len(body) == 1+lc:
		c.Data = append([]byte(nil), body[1:]...)
	case len(body) == 2+lc:
		c.Data = append([]byte(nil), body[1:1+lc]...)
		c.Ne = neShort(body[1+lc])
	default:
		return c, false, fmt.Errorf("%w: Lc %d does not match a body of %d bytes", ErrMalformed, lc, len(body))
	}
	return c, false, nil
}

func parseExtendedBody(c Command, body []byte) (Command, bool, error) {
	n := int(body[0])<<8 | int(body[1])
	rest := body[2:]
	switch {
	case len(rest) == 0:
		c.Ne = neExtended(n)
	case n == 0:
		return c, true, fmt.Errorf("%w: extended Lc of 0", ErrMalformed)
	case len(rest) == n:
		c.Data = append([]byte(nil), rest...)
	case len(rest) == n+2:
		c.Data = append([]byte(nil), rest[:n]...)
		c.Ne = neExtended(int(rest[n])<<8 | int(rest[n+1]))
	default:
		return c, true, fmt.Errorf("%w: extended Lc %d does not match a body of %d bytes",
			ErrMalformed, n, len(rest))
	}
	return c, true, nil
}

func neShort(b byte) int {
	if b == 0 {
		return MaxShortNe
	}
	return int(b)
}

func neExtended(n int) int {
	if n == 0 {
		return MaxExtendedNe
	}
	return n
}

// ParseHex decodes hexadecimal text with optional spaces or colons, as an
// operator types an APDU.
func ParseHex(s string) ([]byte, error) {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', ':', '\t':
			continue
		}
		clean = append(clean, s[i])
	}
	b, err := hex.DecodeString(string(clean))
	if err != nil {
		return nil, fmt.Errorf("invalid hexadecimal %q: write bytes as pairs of 0-9 A-F, e.g. 00A4040007F050", s)
	}
	return b, nil
}
