package card

import (
	"bytes"
	"encoding/binary"
	"slices"

	"permitdesk/devices/apdu"
	"permitdesk/devices/permitcard"
)

func (c *chip) selectFile(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	var target *ef
	isDF := false
	switch cmd.P1 {
	case apdu.SelectByFID:
		if len(cmd.Data) != 2 {
			return nil, apdu.SWWrongLength
		}
		switch fid := u16(cmd.Data); {
		case fid == permitcard.FIDMF:
			c.leaveDF()
			c.cur = nil
		case fid == permitcard.FIDDF:
			isDF = true
		case c.inDF && c.efs[fid] != nil:
			target = c.efs[fid]
		default:
			return nil, apdu.SWFileNotFound
		}
	case apdu.SelectByName:
		if len(cmd.Data) == 0 || !bytes.HasPrefix(permitcard.AID, cmd.Data) {
			return nil, apdu.SWFileNotFound
		}
		isDF = true
	default:
		return nil, apdu.SWWrongP1P2
	}
	if isDF {
		c.inDF, c.cur = true, nil
	}
	if target != nil {
		c.cur = target
	}
	return c.selectResponse(cmd.P2, target, isDF)
}

// leaveDF clears the DF's security state when the MF is selected.
func (c *chip) leaveDF() {
	c.inDF = false
	c.authenticated = false
}

// selectResponse builds the FCI (P2 00) or FCP (P2 04) template, or none
// (P2 0C).
func (c *chip) selectResponse(p2 byte, target *ef, isDF bool) ([]byte, apdu.StatusWord) {
	switch p2 &^ 0x03 {
	case apdu.SelectNoData:
		return nil, apdu.SWOK
	case apdu.SelectFCI, apdu.SelectFCP:
	default:
		return nil, apdu.SWWrongP1P2
	}
	var body []byte
	switch {
	case target != nil:
		body = efFCP(target)
	case isDF:
		body = apdu.AppendTLV(body, 0x82, []byte{0x38})
		body = apdu.AppendTLV(body, 0x83, binary.BigEndian.AppendUint16(nil, permitcard.FIDDF))
		body = apdu.AppendTLV(body, 0x84, permitcard.AID)
		body = apdu.AppendTLV(body, 0xA5, c.proprietaryInfo())
	default:
		body = apdu.AppendTLV(body, 0x82, []byte{0x38})
		body = apdu.AppendTLV(body, 0x83, []byte{0x3F, 0x00})
	}
	tag := uint32(0x62)
	if p2&^0x03 == apdu.SelectFCI {
		tag = 0x6F
	}
	return apdu.AppendTLV(nil, tag, body), apdu.SWOK
}

func efFCP(e *ef) []byte {
	var body []byte
	s := e.spec
	if s.Kind == permitcard.Transparent {
		body = apdu.AppendTLV(body, 0x80, []byte{byte(s.Size >> 8), byte(s.Size)})
		body = apdu.AppendTLV(body, 0x82, []byte{0x01})
	} else {
		body = apdu.AppendTLV(body, 0x80, []byte{byte(s.RecordSize * s.Records >> 8), byte(s.RecordSize * s.Records)})
		body = apdu.AppendTLV(body, 0x82, []byte{0x06, 0x21, 0x00, byte(s.RecordSize), byte(s.Records)})
	}
	body = apdu.AppendTLV(body, 0x83, []byte{byte(s.FID >> 8), byte(s.FID)})
	body = apdu.AppendTLV(body, 0x88, []byte{s.SFI << 3})
	return body
}

// binaryTarget resolves the EF and offset of READ/UPDATE BINARY: bit 8 of
// P1 set means P1 carries an SFI and P2 the offset.
func (c *chip) binaryTarget(cmd apdu.Command) (*ef, int, apdu.StatusWord) {
	e, offset := c.cur, int(cmd.P1&0x7F)<<8|int(cmd.P2)
	if cmd.P1&0x80 != 0 {
		e, offset = c.bySFI(cmd.P1&0x1F), int(cmd.P2)
		if e == nil {
			return nil, 0, apdu.SWFileNotFound
		}
		c.cur = e
	}
	switch {
	case e == nil:
		return nil, 0, apdu.SWConditionsNotMet
	case e.spec.Kind != permitcard.Transparent:
		return nil, 0, apdu.SWIncompatibleFile
	case offset > len(e.data):
		return nil, 0, apdu.SWOffsetBeyondEOF
	}
	return e, offset, apdu.SWOK
}

