package ga467

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"permitdesk/devices/idcard"
)

// TextLen is the size of the card's text block.
const TextLen = 256

// PhotoLen is the size of the WLT-compressed photo.
const PhotoLen = 1024

// MaxFingerprintLen bounds the fingerprint block of a 30 10 read.
const MaxFingerprintLen = 1024

// ErrUnsupportedCard is returned for card types whose text layout this
// package cannot decode.
var ErrUnsupportedCard = errors.New("unsupported card type")

// field is one UCS-2LE field of the text block: offset and size in bytes.
type field struct{ off, size int }

// Layout of the resident identity card text block.
var (
	resName      = field{0, 30}
	resSex       = field{30, 2}
	resEthnicity = field{32, 4}
	resBirth     = field{36, 16}
	resAddress   = field{52, 70}
	resNumber    = field{122, 36}
	resAuthority = field{158, 30}
	resFrom      = field{188, 16}
	resTo        = field{204, 16}
)

// Layout of the 2017 foreigner's permanent residence card text block.
var (
	forEnglish   = field{0, 120}
	forSex       = field{120, 2}
	forNumber    = field{122, 30}
	forNation    = field{152, 6}
	forName      = field{158, 30}
	forFrom      = field{188, 16}
	forTo        = field{204, 16}
	forBirth     = field{220, 16}
	forAuthority = field{240, 8}
)

// typeFlag is the card-type character: 'I' for the foreigner's card, 'J' for
// the Hong Kong, Macao and Taiwan residence permit, a space on resident cards.
var typeFlag = field{248, 2}

// longTerm is printed in the valid-to field of cards valid without end.
const longTerm = "长期"

func (f field) get(text []byte) string {
	b := text[f.off : f.off+f.size]
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return strings.TrimRight(string(utf16.Decode(u)), " \x00")
}

func (f field) put(text []byte, name, s string) error {
	u := utf16.Encode([]rune(s))
	if 2*len(u) > f.size {
		return fmt.Errorf("encode %s %q: %d UCS-2 characters do not fit in %d", name, s, len(u), f.size/2)
	}
	for i := 0; i < f.size/2; i++ {
		c := uint16(' ')
		if i < len(u) {
			c = u[i]
		}
		binary.LittleEndian.PutUint16(text[f.off+2*i:], c)
	}
	return nil
}

// CardTypeOf returns the card type named by the flag in a text block.
func CardTypeOf(text []byte) (idcard.CardType, error) {
	if len(text) != TextLen {
		return "", fmt.Errorf("text block has %d bytes, want %d", len(text), TextLen)
	}
	switch flag := typeFlag.get(text); flag {
	case "":
		return idcard.Resident, nil
	case "I":
		return idcard.ForeignPermanent, nil
	case "J":
		return idcard.HMTResidence, nil
	default:
		return "", fmt.Errorf("%w: type flag %q at text offset 248", ErrUnsupportedCard, flag)
	}
}

// DecodeText decodes a 256-byte text block and validates the result with
// idcard.Identity.Validate. A field that cannot be decoded or fails a check
// is returned as an *idcard.FieldError naming the field and its value.
func DecodeText(text []byte) (idcard.Identity, error) {
	ct, err := CardTypeOf(text)
	if err != nil {
		return idcard.Identity{}, err
	}
	var id idcard.Identity
	switch ct {
	case idcard.Resident:
		id, err = decodeResident(text)
	case idcard.ForeignPermanent:
		id, err = decodeForeign(text)
	default:
		return idcard.Identity{}, fmt.Errorf("%w: the text layout of the Hong Kong, Macao and Taiwan "+
			"residence permit (type flag J) is not published; read this card with the vendor's software", ErrUnsupportedCard)
	}
	if err != nil {
		return idcard.Identity{}, err
	}
	if err := id.Validate(); err != nil {
		return idcard.Identity{}, err
	}
	return id, nil
}

