package sync

import (
	"testing"
	"time"
)

func TestFormatTimeSortsAsText(t *testing.T) {
	base := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	times := []time.Time{base, base.Add(500 * time.Millisecond), base.Add(time.Second), base.Add(time.Second + time.Nanosecond)}
	for i := 1; i < len(times); i++ {
		a, b := formatTime(times[i-1]), formatTime(times[i])
		if a >= b {
			t.Errorf("%s does not sort before %s", a, b)
		}
		if got := parseTime(b); !got.Equal(times[i]) {
			t.Errorf("parseTime(%s) = %v, want %v", b, got, times[i])
		}
	}
}
