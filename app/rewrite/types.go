package rewrite

import (
	"errors"
	"strings"
	"time"

	"permitdesk/app/permit"
	"permitdesk/devices/permitcard"
)

// State is the state of a rewrite job.
type State string

// Job states. A state names either an action that may have started
// (chip_writing, strip_printing) or a result (chip_updated, done,
// rolled_back), so after a crash the stored state shows what the card may
// contain.
const (
	ChipWriting    State = "chip_writing"    // writing history, address and commit marker
	ChipUpdated    State = "chip_updated"    // the chip was read back with the new address
	StripPrinting  State = "strip_printing"  // erasing and printing the strip
	Done           State = "done"            // chip and strip carry the new address
	NeedsAttention State = "needs_attention" // see Job.Attention and Job.Choices
	RolledBack     State = "rolled_back"     // the chip holds the old address again
)

// MidWay reports whether a job in s is running, or was caught by a stop of
// the workstation. Recover marks such jobs as needing attention.
func (s State) MidWay() bool {
	return s == ChipWriting || s == ChipUpdated || s == StripPrinting
}

// Choice is an action a technician can take on a job that needs attention.
type Choice string

// Choices.
const (
	// ChoiceResume finishes an interrupted chip write on the same card.
	ChoiceResume Choice = "resume"
	// ChoiceRollBack restores the old address on the same card.
	ChoiceRollBack Choice = "roll_back"
	// ChoiceReprint prints the strip again without touching the chip.
	ChoiceReprint Choice = "reprint"
)

// Progress steps, in order.
const (
	StepCheck      = "check"       // card read, seal, revocation and house code checked
	StepChipWrite  = "chip_write"  // history append, address and commit marker
	StepChipVerify = "chip_verify" // chip read back
	StepStripWait  = "strip_wait"  // waiting for the card at the rewriter inlet
	StepStripPrint = "strip_print" // erase and print
	StepRecord     = "record"      // outbox and audit
	StepDone       = "done"
	StepFailed     = "failed"      // the job needs attention
	StepRolledBack = "rolled_back" // the old address is back on the chip
)

// Errors that callers branch on. Each is wrapped with the values involved
// and what to do next.
var (
	ErrNotPermitCard   = errors.New("card holds no issued permit")
	ErrSealInvalid     = errors.New("card issuance seal does not verify")
	ErrRevoked         = errors.New("permit revoked or cancelled")
	ErrRevocationCheck = errors.New("revocation status unknown")
	ErrHouseCode       = errors.New("house code not usable")
	ErrSameAddress     = errors.New("new address is the current address")
	ErrNotRegistered   = errors.New("permit not in this station's register")
	ErrOpenJob         = errors.New("card has an unfinished address change")
	ErrNotFound        = errors.New("rewrite job not found")
	ErrChoice          = errors.New("action not available for this job")
	ErrBusy            = errors.New("another address change is running")
	ErrChipMismatch    = errors.New("chip content does not match the job")
)

// Address is an address as the UI shows it.
type Address struct {
	HouseCode string `json:"houseCode"`
	District  string `json:"district"`
	Street    string `json:"street"`
	Community string `json:"community"`
	Detail    string `json:"detail"`
	// Line is the standard one-line form.
	Line string `json:"line"`
}

// HistoryEntry is one replaced address on the card.
type HistoryEntry struct {
	// Sequence is the commit sequence the address had while current.
	Sequence int `json:"sequence"`
	// ChangedOn is when it was replaced, as YYYY-MM-DD.
	ChangedOn string  `json:"changedOn"`
	Address   Address `json:"address"`
}

// Holder is the card holder as shown at the desk; the ID number is masked.
type Holder struct {
	Name      string `json:"name"`
	Sex       string `json:"sex"`
	BirthDate string `json:"birthDate"`
	IDNumber  string `json:"idNumber"`
}

