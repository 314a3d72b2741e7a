package permitcard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"permitdesk/devices/apdu"
)

// template parses b and returns the fields of its single template with
// tag. A file of padding only returns (nil, false, nil).
func template(b []byte, tag uint32, name string) ([]apdu.TLV, bool, error) {
	objs, err := apdu.ParseTLV(b)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s: %w", ErrBadContent, name, err)
	}
	if len(objs) == 0 {
		return nil, false, nil
	}
	if objs[0].Tag != tag {
		return nil, false, fmt.Errorf("%w: %s starts with tag %X, want %X", ErrBadContent, name, objs[0].Tag, tag)
	}
	fields, err := apdu.ParseTLV(objs[0].Value)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s: %w", ErrBadContent, name, err)
	}
	return fields, true, nil
}

type fieldReader struct {
	fields []apdu.TLV
	err    error
}

func (r *fieldReader) ascii(tag uint32) string {
	v, _ := apdu.Find(r.fields, tag)
	return string(v)
}

func (r *fieldReader) text(tag uint32) string {
	v, _ := apdu.Find(r.fields, tag)
	s, err := decodeText(v)
	if err != nil && r.err == nil {
		r.err = err
	}
	return s
}

func (r *fieldReader) date(tag uint32) time.Time {
	t, err := parseDate(r.ascii(tag))
	if err != nil && r.err == nil {
		r.err = err
	}
	return t
}

// DecodeHolder parses EF.HOLDER.
func DecodeHolder(b []byte) (Holder, error) {
	fields, _, err := template(b, TagHolder, "EF.HOLDER")
	if err != nil {
		return Holder{}, err
	}
	r := fieldReader{fields: fields}
	h := Holder{Name: r.text(0x80), Sex: r.ascii(0x81), Ethnicity: r.text(0x82), BirthDate: r.date(0x83),
		IDNumber: r.ascii(0x84), HukouAddress: r.text(0x85)}
	return h, r.err
}

// DecodePermit parses EF.PERMIT.
func DecodePermit(b []byte) (Permit, error) {
	fields, _, err := template(b, TagPermit, "EF.PERMIT")
	if err != nil {
		return Permit{}, err
	}
	r := fieldReader{fields: fields}
	p := Permit{Number: r.ascii(0x80), Authority: r.text(0x81), ValidFrom: r.date(0x83),
		ValidTo: r.date(0x84), StationID: r.ascii(0x85)}
	if s := r.ascii(0x82); s != "" {
		t, err := time.Parse(dateTimeLayout, s)
		if err != nil {
			return p, fmt.Errorf("%w: EF.PERMIT issue time %q is not YYYYMMDDhhmmss", ErrBadContent, s)
		}
		p.IssuedAt = t
	}
	return p, r.err
}

// DecodeAddress parses an E3 template (and any padding after it).
func DecodeAddress(b []byte) (Address, error) {
	fields, _, err := template(b, TagAddress, "address")
	if err != nil {
		return Address{}, err
	}
	return decodeAddressFields(fields)
}

func decodeAddressFields(fields []apdu.TLV) (Address, error) {
	r := fieldReader{fields: fields}
	a := Address{HouseCode: r.ascii(0x80), District: r.text(0x81), Street: r.text(0x82),
		Community: r.text(0x83), Detail: r.text(0x84)}
	return a, r.err
}

// DecodeHistory parses one EF.HISTORY record; ok is false for an empty
// record.
func DecodeHistory(b []byte) (HistoryEntry, bool, error) {
	fields, ok, err := template(b, TagHistory, "EF.HISTORY record")
	if err != nil || !ok {
		return HistoryEntry{}, false, err
	}
	var e HistoryEntry
	if v, _ := apdu.Find(fields, 0x80); len(v) == 2 {
		e.Sequence = binary.BigEndian.Uint16(v)
	}
	r := fieldReader{fields: fields}
	e.ChangedOn = r.date(0x81)
	if r.err != nil {
		return e, false, r.err
	}
	addr, found := apdu.Find(fields, TagAddress)
	if !found {
		return e, false, fmt.Errorf("%w: EF.HISTORY record has no address template", ErrBadContent)
	}
	inner, err := apdu.ParseTLV(addr)
	if err != nil {
		return e, false, fmt.Errorf("%w: EF.HISTORY address: %w", ErrBadContent, err)
	}
	e.Address, err = decodeAddressFields(inner)
	return e, true, err
}

// DecodePhoto parses EF.PHOTO; an empty file returns nil.
func DecodePhoto(b []byte) ([]byte, error) {
	objs, err := apdu.ParseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("%w: EF.PHOTO: %w", ErrBadContent, err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	if objs[0].Tag != TagPhoto {
		return nil, fmt.Errorf("%w: EF.PHOTO starts with tag %X, want %X", ErrBadContent, objs[0].Tag, TagPhoto)
	}
	return bytes.Clone(objs[0].Value), nil
}

// DecodeSeal parses EF.SEAL.
func DecodeSeal(b []byte) (Seal, error) {
	fields, _, err := template(b, TagSeal, "EF.SEAL")
	if err != nil {
		return Seal{}, err
	}
	var s Seal
	if v, ok := apdu.Find(fields, 0x80); ok {
		s.KeyID = string(v)
	}
	if v, ok := apdu.Find(fields, 0x82); ok {
		s.Signature = bytes.Clone(v)
	}
	return s, nil
}

// DecodeCardInfo parses EF.CARDINFO.
func DecodeCardInfo(b []byte) (Serial, int, error) {
	var s Serial
	fields, ok, err := template(b, TagCardInfo, "EF.CARDINFO")
	if err != nil {
		return s, 0, err
	}
	v, found := apdu.Find(fields, TagSerial)
	if !ok || !found || len(v) != len(s) {
		return s, 0, fmt.Errorf("%w: EF.CARDINFO has no 8-byte serial: the card was not formatted "+
			"for permits", ErrBadContent)
	}
	copy(s[:], v)
	version := 0
	if v, ok := apdu.Find(fields, TagLayoutVers); ok && len(v) == 1 {
		version = int(v[0])
	}
	return s, version, nil
}

// marker is a decoded commit marker.
type marker struct {
	present bool
	valid   bool // digest matches the address template
	seq     uint16
}

// decodeAddressFile splits EF.ADDRESS into its marker and address.
func decodeAddressFile(b []byte) (marker, Address, []byte, error) {
	var m marker
	if len(b) < MarkerSize {
		return m, Address{}, nil, fmt.Errorf("%w: EF.ADDRESS is %d bytes, shorter than its marker", ErrBadContent, len(b))
	}
	head, body := b[:MarkerSize], b[MarkerSize:]
	objs, err := apdu.ParseTLV(body)
	if err != nil {
		return m, Address{}, nil, fmt.Errorf("%w: EF.ADDRESS: %w", ErrBadContent, err)
	}
	var raw []byte
	var addr Address
	if len(objs) > 0 {
		raw = apdu.AppendTLV(nil, objs[0].Tag, objs[0].Value)
		if addr, err = DecodeAddress(raw); err != nil {
			return m, addr, raw, err
		}
	}
	m.present = !allZero(head)
	if m.present && head[0] == TagMarker && head[1] == MarkerSize-2 {
		m.seq = binary.BigEndian.Uint16(head[2:4])
		sum := sha256.Sum256(raw)
		m.valid = raw != nil && bytes.Equal(head[4:12], sum[:8])
	}
	return m, addr, raw, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
