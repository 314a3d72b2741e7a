package idcard

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestCheckCharVectors(t *testing.T) {
	cases := []struct {
		first17 string
		want    byte
	}{
		{"11010519491231002", 'X'}, // GB 11643-1999 annex example
		{"44030419850312371", '6'},
		{"44030519921108252", 'X'},
		{"44031119991231733", '3'},
	}
	for _, c := range cases {
		got, err := CheckChar(c.first17)
		if err != nil {
			t.Fatalf("CheckChar(%s): %v", c.first17, err)
		}
		if got != c.want {
			t.Errorf("CheckChar(%s) = %c, want %c", c.first17, got, c.want)
		}
	}
}

func TestValidateNumberRejects(t *testing.T) {
	cases := []struct{ number, reason string }{
		{"44030419850312371", "too short"},
		{"440304198503123717", "wrong check character"},
		{"44030419850312371x", "lower-case x"},
		{"990304198503123716", "unknown province"},
		{"4403041985031237A6", "letter among digits"},
		{"440304198502303712", "30 February"},
	}
	for _, c := range cases {
		err := ValidateNumber(c.number)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: ValidateNumber(%s) = %v, want a *FieldError", c.reason, c.number, err)
			continue
		}
		if fe.Field != "idNumber" {
			t.Errorf("%s: field = %q, want idNumber", c.reason, fe.Field)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error does not wrap ErrInvalid", c.reason)
		}
	}
}

func TestMakeNumberValid(t *testing.T) {
	n, err := MakeNumber("440305", Date{1992, 11, 8}, 252)
	if err != nil {
		t.Fatal(err)
	}
	if n != "44030519921108252X" {
		t.Errorf("MakeNumber = %s, want 44030519921108252X", n)
	}
	if err := ValidateNumber(n); err != nil {
		t.Errorf("ValidateNumber(%s): %v", n, err)
	}
}

func loadIdentities(t *testing.T) []Identity {
	t.Helper()
	b, err := os.ReadFile("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	var ids []Identity
	if err := json.Unmarshal(b, &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestTestdataIdentitiesValid(t *testing.T) {
	ids := loadIdentities(t)
	if len(ids) < 5 {
		t.Fatalf("got %d identities, want at least 5", len(ids))
	}
	for i, id := range ids {
		if err := id.Validate(); err != nil {
			t.Errorf("identity %d (%s): %v", i, id.Name, err)
		}
	}
}

func TestValidateNamesBadField(t *testing.T) {
	base := loadIdentities(t)[0]
	cases := []struct {
		field  string
		mutate func(*Identity)
	}{
		{"name", func(id *Identity) { id.Name = " " }},
		{"sex", func(id *Identity) { id.Sex = "3" }},
		{"ethnicity", func(id *Identity) { id.Ethnicity = "57" }},
		{"birthDate", func(id *Identity) { id.BirthDate = Date{} }},
		{"idNumber", func(id *Identity) { id.Number = "440304198503123717" }},
		{"idNumber", func(id *Identity) { id.BirthDate = Date{1985, 3, 13} }},
		{"idNumber", func(id *Identity) { id.Sex = SexFemale }},
		{"validFrom", func(id *Identity) { id.ValidFrom = Date{1980, 1, 1} }},
		{"validTo", func(id *Identity) { id.ValidTo = Date{} }},
		{"validTo", func(id *Identity) { id.ValidTo = Date{2016, 5, 19} }},
		{"cardType", func(id *Identity) { id.CardType = "passport" }},
	}
	for _, c := range cases {
		id := base
		c.mutate(&id)
		var fe *FieldError
		if err := id.Validate(); !errors.As(err, &fe) {
			t.Errorf("%s: Validate = %v, want a *FieldError", c.field, err)
			continue
		}
		if fe.Field != c.field {
			t.Errorf("field = %q, want %q (%v)", fe.Field, c.field, fe)
		}
	}
}

func TestLongTermNeedsNoEnd(t *testing.T) {
	id := loadIdentities(t)[0]
	id.LongTerm, id.ValidTo = true, Date{}
	if err := id.Validate(); err != nil {
		t.Errorf("long-term card: %v", err)
	}
	if id.Expired(Date{2100, 1, 1}) {
		t.Error("a long-term card reported expired")
	}
}

func TestEthnicityTable(t *testing.T) {
	for code := 1; code <= 56; code++ {
		c := string([]byte{byte('0' + code/10), byte('0' + code%10)})
		if _, err := EthnicityName(c); err != nil {
			t.Errorf("code %s: %v", c, err)
		}
	}
	if name, _ := EthnicityName("56"); name != "基诺族" {
		t.Errorf("code 56 = %s, want 基诺族", name)
	}
	if code, ok := EthnicityCode("维吾尔族"); !ok || code != "05" {
		t.Errorf("EthnicityCode(维吾尔族) = %s, %v", code, ok)
	}
}

func TestDateTextRoundTrip(t *testing.T) {
	var d Date
	if err := d.UnmarshalText([]byte("2024-02-29")); err != nil {
		t.Fatal(err)
	}
	b, _ := d.MarshalText()
	if string(b) != "2024-02-29" {
		t.Errorf("round trip = %s", b)
	}
	if err := d.UnmarshalText([]byte("2023-02-29")); err == nil {
		t.Error("2023-02-29 accepted")
	}
}
