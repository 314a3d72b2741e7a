package permitcard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"permitdesk/devices/apdu"
)

// ErrBadContent is wrapped when a file's bytes do not decode, or data does
// not fit the layout.
var ErrBadContent = errors.New("invalid permit card content")

const (
	dateLayout     = "20060102"
	dateTimeLayout = "20060102150405"
)

type field struct {
	tag   uint32
	value string
	text  bool // GB18030 text; otherwise ASCII
}

func encodeTemplate(tag uint32, fields []field) ([]byte, error) {
	var body []byte
	for _, f := range fields {
		v, err := encodeValue(f)
		if err != nil {
			return nil, err
		}
		body = apdu.AppendTLV(body, f.tag, v)
	}
	return apdu.AppendTLV(nil, tag, body), nil
}

func encodeValue(f field) ([]byte, error) {
	if !utf8.ValidString(f.value) {
		return nil, fmt.Errorf("%w: field %02X is not valid UTF-8", ErrBadContent, f.tag)
	}
	for _, r := range f.value {
		if unicode.IsControl(r) {
			return nil, fmt.Errorf("%w: field %02X value %q contains a control character", ErrBadContent, f.tag, f.value)
		}
		if !f.text && r > unicode.MaxASCII {
			return nil, fmt.Errorf("%w: field %02X value %q must be ASCII", ErrBadContent, f.tag, f.value)
		}
	}
	if !f.text {
		return []byte(f.value), nil
	}
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(f.value))
	if err != nil {
		return nil, fmt.Errorf("%w: field %02X value %q has no GB18030 encoding", ErrBadContent, f.tag, f.value)
	}
	return b, nil
}

func decodeText(b []byte) (string, error) {
	s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%w: invalid GB18030 text", ErrBadContent)
	}
	return string(s), nil
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not YYYYMMDD", ErrBadContent, s)
	}
	return t, nil
}

// EncodeHolder returns the E1 template of EF.HOLDER.
func EncodeHolder(h Holder) ([]byte, error) {
	return encodeTemplate(TagHolder, []field{
		{0x80, h.Name, true}, {0x81, h.Sex, false}, {0x82, h.Ethnicity, true},
		{0x83, formatDate(h.BirthDate), false}, {0x84, h.IDNumber, false}, {0x85, h.HukouAddress, true},
	})
}

// EncodePermit returns the E2 template of EF.PERMIT.
func EncodePermit(p Permit) ([]byte, error) {
	issued := ""
	if !p.IssuedAt.IsZero() {
		issued = p.IssuedAt.UTC().Format(dateTimeLayout)
	}
	return encodeTemplate(TagPermit, []field{
		{0x80, p.Number, false}, {0x81, p.Authority, true}, {0x82, issued, false},
		{0x83, formatDate(p.ValidFrom), false}, {0x84, formatDate(p.ValidTo), false},
		{0x85, p.StationID, false},
	})
}

// EncodeAddress returns the E3 template of an address.
func EncodeAddress(a Address) ([]byte, error) {
	return encodeTemplate(TagAddress, []field{
		{0x80, a.HouseCode, false}, {0x81, a.District, true}, {0x82, a.Street, true},
		{0x83, a.Community, true}, {0x84, a.Detail, true},
	})
}

// EncodeHistory returns one E4 record of EF.HISTORY, padded to the record
// size.
func EncodeHistory(e HistoryEntry) ([]byte, error) {
	addr, err := EncodeAddress(e.Address)
	if err != nil {
		return nil, err
	}
	var body []byte
	body = apdu.AppendTLV(body, 0x80, binary.BigEndian.AppendUint16(nil, e.Sequence))
	body = apdu.AppendTLV(body, 0x81, []byte(formatDate(e.ChangedOn)))
	body = append(body, addr...)
	rec := apdu.AppendTLV(nil, TagHistory, body)
	if len(rec) > HistoryRecordSize {
		return nil, fmt.Errorf("%w: address history record is %d bytes, the record holds %d: shorten the address",
			ErrBadContent, len(rec), HistoryRecordSize)
	}
	return pad(rec, HistoryRecordSize), nil
}

// EncodePhoto returns the 5F2E object of EF.PHOTO.
func EncodePhoto(jpeg []byte) ([]byte, error) {
	if len(jpeg) > MaxPhoto {
		return nil, fmt.Errorf("%w: photo is %d bytes, the card holds at most %d: recompress it",
			ErrBadContent, len(jpeg), MaxPhoto)
	}
	if len(jpeg) > 0 && !bytes.HasPrefix(jpeg, []byte{0xFF, 0xD8}) {
		return nil, fmt.Errorf("%w: photo does not start with the JPEG marker FF D8", ErrBadContent)
	}
	return apdu.AppendTLV(nil, TagPhoto, jpeg), nil
}

// EncodeSeal returns the E7 template of EF.SEAL.
func EncodeSeal(s Seal) ([]byte, error) {
	if _, err := encodeValue(field{0x80, s.KeyID, false}); err != nil {
		return nil, err
	}
	var body []byte
	body = apdu.AppendTLV(body, 0x80, []byte(s.KeyID))
	body = apdu.AppendTLV(body, 0x81, []byte("ed25519"))
	body = apdu.AppendTLV(body, 0x82, s.Signature)
	return apdu.AppendTLV(nil, TagSeal, body), nil
}

// EncodeMarker returns the 12-byte commit marker for an address template:
// CF 0A, the sequence (2 bytes, big-endian), then the first 8 bytes of
// SHA-256 over the E3 template.
func EncodeMarker(seq uint16, addressTLV []byte) []byte {
	sum := sha256.Sum256(addressTLV)
	out := []byte{TagMarker, MarkerSize - 2}
	out = binary.BigEndian.AppendUint16(out, seq)
	return append(out, sum[:8]...)
}

// EncodeAddressFile returns the EF.ADDRESS body after the marker: the E3
// template padded with zeros to AddressSize-MarkerSize.
func EncodeAddressFile(a Address) ([]byte, error) {
	t, err := EncodeAddress(a)
	if err != nil {
		return nil, err
	}
	if len(t) > AddressSize-MarkerSize {
		return nil, fmt.Errorf("%w: address is %d bytes encoded, EF.ADDRESS holds %d: shorten the detail",
			ErrBadContent, len(t), AddressSize-MarkerSize)
	}
	// An address must also fit a history record once it is replaced.
	if _, err := EncodeHistory(HistoryEntry{Address: a}); err != nil {
		return nil, err
	}
	return t, nil
}

// EncodeCardInfo returns EF.CARDINFO as written at manufacture.
func EncodeCardInfo(s Serial) []byte {
	var body []byte
	body = apdu.AppendTLV(body, TagSerial, s[:])
	body = apdu.AppendTLV(body, TagLayoutVers, []byte{LayoutVersion})
	return pad(apdu.AppendTLV(nil, TagCardInfo, body), CardInfoSize)
}

func pad(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}
