package issuance

import (
	"slices"
	"strings"
	"testing"
)

func TestStatesMatchTransitions(t *testing.T) {
	for _, st := range States() {
		if _, ok := transitions[st]; !ok {
			t.Errorf("state %s has no transitions entry", st)
		}
	}
	for st := range transitions {
		if !slices.Contains(States(), st) {
			t.Errorf("state %s is missing from States", st)
		}
	}
}

func TestParseState(t *testing.T) {
	for _, st := range States() {
		got, err := ParseState(string(st))
		if err != nil || got != st {
			t.Errorf("ParseState(%q) = %q, %v", st, got, err)
		}
	}
	_, err := ParseState("bogus")
	if err == nil {
		t.Fatal("ParseState(bogus) returned no error")
	}
	want := `invalid state "bogus": use one of queued, card_fed,`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
	if !strings.HasSuffix(err.Error(), "needs_attention, voided") {
		t.Errorf("error %q does not end with the states off the normal path", err)
	}
}
