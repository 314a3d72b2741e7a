package rewrite

import (
	"errors"
	"testing"
)

func TestErrNoChoiceWording(t *testing.T) {
	tests := []struct {
		job    Job
		choice Choice
		want   string
	}{
		{Job{ID: 2, State: StripPrinting, Choices: []Choice{}}, ChoiceResume,
			"action not available for this job: job 2 is strip_printing and offers none, not resume: unless another rewrite is " +
				"running it, a stopped workstation left it mid-way, so recover it with " +
				"`permitdesk rewrite --recover --reprint 2`"},
		{Job{ID: 3, State: ChipWriting, Choices: []Choice{}}, ChoiceResume,
			"action not available for this job: job 3 is chip_writing and offers none, not resume: unless another rewrite is " +
				"running it, a stopped workstation left it mid-way, so recover it with " +
				"`permitdesk rewrite --recover --resume 3`"},
		{Job{ID: 4, State: NeedsAttention, Choices: []Choice{ChoiceResume, ChoiceRollBack}}, ChoiceReprint,
			"action not available for this job: job 4 is needs_attention and offers resume, roll_back, not reprint"},
		{Job{ID: 5, State: RolledBack, Choices: []Choice{}}, ChoiceResume,
			"action not available for this job: job 5 is rolled_back and offers none, not resume"},
	}
	for _, tt := range tests {
		err := errNoChoice(&tt.job, tt.choice)
		if !errors.Is(err, ErrChoice) {
			t.Errorf("job %d: error %v does not wrap ErrChoice", tt.job.ID, err)
		}
		if err.Error() != tt.want {
			t.Errorf("job %d:\n got %q\nwant %q", tt.job.ID, err, tt.want)
		}
	}
}
