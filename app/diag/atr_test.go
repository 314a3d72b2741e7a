package diag

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// withTCK appends the check byte: the XOR of every byte after TS.
func withTCK(s string) string {
	b, _ := hex.DecodeString(s)
	var x byte
	for _, c := range b[1:] {
		x ^= c
	}
	return s + hex.EncodeToString([]byte{x})
}

func TestParseATR(t *testing.T) {
	for _, tc := range []struct {
		name, atr             string
		protocols, historical string
		category, extended    string
		tck                   string
	}{
		{"contactless T=1", withTCK("3b8a8001" + hex.EncodeToString([]byte("PERMITDESK"))), "T=0,T=1",
			"PERMITDESK", "proprietary (50)", "", "valid"},
		{"T=0 only", "3b0a" + hex.EncodeToString([]byte("PERMITDESK")), "T=0", "PERMITDESK", "proprietary (50)",
			"", "absent"},
		{"PSAM", "3b0450534d41", "T=0", "PSMA", "proprietary (50)", "", "absent"},
		{"compact-TLV with extended length", withTCK("3b888001" + "8073000040000000"), "T=0,T=1", "",
			"compact-TLV", "yes", "valid"},
		{"compact-TLV without extended length", withTCK("3b868001" + "807300000000"), "T=0,T=1", "",
			"compact-TLV", "no", "valid"},
		{"TA1 TB1 TC1 before TD1", withTCK("3bf81300008131fe45" + hex.EncodeToString([]byte("JCOPv241"))),
			"T=1", "JCOPv241", "proprietary (4A)", "", "valid"},
		{"wrong TCK", "3b8a8001" + hex.EncodeToString([]byte("PERMITDESK")) + "00", "T=0,T=1", "PERMITDESK",
			"proprietary (50)", "", "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := hex.DecodeString(tc.atr)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ParseATR(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(a.Protocols, ","); got != tc.protocols {
				t.Errorf("protocols %s, want %s", got, tc.protocols)
			}
			if tc.historical != "" && string(a.Historical) != tc.historical {
				t.Errorf("historical %q, want %q", a.Historical, tc.historical)
			}
			if a.Category != tc.category {
				t.Errorf("category %q, want %q", a.Category, tc.category)
			}
			if a.Extended != tc.extended {
				t.Errorf("extended %q, want %q", a.Extended, tc.extended)
			}
			if a.TCK != tc.tck {
				t.Errorf("TCK %s, want %s", a.TCK, tc.tck)
			}
		})
	}
}

func TestParseATRRejects(t *testing.T) {
	for _, atr := range []string{"", "3b", "3c00", "3b8a80", "3b0a5045"} {
		raw, _ := hex.DecodeString(atr)
		if _, err := ParseATR(raw); !errors.Is(err, ErrATR) {
			t.Errorf("ParseATR(%s): err %v, want ErrATR", atr, err)
		}
	}
}
