package ui

import (
	"os"
	"regexp"
	"testing"
)

// TestEventsMirrored checks that frontend/src/events.ts lists exactly the
// event names of events.go, under the same constant names.
func TestEventsMirrored(t *testing.T) {
	src, err := os.ReadFile("../../frontend/src/events.ts")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)export const Events = \{(.*?)\} as const`).FindSubmatch(src)
	if block == nil {
		t.Fatal("events.ts: no `export const Events = {...} as const` block")
	}
	ts := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+):\s*"([^"]+)"`).FindAllSubmatch(block[1], -1) {
		ts[string(m[1])] = string(m[2])
	}
	for name, value := range EventNames {
		if ts[name] != value {
			t.Errorf("events.ts: %s = %q, want %q as in events.go", name, ts[name], value)
		}
	}
	for name := range ts {
		if _, ok := EventNames[name]; !ok {
			t.Errorf("events.ts: %s is not in events.go", name)
		}
	}
}
