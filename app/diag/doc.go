// Package diag runs the workstation's diagnostics for technicians: checks of
// every configured device and link, explicit device tests, an APDU console
// and a printer command console, per-day chart data and a support bundle.
// The `permitdesk diag` command and the Diagnostics screen call the same
// Service.
//
// Checks report pass, warn, fail or skip, each with the reason and, for a
// warning or failure, the fix. They only read. The chip checks send SELECT,
// GET CHALLENGE and, to the PSAM, DIVERSIFY INIT, none of which changes a
// card, and the printer and rewriter are queried for their identity, sensors
// and counters. Tests that use or change a card (Action) and the consoles need a
// technician's session, commands that may change a card or the printer's
// settings need an explicit confirmation, and every use is written to the
// audit log; without a database the consoles refuse to run.
//
// Sources: the ATR is decoded per ISO/IEC 7816-3:2006 clause 8.2 and the
// historical bytes per ISO/IEC 7816-4:2020 clause 12.1; printer commands
// are those of the Evolis programming guide A5013 (package evolis); rewriter
// commands those of the TCP300II manual (package rewriter).
//
// Limits: a serial port held by another program is found by its exclusive
// flag (TIOCGEXCL, set by go.bug.st/serial and most terminal programs), by
// an open that fails with EBUSY, or by a UUCP lock file naming a live
// process. A program that opens the port without any of these is only named
// when the device then does not reply. An exclusive flag on a
// pseudo-terminal whose only other holder owns its master is reported as
// left by a driver that ended without closing the port. HID devices
// are found through the configured bus only, so an emulated HID device is
// visible to a Service in the same process as the emulator.
package diag
