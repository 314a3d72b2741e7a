package apdu

import (
	"context"
	"fmt"
)

// Selection modes for SELECT P1, and response modes for P2.
const (
	SelectByFID  byte = 0x00
	SelectByName byte = 0x04
	SelectFCI    byte = 0x00 // return FCI (FMCOS cards return it)
	SelectFCP    byte = 0x04 // return FCP template
	SelectNoData byte = 0x0C // return no data
)

// MaxOffset is the largest offset a READ or UPDATE BINARY with a 15-bit
// offset in P1-P2 can address.
const MaxOffset = 0x7FFF

// SelectFID selects a file by its 2-byte identifier; p2 picks the response.
func SelectFID(fid uint16, p2 byte) Command {
	c := Command{INS: InsSelect, P1: SelectByFID, P2: p2, Data: []byte{byte(fid >> 8), byte(fid)}}
	if p2 != SelectNoData {
		c.Ne = 256
	}
	return c
}

// SelectAID selects a DF by its name (AID); p2 picks the response.
func SelectAID(aid []byte, p2 byte) Command {
	c := Command{INS: InsSelect, P1: SelectByName, P2: p2, Data: aid}
	if p2 != SelectNoData {
		c.Ne = 256
	}
	return c
}

// ReadBinary reads ne bytes at offset of the current EF.
func ReadBinary(offset, ne int) Command {
	return Command{INS: InsReadBinary, P1: byte(offset>>8) & 0x7F, P2: byte(offset), Ne: ne}
}

// ReadBinarySFI reads ne bytes at offset (at most 255) of the EF with short
// identifier sfi and makes it the current EF, saving a SELECT.
func ReadBinarySFI(sfi byte, offset, ne int) Command {
	return Command{INS: InsReadBinary, P1: 0x80 | sfi&0x1F, P2: byte(offset), Ne: ne}
}

// UpdateBinarySFI writes data at offset (at most 255) of the EF with short
// identifier sfi and makes it the current EF.
func UpdateBinarySFI(sfi byte, offset int, data []byte) Command {
	return Command{INS: InsUpdateBinary, P1: 0x80 | sfi&0x1F, P2: byte(offset), Data: data}
}

// UpdateBinary writes data at offset of the current EF.
func UpdateBinary(offset int, data []byte) Command {
	return Command{INS: InsUpdateBinary, P1: byte(offset>>8) & 0x7F, P2: byte(offset), Data: data}
}

// ReadRecord reads record number rec (1-based) of the current EF.
func ReadRecord(rec byte, ne int) Command {
	return Command{INS: InsReadRecord, P1: rec, P2: 0x04, Ne: ne}
}

// UpdateRecord replaces record number rec of the current EF.
func UpdateRecord(rec byte, data []byte) Command {
	return Command{INS: InsUpdateRecord, P1: rec, P2: 0x04, Data: data}
}

// AppendRecord adds a record to the current EF. In a cyclic EF the new
// record becomes record 1 and the oldest is overwritten when the EF is full.
func AppendRecord(data []byte) Command {
	return Command{INS: InsAppendRecord, Data: data}
}

// GetChallenge requests n random bytes (4 or 8) from the card.
func GetChallenge(n int) Command {
	return Command{INS: InsGetChallenge, Ne: n}
}

// ExternalAuthenticate presents a cryptogram for key kid.
func ExternalAuthenticate(kid byte, cryptogram []byte) Command {
	return Command{INS: InsExternalAuth, P2: kid, Data: cryptogram}
}

// ReadBinaryAll reads n bytes from offset in pieces of at most chunk bytes
// (or one extended APDU when allowed and n fits). A 6282 (end of file) ends
// the read early and returns what was read.
func (x *Exchanger) ReadBinaryAll(ctx context.Context, offset, n, chunk int) ([]byte, error) {
	if err := checkRange(offset, n); err != nil {
		return nil, err
	}
	chunk = x.pieceSize(chunk, MaxShortNe)
	out := make([]byte, 0, n)
	for len(out) < n {
		want := min(chunk, n-len(out))
		c := ReadBinary(offset+len(out), want)
		r, err := x.Exchange(ctx, c)
		if err != nil {
			return out, err
		}
		out = append(out, r.Data...)
		if r.SW == SWEndOfFile {
			return out, nil
		}
		if err := r.Err(c); err != nil {
			return out, err
		}
		if len(r.Data) == 0 {
			return out, fmt.Errorf("%s at offset %d returned no data", c.Name(), offset+len(out))
		}
	}
	return out, nil
}

// UpdateBinaryAll writes data at offset in pieces of at most chunk bytes (or
// one extended APDU when allowed). The pieces go out in order, so an
// interruption leaves a prefix written.
func (x *Exchanger) UpdateBinaryAll(ctx context.Context, offset int, data []byte, chunk int) error {
	if err := checkRange(offset, len(data)); err != nil {
		return err
	}
	chunk = x.pieceSize(chunk, MaxShortLc)
	for done := 0; done < len(data); {
		n := min(chunk, len(data)-done)
		if _, err := x.Run(ctx, UpdateBinary(offset+done, data[done:done+n])); err != nil {
			return fmt.Errorf("at offset %d: %w", offset+done, err)
		}
		done += n
	}
	return nil
}

func (x *Exchanger) pieceSize(chunk, shortMax int) int {
	if x.opts.Extended {
		return MaxExtendedLc
	}
	if chunk <= 0 || chunk > shortMax {
		return shortMax
	}
	return chunk
}

func checkRange(offset, n int) error {
	if offset < 0 || n < 0 || offset+n > MaxOffset+1 {
		return fmt.Errorf("offset %d + length %d exceeds the 15-bit file offset limit of %d",
			offset, n, MaxOffset+1)
	}
	return nil
}
