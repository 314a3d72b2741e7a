package apdu

import (
	"fmt"
)

// TLV is one BER-TLV data object as ISO/IEC 7816-4 clause 6.3 defines it.
// Tag holds the tag bytes as a big-endian number (0x5F2E for a 2-byte tag).
// A constructed object keeps its raw Value; ParseTLV on Value yields its
// children.
type TLV struct {
	Tag   uint32
	Value []byte
}

// Constructed reports whether bit 6 of the first tag byte is set.
func (t TLV) Constructed() bool {
	first := t.Tag
	for first > 0xFF {
		first >>= 8
	}
	return first&0x20 != 0
}

// maxTagBytes is the longest tag ParseTLV accepts.
const maxTagBytes = 3

// ParseTLV decodes a sequence of BER-TLV objects. Bytes 00 and FF between
// objects are padding and are skipped, as ISO/IEC 7816-4 allows, so a
// fixed-size file's unused tail parses as empty. Lengths up to 3 bytes
// (83 xx xx xx) are accepted; indefinite lengths are rejected.
func ParseTLV(b []byte) ([]TLV, error) {
	var out []TLV
	for i := 0; i < len(b); {
		if b[i] == 0x00 || b[i] == 0xFF {
			i++
			continue
		}
		tag, n, err := parseTag(b[i:])
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %w", i, err)
		}
		i += n
		length, n, err := parseLength(b[i:])
		if err != nil {
			return nil, fmt.Errorf("tag %X at byte %d: %w", tag, i, err)
		}
		i += n
		if length > len(b)-i {
			return nil, fmt.Errorf("%w: tag %X claims %d bytes but %d remain", ErrMalformed, tag, length, len(b)-i)
		}
		out = append(out, TLV{Tag: tag, Value: b[i : i+length : i+length]})
		i += length
	}
	return out, nil
}

func parseTag(b []byte) (uint32, int, error) {
	tag := uint32(b[0])
	if b[0]&0x1F != 0x1F {
		return tag, 1, nil
	}
	for n := 1; n < len(b); n++ {
		if n >= maxTagBytes {
			return 0, 0, fmt.Errorf("%w: tag longer than %d bytes", ErrMalformed, maxTagBytes)
		}
		tag = tag<<8 | uint32(b[n])
		if b[n]&0x80 == 0 {
			return tag, n + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: truncated tag", ErrMalformed)
}

func parseLength(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: missing length", ErrMalformed)
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	n := int(b[0] & 0x7F)
	if n == 0 || n > 3 {
		return 0, 0, fmt.Errorf("%w: unsupported length form %02X", ErrMalformed, b[0])
	}
	if len(b) < 1+n {
		return 0, 0, fmt.Errorf("%w: truncated length", ErrMalformed)
	}
	length := 0
	for _, c := range b[1 : 1+n] {
		length = length<<8 | int(c)
	}
	return length, 1 + n, nil
}

// AppendTLV appends one object with the shortest length encoding.
func AppendTLV(out []byte, tag uint32, value []byte) []byte {
	switch {
	case tag > 0xFFFF:
		out = append(out, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		out = append(out, byte(tag>>8), byte(tag))
	default:
		out = append(out, byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n <= 0xFF:
		out = append(out, 0x81, byte(n))
	case n <= 0xFFFF:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, value...)
}

// Find returns the value of the first object with tag, and whether one
// exists.
func Find(objs []TLV, tag uint32) ([]byte, bool) {
	for _, o := range objs {
		if o.Tag == tag {
			return o.Value, true
		}
	}
	return nil, false
}
