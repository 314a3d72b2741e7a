// Package rewrite changes the address on an issued residence-permit card at
// the technician's desk: the chip's address file and history, and the address
// printed on the card's rewritable strip.
//
// A change reads the card at the desk reader, verifies the issuance seal and
// checks that the permit is not revoked, online or against the cached
// revocation feed. It resolves the new house code through the sync service:
// the central register online, the cached register offline. Before anything
// is written it rejects a card that fails a check, and a house code that is
// unknown, retired or gives the current address. The job then writes the chip with
// permitcard.Encoder.UpdateAddress (old address appended to the cyclic
// history, new address, then the commit marker), reads it back, queues an
// address_changed record in the sync outbox in the same transaction that
// records the chip change, and erases and prints the strip on a TCP300II-style
// rewriter.
//
// Crash and removal safety: each transition is one IMMEDIATE transaction that
// updates the job, appends a job event and an audit record. The commit marker
// (12 bytes at the start of EF.ADDRESS: sequence and a digest of the address)
// tells what a card holds when it comes back after being pulled out or after a
// crash: the old address, the new one, or a torn write. Resume finishes the
// change and RollBack restores the old address, both only on the job's own
// card. A rewriter failure after the chip was updated leaves the job needing
// attention as "chip updated, strip not reprinted"; Reprint prints the strip
// again without touching the chip.
//
// Roles: every method that reads a card for a change or writes one requires a
// technician or supervisor session.
//
// Limits: one change runs at a time per Service. The central reference system
// accepts an address change only from the station that holds the permit's
// application, so a card whose application is not in this station's register
// is refused. A history record appended by a change that was rolled back stays
// on the card (cyclic records cannot be removed); it carries the current
// sequence, so it is not shown and the next change reuses it.
package rewrite
