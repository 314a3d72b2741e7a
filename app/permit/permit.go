// Package permit is the residence-permit domain: the approved application a
// card is made from, the permit it becomes, and the holder's address. It has
// no storage and no device code; other packages map these values to tables,
// chip files and card faces.
package permit

import (
	"fmt"
	"strings"
	"time"
)

// Sex as recorded on ID cards: "1" male, "2" female (GB/T 2261.1).
type Sex string

// Sex values.
const (
	Male   Sex = "1"
	Female Sex = "2"
)

// Label returns the Chinese label printed on the card.
func (s Sex) Label() string {
	switch s {
	case Male:
		return "男"
	case Female:
		return "女"
	}
	return "未知"
}

// Address is a residence address resolved from a house code.
type Address struct {
	// HouseCode identifies the dwelling in the city's house register.
	HouseCode string `json:"houseCode"`
	// District, Street and Community are administrative names (区, 街道, 社区).
	District  string `json:"district"`
	Street    string `json:"street"`
	Community string `json:"community"`
	// Detail is the road, number, building and room.
	Detail string `json:"detail"`
}

// Line returns the address as one line in the standard order.
func (a Address) Line() string {
	return a.District + a.Street + a.Community + a.Detail
}

// Same reports whether two addresses name the same dwelling.
func (a Address) Same(b Address) bool {
	return a.HouseCode == b.HouseCode && a.Line() == b.Line()
}

// Holder is the person a permit is issued to.
type Holder struct {
	Name      string    `json:"name"`
	Sex       Sex       `json:"sex"`
	Ethnicity string    `json:"ethnicity"`
	BirthDate time.Time `json:"birthDate"`
	// IDNumber is the 18-character citizen identity number.
	IDNumber string `json:"idNumber"`
	// HukouAddress is the place of household registration (常住户口所在地住址).
	HukouAddress string `json:"hukouAddress"`
}

// Application is an application approved by the central system and waiting
// for its card.
type Application struct {
	ID         string    `json:"id"`
	StationID  string    `json:"stationId"`
	Holder     Holder    `json:"holder"`
	Address    Address   `json:"address"`
	Photo      []byte    `json:"photo,omitempty"` // JPEG
	ApprovedAt time.Time `json:"approvedAt"`
	// PermitNumber is assigned by the central system at approval.
	PermitNumber string `json:"permitNumber"`
	// Authority is the issuing public-security bureau (签发机关).
	Authority string    `json:"authority"`
	ValidFrom time.Time `json:"validFrom"`
	ValidTo   time.Time `json:"validTo"`
}

// Permit is what a card carries: the application's data frozen at issuance.
type Permit struct {
	Number    string    `json:"number"`
	Holder    Holder    `json:"holder"`
	Address   Address   `json:"address"`
	Authority string    `json:"authority"`
	IssuedAt  time.Time `json:"issuedAt"`
	ValidFrom time.Time `json:"validFrom"`
	ValidTo   time.Time `json:"validTo"`
	Photo     []byte    `json:"photo,omitempty"`
	StationID string    `json:"stationId"`
}

// FromApplication freezes an application into the permit to be issued.
func FromApplication(a Application, issuedAt time.Time) Permit {
	return Permit{
		Number: a.PermitNumber, Holder: a.Holder, Address: a.Address, Authority: a.Authority,
		IssuedAt: issuedAt, ValidFrom: a.ValidFrom, ValidTo: a.ValidTo, Photo: a.Photo,
		StationID: a.StationID,
	}
}

// Validate checks the fields a card cannot be made without.
func (p Permit) Validate() error {
	var missing []string
	for _, f := range []struct{ name, val string }{
		{"number", p.Number}, {"holder name", p.Holder.Name}, {"ID number", p.Holder.IDNumber},
		{"house code", p.Address.HouseCode}, {"authority", p.Authority},
	} {
		if strings.TrimSpace(f.val) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("permit %q is missing %s", p.Number, strings.Join(missing, ", "))
	}
	if !p.ValidTo.After(p.ValidFrom) {
		return fmt.Errorf("permit %q: validity ends (%s) before it starts (%s)",
			p.Number, p.ValidTo.Format(time.DateOnly), p.ValidFrom.Format(time.DateOnly))
	}
	return nil
}