// CardView is the card at the desk reader as Read shows it.
type CardView struct {
	Serial string `json:"serial"`
	// ChipState is the permitcard state: personalised, address_torn, ...
	ChipState    string         `json:"chipState"`
	Holder       Holder         `json:"holder"`
	PermitNumber string         `json:"permitNumber"`
	StationID    string         `json:"stationId"`
	ValidFrom    string         `json:"validFrom"`
	ValidTo      string         `json:"validTo"`
	Address      Address        `json:"address"`
	Sequence     int            `json:"sequence"`
	History      []HistoryEntry `json:"history"`
	Photo        []byte         `json:"photo,omitempty"`
	// SealValid is false when the issuance seal does not verify, and
	// SealError then gives the reason.
	SealValid bool   `json:"sealValid"`
	SealError string `json:"sealError,omitempty"`
	// Revoked is true when the permit was revoked or cancelled.
	Revoked          bool   `json:"revoked"`
	RevocationNote   string `json:"revocationNote,omitempty"`
	RevocationOnline bool   `json:"revocationOnline"`
	// ReadError is set when the chip could not be decoded, such as after an
	// interrupted address write; OpenJob then says how to finish it.
	ReadError string `json:"readError,omitempty"`
	// OpenJob is this card's unfinished address change, if any, and
	// ChipCondition what the chip holds relative to it.
	OpenJob       *Job          `json:"openJob,omitempty"`
	ChipCondition ChipCondition `json:"chipCondition,omitempty"`
}

// Proposal is a checked address change, shown for confirmation.
type Proposal struct {
	Card       CardView `json:"card"`
	NewAddress Address  `json:"newAddress"`
	// LookupOnline is true when the address came from the central register.
	// False means it came from the cached register, as of LookupAsOf.
	LookupOnline bool      `json:"lookupOnline"`
	LookupAsOf   time.Time `json:"lookupAsOf"`
}

// StripPreview holds the old and new strips as PNG images.
type StripPreview struct {
	Old []byte `json:"old"`
	New []byte `json:"new"`
}

// Job is a rewrite job as stored.
type Job struct {
	ID            int64   `json:"id"`
	CardSerial    string  `json:"cardSerial"`
	PermitNumber  string  `json:"permitNumber"`
	ApplicationID string  `json:"applicationId"`
	HolderName    string  `json:"holderName"`
	OldAddress    Address `json:"oldAddress"`
	NewAddress    Address `json:"newAddress"`
	OldSequence   int     `json:"oldSequence"`
	// NewSequence is set once the chip holds the new address.
	NewSequence int   `json:"newSequence,omitempty"`
	State       State `json:"state"`
	// AttentionFrom is the state the job was in when it needed attention;
	// Attention describes what is known.
	AttentionFrom State     `json:"attentionFrom,omitempty"`
	Attention     string    `json:"attention,omitempty"`
	Choices       []Choice  `json:"choices"`
	LookupOnline  bool      `json:"lookupOnline"`
	OutboxKey     string    `json:"outboxKey,omitempty"`
	StripPrints   int       `json:"stripPrints"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// Event is one transition of a job.
type Event struct {
	From   State     `json:"from"`
	To     State     `json:"to"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// Progress is one step of a job as the UI shows it.
type Progress struct {
	JobID   int64     `json:"jobId"`
	State   State     `json:"state"`
	Step    string    `json:"step"`
	Percent int       `json:"percent"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// ChipCondition is the state of the chip compared with a job.
type ChipCondition string

// Chip conditions.
const (
	ChipOld  ChipCondition = "old_address" // the old address, committed
	ChipNew  ChipCondition = "new_address" // the new address, committed
	ChipTorn ChipCondition = "torn"        // neither: a write was interrupted
)

// JoinChoices formats choices as "resume, roll_back", or "none" when there
// is no choice.
func JoinChoices(choices []Choice) string {
	if len(choices) == 0 {
		return "none"
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// choices lists what a technician can do with j now.
func (j *Job) choices() []Choice {
	switch {
	case j.State == NeedsAttention && j.AttentionFrom == ChipWriting:
		return []Choice{ChoiceResume, ChoiceRollBack}
	case j.State == NeedsAttention, j.State == Done:
		return []Choice{ChoiceReprint}
	}
	return []Choice{}
}

func addressView(a permit.Address) Address {
	return Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street, Community: a.Community,
		Detail: a.Detail, Line: a.Line()}
}

func (a Address) domain() permit.Address {
	return permit.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail}
}

func (a Address) chip() permitcard.Address {
	return permitcard.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail}
}

func chipAddressView(a permitcard.Address) Address {
	return addressView(permit.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail})
}
