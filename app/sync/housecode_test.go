package sync

import (
	"errors"
	"testing"
)

func TestCheckHouseCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"4403110502765751807", true},
		{"12345", false},
		{"44031105027657518070", false},
		{"440311050276575180A", false},
		{"4403110502765751807 ", false},
		{"", false},
	}
	for _, tt := range tests {
		err := CheckHouseCode(tt.code)
		if tt.ok && err != nil {
			t.Errorf("CheckHouseCode(%q) = %v, want nil", tt.code, err)
		}
		if !tt.ok && !errors.Is(err, ErrHouseCodeFormat) {
			t.Errorf("CheckHouseCode(%q) = %v, want ErrHouseCodeFormat", tt.code, err)
		}
	}
}

func TestLookupRejectsMalformedCodeFirst(t *testing.T) {
	// No client and no database: a malformed code must fail before either is used.
	var s Service
	_, err := s.LookupHouseCode(t.Context(), "12345")
	if !errors.Is(err, ErrHouseCodeFormat) {
		t.Fatalf("LookupHouseCode(12345) = %v, want ErrHouseCodeFormat", err)
	}
}
