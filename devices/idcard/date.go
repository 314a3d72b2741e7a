package idcard

import (
	"fmt"
	"time"
)

// Date is a calendar day without a time zone, as printed on ID cards.
// The zero Date means "not set". It marshals as "2006-01-02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses the eight digits YYYYMMDD used in the card's text block
// and rejects days that do not exist, such as 20230230.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("20060102", s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date written as YYYYMMDD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String formats d as 2006-01-02, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compact formats d as the eight digits YYYYMMDD used on the card.
func (d Date) Compact() string {
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes d as 2006-01-02, or nothing for the zero Date.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads 2006-01-02; an empty text gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return fmt.Errorf("%q is not a date written as 2006-01-02", string(b))
	}
	*d = DateOf(t)
	return nil
}
