package diag

import (
	"errors"
	"fmt"
	"strings"
)

// ATR is a decoded answer to reset (ISO/IEC 7816-3:2006 clause 8.2, and for
// the historical bytes ISO/IEC 7816-4:2020 clause 12.1).
type ATR struct {
	// Convention is "direct" (TS 3B) or "inverse" (TS 3F).
	Convention string
	// Protocols lists the protocols the interface bytes offer, such as
	// "T=0" and "T=1"; T=0 alone when no TD byte names one.
	Protocols []string
	// Historical is the K historical bytes.
	Historical []byte
	// Category describes the historical bytes' category indicator.
	Category string
	// Extended is "yes" or "no" when the card capabilities (compact-TLV tag
	// 7) state extended Lc and Le support, and "" when they do not state it.
	Extended string
	// TCK is "valid", "invalid" or "absent" (T=0 only).
	TCK string
}

// ErrATR is wrapped by every ATR decoding failure.
var ErrATR = errors.New("invalid ATR")

// ParseATR decodes an answer to reset.
func ParseATR(b []byte) (ATR, error) {
	var a ATR
	if len(b) < 2 {
		return a, fmt.Errorf("%w: %d bytes, at least TS and T0 are required", ErrATR, len(b))
	}
	switch b[0] {
	case 0x3B:
		a.Convention = "direct"
	case 0x3F:
		a.Convention = "inverse"
	default:
		return a, fmt.Errorf("%w: TS %02X is neither 3B nor 3F", ErrATR, b[0])
	}
	pos, protocols, err := interfaceBytes(b)
	if err != nil {
		return a, err
	}
	a.Protocols = protocols
	k := int(b[1] & 0x0F)
	if pos+k > len(b) {
		return a, fmt.Errorf("%w: T0 announces %d historical bytes, %d present", ErrATR, k, len(b)-pos)
	}
	a.Historical = b[pos : pos+k]
	a.Category, a.Extended = historical(a.Historical)
	a.TCK = checkTCK(b, pos+k, protocols)
	return a, nil
}

// interfaceBytes walks TA1..TDi and returns the position of the first
// historical byte and the protocols the TD bytes name.
func interfaceBytes(b []byte) (int, []string, error) {
	pos, y := 2, b[1]>>4
	var protocols []string
	for {
		for _, bit := range []byte{0x1, 0x2, 0x4} { // TAi, TBi, TCi
			if y&bit != 0 {
				pos++
			}
		}
		if y&0x8 == 0 {
			break
		}
		if pos >= len(b) {
			return 0, nil, fmt.Errorf("%w: interface bytes run past the end", ErrATR)
		}
		td := b[pos]
		pos++
		t := fmt.Sprintf("T=%d", td&0x0F)
		if !contains(protocols, t) {
			protocols = append(protocols, t)
		}
		y = td >> 4
	}
	if pos > len(b) {
		return 0, nil, fmt.Errorf("%w: interface bytes run past the end", ErrATR)
	}
	if len(protocols) == 0 {
		protocols = []string{"T=0"}
	}
	return pos, protocols, nil
}

// checkTCK verifies the check byte, which is present unless T=0 is the
// only protocol offered: the XOR of T0 through TCK is zero.
func checkTCK(b []byte, end int, protocols []string) string {
	if len(protocols) == 1 && protocols[0] == "T=0" {
		return "absent"
	}
	if end >= len(b) {
		return "invalid"
	}
	var x byte
	for _, c := range b[1 : end+1] {
		x ^= c
	}
	if x != 0 {
		return "invalid"
	}
	return "valid"
}

// historical reads the category indicator and, for compact-TLV
// categories, the card capabilities' extended-length bit (third software
// function table, b7).
func historical(h []byte) (category, extended string) {
	if len(h) == 0 {
		return "none", ""
	}
	var objs []byte
	switch h[0] {
	case 0x00:
		category = "compact-TLV with status indicator"
		if len(h) >= 4 {
			objs = h[1 : len(h)-3]
		}
	case 0x80:
		category, objs = "compact-TLV", h[1:]
	case 0x10:
		return "DIR data reference", ""
	default:
		return fmt.Sprintf("proprietary (%02X)", h[0]), ""
	}
	for len(objs) > 0 {
		tag, n := objs[0]>>4, int(objs[0]&0x0F)
		if 1+n > len(objs) {
			break
		}
		if tag == 7 && n >= 3 {
			extended = "no"
			if objs[3]&0x40 != 0 {
				extended = "yes"
			}
		}
		objs = objs[1+n:]
	}
	return category, extended
}

// printable returns b as text when every byte is printable ASCII.
func printable(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return ""
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