func (c *chip) bySFI(sfi byte) *ef {
	if !c.inDF {
		return nil
	}
	for _, e := range c.efs {
		if e.spec.SFI == sfi {
			return e
		}
	}
	return nil
}

func (c *chip) readBinary(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	e, offset, status := c.binaryTarget(cmd)
	if !status.OK() {
		return nil, status
	}
	avail := len(e.data) - offset
	if avail == 0 {
		return nil, apdu.SWOffsetBeyondEOF
	}
	n := cmd.Ne
	if n == 0 {
		n = apdu.MaxShortNe
	}
	if n > avail {
		if c.opts.T0 && avail < apdu.MaxShortNe {
			return nil, apdu.StatusWord(0x6C00 | avail)
		}
		return slices.Clone(e.data[offset:]), apdu.SWEndOfFile
	}
	return slices.Clone(e.data[offset : offset+n]), apdu.SWOK
}

func (c *chip) updateBinary(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	e, offset, status := c.binaryTarget(cmd)
	if !status.OK() {
		return nil, status
	}
	if status := c.mayWrite(e); !status.OK() {
		return nil, status
	}
	if len(cmd.Data) == 0 {
		return nil, apdu.SWWrongLength
	}
	if offset+len(cmd.Data) > len(e.data) {
		return nil, apdu.SWNotEnoughSpace
	}
	copy(e.data[offset:], cmd.Data)
	c.dirty = true
	return nil, apdu.SWOK
}

func (c *chip) mayWrite(e *ef) apdu.StatusWord {
	switch e.spec.Write {
	case permitcard.Free:
		return apdu.SWOK
	case permitcard.Auth:
		if c.authenticated {
			return apdu.SWOK
		}
	}
	return apdu.SWSecurityStatus
}

// recordTarget resolves the EF of a record command: P2 bits 8-4 carry an
// SFI, or 0 for the current EF.
func (c *chip) recordTarget(cmd apdu.Command) (*ef, apdu.StatusWord) {
	e := c.cur
	if sfi := cmd.P2 >> 3; sfi != 0 {
		if e = c.bySFI(sfi); e == nil {
			return nil, apdu.SWFileNotFound
		}
		c.cur = e
	}
	switch {
	case e == nil:
		return nil, apdu.SWConditionsNotMet
	case e.spec.Kind != permitcard.Cyclic:
		return nil, apdu.SWIncompatibleFile
	}
	return e, apdu.SWOK
}

func (c *chip) readRecord(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	e, status := c.recordTarget(cmd)
	if !status.OK() {
		return nil, status
	}
	if cmd.P2&0x07 != 0x04 {
		return nil, apdu.SWWrongP1P2
	}
	rec := int(cmd.P1)
	if rec < 1 || rec > len(e.records) {
		return nil, apdu.SWRecordNotFound
	}
	data := e.records[rec-1]
	if c.opts.T0 && cmd.Ne != len(data) && cmd.Ne != apdu.MaxShortNe {
		return nil, apdu.StatusWord(0x6C00 | len(data)&0xFF)
	}
	return slices.Clone(data), apdu.SWOK
}

func (c *chip) writeRecord(cmd apdu.Command) ([]byte, apdu.StatusWord) {
	e, status := c.recordTarget(cmd)
	if !status.OK() {
		return nil, status
	}
	if status := c.mayWrite(e); !status.OK() {
		return nil, status
	}
	if len(cmd.Data) != e.spec.RecordSize {
		return nil, apdu.SWWrongLength
	}
	data := slices.Clone(cmd.Data)
	if cmd.INS == apdu.InsAppendRecord {
		e.records = append([][]byte{data}, e.records...)
		if len(e.records) > e.spec.Records {
			e.records = e.records[:e.spec.Records]
		}
		c.dirty = true
		return nil, apdu.SWOK
	}
	rec := int(cmd.P1)
	if cmd.P2&0x07 != 0x04 {
		return nil, apdu.SWWrongP1P2
	}
	if rec < 1 || rec > len(e.records) {
		return nil, apdu.SWRecordNotFound
	}
	e.records[rec-1] = data
	c.dirty = true
	return nil, apdu.SWOK
}

// proprietaryInfo is the A5 template of the DF's FCI and FCP: an
// application label and the card serial.
func (c *chip) proprietaryInfo() []byte {
	var b []byte
	b = apdu.AppendTLV(b, 0x50, []byte("PERMITDESK PERMIT"))
	b = apdu.AppendTLV(b, uint32(permitcard.TagSerial), c.st.Serial[:])
	return b
}
