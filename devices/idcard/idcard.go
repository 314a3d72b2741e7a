// Package idcard holds the identity read from a Chinese national ID card
// (居民身份证) and the checks on its fields. It checks the 18-character
// citizen identity number with its ISO 7064 MOD 11-2 check character
// (GB 11643-1999), its region prefix and birth date, the sex codes of
// GB/T 2261.1 and the ethnic-group codes of GB/T 3304 (56 groups).
//
// The package imports only the standard library, so any package of the
// project, including the central system, may use it for ID-number checks.
//
// Limits: the region check covers the two-digit province prefix only. The
// full six-digit administrative-division table (GB/T 2260) changes every year
// and is not embedded.
package idcard

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every FieldError, so callers can branch with
// errors.Is(err, idcard.ErrInvalid).
var ErrInvalid = errors.New("invalid identity field")

// FieldError names one bad field of an identity and the value it had.
type FieldError struct {
	Field  string // JSON name of the field, such as "idNumber"
	Value  string // the bad value as read
	Reason string // the cause, and the fix where there is one
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, value, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// CardType is the kind of card the identity came from. Readers tell them
// apart by a type flag in the text block.
type CardType string

// Card types.
const (
	// Resident is the second-generation resident identity card (居民身份证).
	Resident CardType = "resident"
	// ForeignPermanent is the foreigner's permanent residence ID card
	// (外国人永久居留身份证, 2017 layout).
	ForeignPermanent CardType = "foreign_permanent"
	// HMTResidence is the residence permit for Hong Kong, Macao and Taiwan
	// residents (港澳台居民居住证).
	HMTResidence CardType = "hmt_residence"
)

// Sex is the sex code of GB/T 2261.1 as stored on the card.
type Sex string

// Sex codes.
const (
	SexUnknown     Sex = "0"
	SexMale        Sex = "1"
	SexFemale      Sex = "2"
	SexUnspecified Sex = "9"
)

// Label returns the Chinese word printed on the card face.
func (s Sex) Label() string {
	switch s {
	case SexMale:
		return "男"
	case SexFemale:
		return "女"
	case SexUnspecified:
		return "未说明"
	}
	return "未知"
}

// Valid reports whether s is one of the four GB/T 2261.1 codes.
func (s Sex) Valid() bool {
	switch s {
	case SexUnknown, SexMale, SexFemale, SexUnspecified:
		return true
	}
	return false
}

// Identity is the holder data of one ID card, decoded and checked.
type Identity struct {
	CardType CardType `json:"cardType"`
	// Name is the name in Chinese characters, without padding.
	Name string `json:"name"`
	// EnglishName is set on foreigner's permanent residence cards only.
	EnglishName string `json:"englishName,omitempty"`
	Sex         Sex    `json:"sex"`
	// Ethnicity is the two-digit GB/T 3304 code; empty on foreigner's cards.
	Ethnicity string `json:"ethnicity,omitempty"`
	// EthnicityName is the GB/T 3304 name for Ethnicity, such as 汉族.
	EthnicityName string `json:"ethnicityName,omitempty"`
	// Nationality is the ISO 3166-1 alpha-3 code on foreigner's cards.
	Nationality string `json:"nationality,omitempty"`
	BirthDate   Date   `json:"birthDate"`
	// Address is the registered address (住址); empty on foreigner's cards.
	Address string `json:"address,omitempty"`
	// Number is the identity number: 18 characters for resident cards, the
	// 15-character permit number for foreigner's cards.
	Number string `json:"idNumber"`
	// Authority is the issuing authority (签发机关), or its code on
	// foreigner's cards.
	Authority string `json:"authority"`
	ValidFrom Date   `json:"validFrom"`
	// ValidTo is the zero Date when LongTerm is set.
	ValidTo Date `json:"validTo"`
	// LongTerm means the card is valid without end (长期).
	LongTerm bool `json:"longTerm"`
}

// Validate checks every field of a decoded identity and returns the first
// bad one as a *FieldError. It checks the ID number's check character and
// region, that the number agrees with the birth date and sex, the ethnic
// code, and that the validity dates are real and in order.
func (id Identity) Validate() error {
	switch id.CardType {
	case Resident, HMTResidence:
		return id.validateResident()
	case ForeignPermanent:
		return id.validateForeign()
	}
	return fieldErr("cardType", string(id.CardType), "unknown card type")
}

func (id Identity) validateResident() error {
	if strings.TrimSpace(id.Name) == "" {
		return fieldErr("name", id.Name, "the name is empty")
	}
	if !id.Sex.Valid() {
		return fieldErr("sex", string(id.Sex), "not a GB/T 2261.1 sex code (0, 1, 2 or 9)")
	}
	if _, err := EthnicityName(id.Ethnicity); err != nil {
		return err
	}
	if err := id.checkBirthDate(); err != nil {
		return err
	}
	if err := ValidateNumber(id.Number); err != nil {
		return err
	}
	if err := id.checkNumberAgrees(); err != nil {
		return err
	}
	return id.checkValidity()
}

func (id Identity) validateForeign() error {
	if strings.TrimSpace(id.Name) == "" && strings.TrimSpace(id.EnglishName) == "" {
		return fieldErr("englishName", id.EnglishName, "both the English and the Chinese name are empty")
	}
	if !id.Sex.Valid() {
		return fieldErr("sex", string(id.Sex), "not a GB/T 2261.1 sex code (0, 1, 2 or 9)")
	}
	if err := id.checkBirthDate(); err != nil {
		return err
	}
	if err := ValidateForeignNumber(id.Number); err != nil {
		return err
	}
	return id.checkValidity()
}

func (id Identity) checkBirthDate() error {
	if id.BirthDate.IsZero() {
		return fieldErr("birthDate", id.BirthDate.String(), "the birth date is missing")
	}
	if id.BirthDate.Year < 1900 {
		return fieldErr("birthDate", id.BirthDate.String(), "a birth year before 1900 is not plausible")
	}
	return nil
}

// checkNumberAgrees compares the birth date and sex embedded in the number
// with the printed fields.
func (id Identity) checkNumberAgrees() error {
	if id.Number[6:14] != id.BirthDate.Compact() {
		return fieldErr("idNumber", id.Number,
			"its birth date %s differs from the card's birth date %s", id.Number[6:14], id.BirthDate.Compact())
	}
	odd := (id.Number[16]-'0')%2 == 1
	if (id.Sex == SexMale && !odd) || (id.Sex == SexFemale && odd) {
		return fieldErr("idNumber", id.Number, "its 17th digit does not agree with sex %s", id.Sex.Label())
	}
	return nil
}

func (id Identity) checkValidity() error {
	if id.ValidFrom.IsZero() {
		return fieldErr("validFrom", id.ValidFrom.String(), "the start of validity is missing")
	}
	if id.ValidFrom.Before(id.BirthDate) {
		return fieldErr("validFrom", id.ValidFrom.String(), "the card is valid from before the birth date %s", id.BirthDate)
	}
	if id.LongTerm {
		return nil
	}
	if id.ValidTo.IsZero() {
		return fieldErr("validTo", id.ValidTo.String(), "the end of validity is missing")
	}
	if !id.ValidFrom.Before(id.ValidTo) {
		return fieldErr("validTo", id.ValidTo.String(), "the card expires before it becomes valid on %s", id.ValidFrom)
	}
	return nil
}

// Expired reports whether the card's validity ended before day.
func (id Identity) Expired(day Date) bool {
	return !id.LongTerm && id.ValidTo.Before(day)
}
