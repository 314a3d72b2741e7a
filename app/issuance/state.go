package issuance

import (
	"fmt"
	"slices"
	"strings"
)

// State is the state of an issuance job.
type State string

// Job states on the normal path, in order.
const (
	Queued           State = "queued"            // waiting for a printer
	CardFed          State = "card_fed"          // a card was taken from stock; feeding it to the contactless station
	Encoding         State = "encoding"          // the card is at the station; writing the chip
	Encoded          State = "encoded"           // the chip was written; its serial is known
	Verified         State = "verified"          // the chip was read back and matches the permit
	Printing         State = "printing"          // printing the faces
	Printed          State = "printed"           // the printer confirmed the print
	Ejected          State = "ejected"           // the card left the printer
	AwaitingHandover State = "awaiting_handover" // waiting for the clerk to hand the card over
	Issued           State = "issued"            // handed over and reported
)

// Job states off the normal path.
const (
	// Spoiled means the job's card went to the reject box; Requeue takes a
	// new card.
	Spoiled State = "spoiled"
	// NeedsAttention means the card's real state is unknown after a crash
	// or a lost device reply; see Job.Attention and Job.Choices.
	NeedsAttention State = "needs_attention"
	// Voided means a supervisor ended the job; its card, if any, is void.
	Voided State = "voided"
)

// States returns every job state: the normal path in order, then the
// states off it.
func States() []State {
	return []State{Queued, CardFed, Encoding, Encoded, Verified, Printing, Printed, Ejected, AwaitingHandover,
		Issued, Spoiled, NeedsAttention, Voided}
}

// ParseState returns the state called name, or an error that lists every
// state.
func ParseState(name string) (State, error) {
	st := State(strings.TrimSpace(name))
	if slices.Contains(States(), st) {
		return st, nil
	}
	names := make([]string, 0, len(States()))
	for _, s := range States() {
		names = append(names, string(s))
	}
	return "", fmt.Errorf("invalid state %q: use one of %s", name, strings.Join(names, ", "))
}

// transitions lists the states each state may move to.
var transitions = map[State][]State{
	Queued:           {CardFed, Voided},
	CardFed:          {Encoding, Queued, Spoiled, NeedsAttention},
	Encoding:         {Encoded, Spoiled, NeedsAttention},
	Encoded:          {Verified, Spoiled, NeedsAttention},
	Verified:         {Printing, Spoiled, NeedsAttention},
	Printing:         {Printed, Spoiled, NeedsAttention},
	Printed:          {Ejected, Spoiled, NeedsAttention},
	Ejected:          {AwaitingHandover, NeedsAttention},
	AwaitingHandover: {Issued, Spoiled, Voided},
	Issued:           {Voided},
	Spoiled:          {Queued, Voided},
	NeedsAttention:   {Queued, Encoding, Encoded, Verified, Printed, Ejected, AwaitingHandover, Spoiled, Voided},
	Voided:           {},
}

// CanMove reports whether a job may go from s to next.
func (s State) CanMove(next State) bool { return slices.Contains(transitions[s], next) }

// AtPrinter reports whether a job in s holds the printer: a card of the job
// may be inside it.
func (s State) AtPrinter() bool {
	switch s {
	case CardFed, Encoding, Encoded, Verified, Printing, Printed, Ejected:
		return true
	}
	return false
}

// Final reports whether no further transition is expected.
func (s State) Final() bool { return s == Issued || s == Voided }

// Percent is the progress shown for a job in s.
func (s State) Percent() int {
	switch s {
	case CardFed:
		return 10
	case Encoding:
		return 25
	case Encoded:
		return 40
	case Verified:
		return 50
	case Printing:
		return 60
	case Printed:
		return 80
	case Ejected:
		return 90
	case AwaitingHandover:
		return 95
	case Issued:
		return 100
	}
	return 0
}

// cardState is the card state a job state implies; "" leaves the card as
// it is.
func (s State) cardState() string {
	switch s {
	case CardFed:
		return "fed"
	case Encoding, Encoded, Verified, Printing, Printed, Ejected, Issued, Spoiled, Voided:
		return string(s)
	case AwaitingHandover:
		return string(Ejected)
	}
	return ""
}

// Choice is an operator's decision for a job that needs attention.
type Choice string

// Choices for a job in NeedsAttention.
const (
	// ChoiceContinue reads the card at the station back, checks it against
	// what is known, and continues from the last confirmed step.
	ChoiceContinue Choice = "continue"
	// ChoiceRetry sends the card to the reject box, records it as spoiled,
	// and starts again with a new card.
	ChoiceRetry Choice = "retry"
	// ChoiceVoid ends the job; it needs a supervisor's approval.
	ChoiceVoid Choice = "void"
)
