// Package issuance turns approved applications into permit cards, one job at
// a time per printer. A crash at any point loses no job, binds no permit to
// two valid cards, and counts no card as issued that was not read back and
// printed.
//
// A job moves through an explicit state machine (see State). Each transition
// is one IMMEDIATE transaction that updates the job and its card, appends a
// job event and an audit record, and, for transitions the central system must
// learn about, enqueues an outbox record with an idempotency key. Device
// actions happen between transitions. A state names either an action in
// progress (card_fed: feeding; encoding: writing the chip; printing) or a
// result (encoded, verified, printed, ejected), so after a crash the stored
// state says exactly what may or may not have happened.
//
// Recovery at start (Worker.Recover) moves every job caught mid-way to
// needs_attention with what is known; it never repeats a device action by
// itself. An operator then chooses: continue (the card at the station is read
// back and checked first), spoil and retry with a new card, or void with a
// supervisor's approval.
//
// The database enforces what it can: one valid card per permit number (a
// partial unique index), one open job per application, one job at a printer,
// and no issued card without verification and print times (CHECK
// constraints). Card stock is counted in lots and movements, and Reconcile
// checks that every card taken from stock is issued, spoiled, voided or still
// in a job.
//
// Every card carries the issuance seal the central system signed at
// approval (see SealSource). An application whose seal is missing or does
// not verify with the trusted keys is rejected when it is queued and again
// before a card is taken from stock, and the seal read back from the chip
// is verified before the card counts as verified.
//
// Devices are reached through the small interfaces in ports.go, which the
// printer and encoder drivers satisfy through adapters.
package issuance
