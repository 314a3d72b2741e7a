package issuance

import (
	"context"
	"database/sql"
	"errors"
	"image"
	"time"

	"permitdesk/app/permit"
	"permitdesk/devices/permitcard"
)

// CardPath is the printer's card path as the workflow uses it. Methods
// return errors wrapping the devices sentinels: devices.ErrUnconfirmed or
// devices.ErrTimeout when the printer may have acted without confirming,
// devices.ErrNoCard when there is no card to move.
type CardPath interface {
	// FeedToContactless takes a blank card from the feeder to the
	// contactless encoding station.
	FeedToContactless(ctx context.Context) error
	// PrintFaces prints the front and back of the card in the printer.
	PrintFaces(ctx context.Context, front, back image.Image) error
	// Eject sends the card to the output hopper.
	Eject(ctx context.Context) error
	// EjectToReject sends the card to the reject box.
	EjectToReject(ctx context.Context) error
	// Status reads the printer's card position and print counter, to settle
	// an unconfirmed step.
	Status(ctx context.Context) (PrinterStatus, error)
}

// Position is a card's location in the printer as the printer reports it.
type Position string

// Card positions.
const (
	PositionNone        Position = "none"        // no card inside the printer
	PositionContactless Position = "contactless" // at the contactless station
	PositionPrint       Position = "print"       // at the print head
	PositionUnknown     Position = "unknown"     // the printer does not say
)

// PrinterStatus is the printer's report of the card position and its counter.
type PrinterStatus struct {
	Position Position
	// PrintCounter is a life counter that every print advances, such as
	// the printed-panel count; only its increase is used.
	PrintCounter int64
}

// Encoder writes and reads permit chips at the printer's contactless station.
type Encoder interface {
	// Personalise writes p and the central system's issuance seal to the
	// card at the station and returns the card's serial number (the chip
	// UID).
	Personalise(ctx context.Context, p permit.Permit, seal permitcard.Seal) (serial string, err error)
	// Read reads the card at the station back, with its portrait and seal.
	Read(ctx context.Context) (CardContent, error)
}

// CardContent is the content of a chip read back.
type CardContent struct {
	Serial string
	Permit permit.Permit
	Seal   permitcard.Seal
}

// FaceRenderer draws a card's printed faces.
type FaceRenderer interface {
	RenderFaces(ctx context.Context, p permit.Permit) (front, back image.Image, err error)
}

// Applications returns approved applications cached from the central
// system.
type Applications interface {
	Application(ctx context.Context, id string) (permit.Application, error)
}

// RevocationChecker reports whether an approval was cancelled or a permit
// revoked. It returns ErrRevocationUnknown wrapped when the central system
// cannot be asked and nothing is cached.
type RevocationChecker interface {
	Revoked(ctx context.Context, applicationID, permitNumber string) (revoked bool, reason string, err error)
}

// ErrRevocationUnknown means the revocation status could not be learned.
var ErrRevocationUnknown = errors.New("revocation status unknown")

// Outbox queues records for the central system inside the transaction of
// the step they describe, so a record exists if and only if the step
// committed. Enqueue must treat a second record with the same Key as the
// first one, never as a new record.
type Outbox interface {
	Enqueue(ctx context.Context, tx *sql.Tx, rec Record) error
}

// Record kinds sent to the central system.
const (
	RecordIssued  = "issued"
	RecordSpoiled = "spoiled"
	RecordVoided  = "voided"
	// RecordAddressChanged follows the issued record of a reprint that
	// carries an address changed after the first issue.
	RecordAddressChanged = "address_changed"
)

// Record is one card event for the central system.
type Record struct {
	// Key is the idempotency key: station, card id and kind, so a retried
	// send of the same event is one record at the central system.
	Key           string
	Kind          string
	ApplicationID string
	PermitNumber  string
	// CardSerial is the chip serial. A card spoiled before its chip was
	// written gets no record, so it is never empty.
	CardSerial  string
	StationTime time.Time
	// Reason is why a card was spoiled or voided.
	Reason string
	// Address is the card's address in an address_changed record.
	Address *permit.Address
}

// ErrBlankCard is returned, wrapped, by Encoder.Read when the chip holds no
// permit yet.
var ErrBlankCard = errors.New("card chip is blank: no permit written")
