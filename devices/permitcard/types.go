package permitcard

import (
	"encoding/hex"
	"fmt"
	"time"
)

// Serial is the card's 8-byte serial number, read from EF.CARDINFO. It is
// also the key-diversification factor.
type Serial [8]byte

// String returns the serial as 16 uppercase hexadecimal digits.
func (s Serial) String() string { return fmt.Sprintf("%X", s[:]) }

// MarshalText writes the serial as hexadecimal.
func (s Serial) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a serial written as 16 hexadecimal digits.
func (s *Serial) UnmarshalText(b []byte) error {
	v, err := ParseSerial(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSerial decodes 16 hexadecimal digits.
func ParseSerial(text string) (Serial, error) {
	var s Serial
	b, err := hex.DecodeString(text)
	if err != nil || len(b) != len(s) {
		return s, fmt.Errorf("invalid card serial %q: want 16 hexadecimal digits", text)
	}
	copy(s[:], b)
	return s, nil
}

// Holder is the person on the card. Dates are calendar dates at 00:00 UTC.
type Holder struct {
	Name         string    `json:"name"`
	Sex          string    `json:"sex"` // "1" male, "2" female (GB/T 2261.1)
	Ethnicity    string    `json:"ethnicity"`
	BirthDate    time.Time `json:"birthDate"`
	IDNumber     string    `json:"idNumber"`
	HukouAddress string    `json:"hukouAddress"`
}

// Permit is the permit's own data.
type Permit struct {
	Number    string    `json:"number"`
	Authority string    `json:"authority"`
	IssuedAt  time.Time `json:"issuedAt"` // second precision, UTC
	ValidFrom time.Time `json:"validFrom"`
	ValidTo   time.Time `json:"validTo"`
	StationID string    `json:"stationId"`
}

// Address is the holder's residence address.
type Address struct {
	HouseCode string `json:"houseCode"`
	District  string `json:"district"`
	Street    string `json:"street"`
	Community string `json:"community"`
	Detail    string `json:"detail"`
}

// HistoryEntry is a replaced address: Sequence is the commit sequence the
// address had while it was current.
type HistoryEntry struct {
	Sequence  uint16    `json:"sequence"`
	ChangedOn time.Time `json:"changedOn"`
	Address   Address   `json:"address"`
}

// Seal is the central system's Ed25519 signature over SealMessage.
type Seal struct {
	KeyID     string `json:"keyId"`
	Signature []byte `json:"signature"`
}

// CardData is what Personalise writes.
type CardData struct {
	Holder  Holder  `json:"holder"`
	Permit  Permit  `json:"permit"`
	Address Address `json:"address"`
	Photo   []byte  `json:"photo,omitempty"` // JPEG, at most MaxPhoto bytes
	Seal    Seal    `json:"seal"`
}

// State is how far a card got through personalisation.
type State string

// Card states.
const (
	// StateBlank: no data written.
	StateBlank State = "blank"
	// StateIncomplete: data written but no commit marker, so personalisation
	// was interrupted; Personalise may write the card again.
	StateIncomplete State = "incomplete"
	// StatePersonalised: the commit marker matches the address.
	StatePersonalised State = "personalised"
	// StateAddressTorn: a commit marker exists but does not match the
	// address, so an address update was interrupted; UpdateAddress repairs it.
	StateAddressTorn State = "address_torn"
)

// Card is a card as Read decodes it.
type Card struct {
	Serial        Serial         `json:"serial"`
	ATR           string         `json:"atr"`
	LayoutVersion int            `json:"layoutVersion"`
	State         State          `json:"state"`
	Sequence      uint16         `json:"sequence"` // commit sequence: 1 after issue, +1 per address update
	Data          CardData       `json:"data"`
	History       []HistoryEntry `json:"history"` // newest first
}
