package card

import (
	"testing"
	"time"
)

func TestAirTimeFrames(t *testing.T) {
	// Hand-computed from the model: bytes plus 3 per block, 9 bits per
	// byte, 2 framing bits and one 86.43 us frame delay per frame.
	cases := []struct {
		name           string
		cmdLen, rspLen int
		rate           Rate
		bits, frames   int
	}{
		{"select at 106", 5, 2, Rate106, (5+3)*9 + (2+3)*9 + 2*2, 2},
		{"select at 424", 5, 2, Rate424, (5+3)*9 + (2+3)*9 + 2*2, 2},
		// 300 command bytes chain into 2 I-blocks and 1 R(ACK).
		{"chained write", 300, 2, Rate106, (300+2*3)*9 + 3*9 + (2+3)*9 + 4*2, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := time.Duration(tc.bits)*time.Second/time.Duration(tc.rate) + time.Duration(tc.frames)*turnaround
			if got := AirTime(tc.cmdLen, tc.rspLen, tc.rate); got != want {
				t.Fatalf("AirTime(%d, %d) = %s, want %s", tc.cmdLen, tc.rspLen, got, want)
			}
		})
	}
}