func decodeResident(text []byte) (idcard.Identity, error) {
	id := idcard.Identity{
		CardType:  idcard.Resident,
		Name:      resName.get(text),
		Sex:       idcard.Sex(resSex.get(text)),
		Ethnicity: resEthnicity.get(text),
		Address:   resAddress.get(text),
		Number:    resNumber.get(text),
		Authority: resAuthority.get(text),
	}
	name, err := idcard.EthnicityName(id.Ethnicity)
	if err != nil {
		return id, err
	}
	id.EthnicityName = name
	return id, decodeDates(&id, text, resBirth, resFrom, resTo)
}

func decodeForeign(text []byte) (idcard.Identity, error) {
	id := idcard.Identity{
		CardType:    idcard.ForeignPermanent,
		EnglishName: strings.TrimSpace(forEnglish.get(text)),
		Sex:         idcard.Sex(forSex.get(text)),
		Number:      forNumber.get(text),
		Nationality: forNation.get(text),
		Name:        forName.get(text),
		Authority:   forAuthority.get(text),
	}
	return id, decodeDates(&id, text, forBirth, forFrom, forTo)
}

func decodeDates(id *idcard.Identity, text []byte, birth, from, to field) error {
	var err error
	if id.BirthDate, err = parseDate("birthDate", birth.get(text)); err != nil {
		return err
	}
	if id.ValidFrom, err = parseDate("validFrom", from.get(text)); err != nil {
		return err
	}
	if end := to.get(text); end == longTerm {
		id.LongTerm = true
		return nil
	}
	id.ValidTo, err = parseDate("validTo", to.get(text))
	return err
}

func parseDate(name, s string) (idcard.Date, error) {
	d, err := idcard.ParseDate(s)
	if err != nil {
		return d, &idcard.FieldError{Field: name, Value: s, Reason: "not a date written as YYYYMMDD"}
	}
	return d, nil
}

// EncodeText builds the 256-byte text block for an identity, the inverse of
// DecodeText. The emulator uses it; it does not validate the identity.
func EncodeText(id idcard.Identity) ([]byte, error) {
	text := make([]byte, TextLen)
	whole := field{0, TextLen}
	if err := whole.put(text, "padding", ""); err != nil {
		return nil, err
	}
	switch id.CardType {
	case idcard.Resident, "":
		return text, putAll(text, []put{
			{resName, "name", id.Name}, {resSex, "sex", string(id.Sex)},
			{resEthnicity, "ethnicity", id.Ethnicity}, {resBirth, "birthDate", id.BirthDate.Compact()},
			{resAddress, "address", id.Address}, {resNumber, "idNumber", id.Number},
			{resAuthority, "authority", id.Authority}, {resFrom, "validFrom", id.ValidFrom.Compact()},
			{resTo, "validTo", validTo(id)},
		})
	case idcard.ForeignPermanent:
		return text, putAll(text, []put{
			{forEnglish, "englishName", id.EnglishName}, {forSex, "sex", string(id.Sex)},
			{forNumber, "idNumber", id.Number}, {forNation, "nationality", id.Nationality},
			{forName, "name", id.Name}, {forFrom, "validFrom", id.ValidFrom.Compact()},
			{forTo, "validTo", validTo(id)}, {forBirth, "birthDate", id.BirthDate.Compact()},
			{forAuthority, "authority", id.Authority}, {typeFlag, "cardType", "I"},
		})
	case idcard.HMTResidence:
		hmt := []put{{resName, "name", id.Name}, {typeFlag, "cardType", "J"}}
		return text, putAll(text, hmt)
	}
	return nil, fmt.Errorf("encode text: %w: %q", ErrUnsupportedCard, id.CardType)
}

type put struct {
	f     field
	name  string
	value string
}

func putAll(text []byte, puts []put) error {
	for _, p := range puts {
		if err := p.f.put(text, p.name, p.value); err != nil {
			return err
		}
	}
	return nil
}

func validTo(id idcard.Identity) string {
	if id.LongTerm {
		return longTerm
	}
	return id.ValidTo.Compact()
}
