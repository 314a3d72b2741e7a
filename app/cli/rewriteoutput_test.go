package cli

import (
	"bytes"
	"strings"
	"testing"

	"permitdesk/app/rewrite"
)

func TestOpenJobLineOmitsEmptyFields(t *testing.T) {
	tests := []struct {
		name string
		view rewrite.CardView
		want string
	}{
		{"stuck strip", rewrite.CardView{OpenJob: &rewrite.Job{ID: 2, State: rewrite.StripPrinting,
			Choices: []rewrite.Choice{}}},
			"2 strip_printing, choices none. If the workstation stopped, recover it with " +
				"`permitdesk rewrite --recover --reprint 2`"},
		{"torn chip", rewrite.CardView{ChipCondition: rewrite.ChipTorn, OpenJob: &rewrite.Job{ID: 3,
			State: rewrite.NeedsAttention, Attention: "chip write interrupted",
			Choices: []rewrite.Choice{rewrite.ChoiceResume, rewrite.ChoiceRollBack}}},
			"3 needs_attention: chip write interrupted, chip contains torn, choices resume, roll_back"},
	}
	for _, tt := range tests {
		if got := openJobLine(tt.view); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestPrintProgressWithoutMessage(t *testing.T) {
	var b bytes.Buffer
	printProgress(&b, rewrite.Progress{Step: rewrite.StepFailed, Percent: 100})
	if got, want := b.String(), "[100%] failed\n"; got != want {
		t.Errorf("progress without a message = %q, want %q", got, want)
	}
	b.Reset()
	printProgress(&b, rewrite.Progress{Step: rewrite.StepCheck, Percent: 5, Message: "card read"})
	if got := b.String(); !strings.HasSuffix(got, "check: card read\n") {
		t.Errorf("progress with a message = %q, want it after the step", got)
	}
}
