package ga467

import (
	"encoding/binary"
	"fmt"

	"permitdesk/devices/idcard"
)

// Record is the result of a 30 01 or 30 10 read: the decoded identity and
// the raw blocks it came from.
type Record struct {
	Identity idcard.Identity `json:"identity"`
	// Text is the 256-byte UCS-2LE text block as read.
	Text []byte `json:"-"`
	// Photo is the 1024-byte WLT-compressed photo, kept raw.
	Photo []byte `json:"photo"`
	// Fingerprint is the fingerprint block of a 30 10 read, empty when the
	// card has none or the read was 30 01.
	Fingerprint []byte `json:"fingerprint,omitempty"`
}

// Blocks are the raw parts of a read response before the text is decoded.
type Blocks struct {
	Text, Photo, Fingerprint []byte
}

// SplitRead splits the data of a successful read response. For 30 01 the
// data is TXT_LEN PHOTO_LEN TEXT PHOTO; for 30 10 a FP_LEN follows PHOTO_LEN
// and the fingerprint follows the photo. Lengths are big-endian. Each length
// is checked against the data received.
func SplitRead(c Command, data []byte) (Blocks, error) {
	nlen := 2
	if c == CmdReadWithFinger {
		nlen = 3
	}
	if len(data) < 2*nlen {
		return Blocks{}, fmt.Errorf("%s: response data has %d bytes, too short for %d length fields", c, len(data), nlen)
	}
	lens := make([]int, nlen)
	total := 2 * nlen
	for i := range lens {
		lens[i] = int(binary.BigEndian.Uint16(data[2*i:]))
		total += lens[i]
	}
	if err := checkBlockLens(c, lens); err != nil {
		return Blocks{}, err
	}
	if total != len(data) {
		return Blocks{}, fmt.Errorf("%s: the length fields %v add up to %d bytes but %d arrived", c, lens, total, len(data))
	}
	rest := data[2*nlen:]
	b := Blocks{Text: rest[:lens[0]], Photo: rest[lens[0] : lens[0]+lens[1]]}
	if nlen == 3 {
		b.Fingerprint = rest[lens[0]+lens[1]:]
	}
	return b, nil
}

func checkBlockLens(c Command, lens []int) error {
	if lens[0] != TextLen {
		return fmt.Errorf("%s: text length %d, want %d", c, lens[0], TextLen)
	}
	if lens[1] != PhotoLen {
		return fmt.Errorf("%s: photo length %d, want %d", c, lens[1], PhotoLen)
	}
	if len(lens) == 3 && lens[2] > MaxFingerprintLen {
		return fmt.Errorf("%s: fingerprint length %d exceeds %d", c, lens[2], MaxFingerprintLen)
	}
	return nil
}

// DecodeRead splits and decodes the data of a successful read response.
func DecodeRead(c Command, data []byte) (Record, error) {
	b, err := SplitRead(c, data)
	if err != nil {
		return Record{}, err
	}
	id, err := DecodeText(b.Text)
	if err != nil {
		return Record{}, err
	}
	return Record{Identity: id, Text: clone(b.Text), Photo: clone(b.Photo), Fingerprint: clone(b.Fingerprint)}, nil
}

// EncodeRead builds the data of a read response; fingerprint is used by
// 30 10 only. The emulator uses it.
func EncodeRead(c Command, text, photo, fingerprint []byte) []byte {
	var out []byte
	out = binary.BigEndian.AppendUint16(out, uint16(len(text)))
	out = binary.BigEndian.AppendUint16(out, uint16(len(photo)))
	if c == CmdReadWithFinger {
		out = binary.BigEndian.AppendUint16(out, uint16(len(fingerprint)))
	}
	out = append(append(out, text...), photo...)
	if c == CmdReadWithFinger {
		out = append(out, fingerprint...)
	}
	return out
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
