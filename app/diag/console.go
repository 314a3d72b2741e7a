package diag

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
	"permitdesk/devices"
	"permitdesk/devices/apdu"
)

// Errors of the consoles and actions.
var (
	// ErrConfirmRequired means the command changes a card or the printer's
	// settings and the request did not confirm it.
	ErrConfirmRequired = errors.New("confirmation required")
	// ErrAuditUnavailable means the audit log cannot be written, so the
	// consoles reject every command.
	ErrAuditUnavailable = errors.New("audit log unavailable")
	// ErrInvalidCommand means the console input cannot be sent.
	ErrInvalidCommand = errors.New("invalid console command")
)

// consoleUse is one console command or action as the audit log records it.
// command never holds an APDU's data field, which may carry a cryptogram
// or a PIN.
type consoleUse struct {
	console   string // apdu, printer or action
	device    string
	command   string
	changes   bool
	confirmed bool
	result    string
}

// admit checks the role and the confirmation and records the request. A
// rejection is recorded too when there is a session to name.
func (s *Service) admit(ctx context.Context, sess *operators.Session, u *consoleUse) error {
	if err := operators.Require(sess, operators.Technician); err != nil {
		if sess != nil && s.opts.DB != nil {
			u.result = "rejected: " + err.Error()
			s.record(ctx, sess, *u)
		}
		s.log.Warn("console command rejected", "console", u.console, "actor", operators.Actor(sess), "error", err)
		return err
	}
	if s.opts.DB == nil {
		return fmt.Errorf("%w: the database is not open, and console commands are only run when audited",
			ErrAuditUnavailable)
	}
	if u.changes && !u.confirmed {
		return fmt.Errorf("%w: %s %q may change a card or the device's settings; confirm it "+
			"(--yes on the command line)", ErrConfirmRequired, u.console, u.command)
	}
	u.result = "requested"
	return s.record(ctx, sess, *u)
}

// record writes one audit entry for u.
func (s *Service) record(ctx context.Context, sess *operators.Session, u consoleUse) error {
	if s.opts.DB == nil {
		return ErrAuditUnavailable
	}
	err := store.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{At: s.opts.Now(), Actor: operators.Actor(sess),
			Action: audit.ActionConsole, Subject: "device:" + u.device, Detail: map[string]any{
				"console": u.console, "command": u.command, "changes": u.changes,
				"confirmed": u.confirmed, "result": u.result}})
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAuditUnavailable, err)
	}
	s.log.Info("console command", "console", u.console, "device", u.device, "command", u.command,
		"actor", operators.Actor(sess), "result", u.result)
	return nil
}

// APDURequest is one command for the APDU console.
type APDURequest struct {
	// Device is encoder (default), desk_reader or psam.
	Device string `json:"device"`
	// Hex is the command APDU in hexadecimal; spaces and colons are allowed.
	Hex string `json:"hex"`
	// Confirm must be true for a command that may change the card.
	Confirm bool `json:"confirm"`
	// Raw sends the bytes unchanged and returns 61xx and 6Cxx as received,
	// without GET RESPONSE or a repeat.
	Raw bool `json:"raw"`
}

// APDUResult is the card's response.
type APDUResult struct {
	Reader string `json:"reader"`
	// Command is the APDU as sent, in hexadecimal.
	Command string `json:"command"`
	// Data is the response data in hexadecimal.
	Data    string `json:"data"`
	SW      string `json:"sw"`
	Meaning string `json:"meaning"`
	// Changes reports whether the command may have changed the card.
	Changes    bool  `json:"changes"`
	DurationMs int64 `json:"durationMs"`
}

// readOnlyINS are the instructions that never change a card's contents
// or counters: SELECT, READ BINARY, READ RECORD (both encodings), GET
// RESPONSE, GET CHALLENGE and GET DATA. Everything else needs confirmation,
// EXTERNAL AUTHENTICATE and VERIFY too, because a wrong value uses up a try.
var readOnlyINS = map[byte]bool{apdu.InsSelect: true, apdu.InsReadBinary: true, 0xB1: true,
	apdu.InsReadRecord: true, 0xB3: true, apdu.InsGetResponse: true, apdu.InsGetChallenge: true,
	apdu.InsGetData: true, 0xCB: true}

// APDU sends one command APDU from the console and decodes the status
// word. Only a technician may use it; every use is audited.
func (s *Service) APDU(ctx context.Context, sess *operators.Session, req APDURequest) (APDUResult, error) {
	if req.Device == "" {
		req.Device = "encoder"
	}
	raw, cmd, err := parseAPDU(req.Hex)
	// Unparsable input is never sent, so it is rejected without asking for
	// a confirmation first.
	u := consoleUse{console: "apdu", device: req.Device, confirmed: req.Confirm, command: "unparsable input"}
	if err == nil {
		u.command = fmt.Sprintf("%02X%02X%02X%02X Lc=%d (%s)", cmd.CLA, cmd.INS, cmd.P1, cmd.P2, len(cmd.Data),
			cmd.Name())
		u.changes = apduChanges(cmd)
	}
	if aerr := s.admit(ctx, sess, &u); aerr != nil {
		return APDUResult{}, aerr
	}
	if err != nil {
		u.result = "error: " + err.Error()
		return APDUResult{}, errors.Join(err, s.record(ctx, sess, u))
	}
	s.devices.Lock()
	res, err := s.sendAPDU(ctx, req, raw, cmd)
	s.devices.Unlock()
	res.Changes = u.changes
	u.result = "error: " + errText(err)
	if err == nil {
		u.result = "sw " + res.SW
	}
	return res, errors.Join(err, s.record(ctx, sess, u))
}

// apduChanges reports whether cmd may change the card: any instruction
// outside readOnlyINS, and any proprietary class except the PC/SC GET DATA
// (FF CA), which the reader handles itself.
func apduChanges(cmd apdu.Command) bool {
	if cmd.CLA == apdu.ClaPCSCPseudoAPDU {
		return cmd.INS != apdu.InsGetData
	}
	return cmd.CLA&0x80 != 0 || !readOnlyINS[cmd.INS]
}

// parseAPDU decodes console input. CLA FF (PC/SC pseudo-APDUs to the
// reader) is allowed: its GET DATA reads the card serial.
func parseAPDU(text string) ([]byte, apdu.Command, error) {
	b, err := apdu.ParseHex(text)
	if err != nil {
		return nil, apdu.Command{}, fmt.Errorf("%w: %w", ErrInvalidCommand, err)
	}
	cmd, _, err := apdu.ParseCommand(b)
	if err != nil {
		return nil, apdu.Command{}, fmt.Errorf("%w: %X is not a command APDU: %w", ErrInvalidCommand, b, err)
	}
	return b, cmd, nil
}

func (s *Service) sendAPDU(ctx context.Context, req APDURequest, raw []byte, cmd apdu.Command) (APDUResult, error) {
	role, err := s.readerFor(req.Device)
	if err != nil {
		return APDUResult{}, err
	}
	readers, err := s.opts.PCSC.Readers(ctx)
	if err != nil {
		return APDUResult{}, fmt.Errorf("list readers: %w; %s", err, pcscdFix)
	}
	name, ok := matchReader(readers, role.cfg.Name)
	if !ok {
		return APDUResult{}, fmt.Errorf("%w: no reader name contains %q (readers: %s)", devices.ErrNotConnected,
			role.cfg.Name, listOrNone(readers))
	}
	wait, cancel := context.WithTimeout(ctx, 3*time.Second)
	card, err := s.opts.PCSC.Connect(wait, name)
	cancel()
	if err != nil {
		return APDUResult{Reader: name}, fmt.Errorf("connect to the card in %s: %w; place a card on the reader",
			name, err)
	}
	defer card.Close()
	start := time.Now()
	rsp, err := exchange(ctx, card, raw, cmd, req.Raw)
	if err != nil {
		return APDUResult{Reader: name}, err
	}
	return APDUResult{Reader: name, Command: fmt.Sprintf("%X", raw), Data: fmt.Sprintf("%X", rsp.Data),
		SW: rsp.SW.String(), Meaning: rsp.SW.Meaning(), DurationMs: time.Since(start).Milliseconds()}, nil
}

func exchange(ctx context.Context, card CardConn, raw []byte, cmd apdu.Command, noT0 bool) (apdu.Response, error) {
	if noT0 {
		out, err := card.Transmit(ctx, raw)
		if err != nil {
			return apdu.Response{}, err
		}
		return apdu.ParseResponse(out)
	}
	return apdu.NewExchanger(card, apdu.ExchangeOptions{Extended: len(raw) > 5 && raw[4] == 0}).Exchange(ctx, cmd)
}

func (s *Service) readerFor(device string) (readerRole, error) {
	d := s.opts.Config.Devices
	for _, r := range []readerRole{{"encoder", "devices.encoder.name", d.Encoder},
		{"desk_reader", "devices.desk_reader.name", d.DeskReader}, {"psam", "devices.psam.name", d.PSAM}} {
		if r.device != device {
			continue
		}
		if r.cfg.Name == "" {
			return r, fmt.Errorf("%w: set %s", devices.ErrNotConfigured, r.field)
		}
		return r, nil
	}
	return readerRole{}, fmt.Errorf("%w: unknown reader %q: use encoder, desk_reader or psam", ErrInvalidCommand,
		device)
}

// PrinterCommandRequest is one command for the printer console.
type PrinterCommandRequest struct {
	// Command is an escape command without ESC and CR, parameters separated
	// by semicolons, such as "Rco;l" or "Pc;k;=;12".
	Command string `json:"command"`
	// Confirm must be true for every command except the reads (R...).
	Confirm bool `json:"confirm"`
}

// PrinterCommandResult is the printer's reply.
type PrinterCommandResult struct {
	Command string `json:"command"`
	Reply   string `json:"reply"`
	// Error is the printer's error reply or the link failure, with Code its
	// operator-facing code; both are empty on success.
	Error      string `json:"error"`
	Code       string `json:"code"`
	Changes    bool   `json:"changes"`
	DurationMs int64  `json:"durationMs"`
}

// PrinterCommand sends one escape command from the console. Only a
// technician may use it; every use is audited. Downloads (D...) carry
// binary panels and cannot be typed, so they are rejected.
func (s *Service) PrinterCommand(ctx context.Context, sess *operators.Session,
	req PrinterCommandRequest) (PrinterCommandResult, error) {
	cmd, params, perr := parsePrinterCommand(req.Command)
	u := consoleUse{console: "printer", device: "printer", command: req.Command,
		changes: perr == nil && !strings.HasPrefix(cmd, "R"), confirmed: req.Confirm}
	if err := s.admit(ctx, sess, &u); err != nil {
		return PrinterCommandResult{}, err
	}
	if perr != nil {
		u.result = "error: " + perr.Error()
		return PrinterCommandResult{}, errors.Join(perr, s.record(ctx, sess, u))
	}
	s.devices.Lock()
	res, err := s.sendPrinterCommand(ctx, cmd, params)
	s.devices.Unlock()
	res.Command, res.Changes = req.Command, u.changes
	u.result = "reply " + res.Reply
	if res.Error != "" {
		u.result = "error " + res.Code + ": " + res.Error
	}
	if err != nil {
		u.result = "error: " + err.Error()
	}
	return res, errors.Join(err, s.record(ctx, sess, u))
}

func parsePrinterCommand(text string) (string, []string, error) {
	text = strings.Trim(strings.TrimSpace(text), "\x1b\r")
	parts := strings.Split(text, ";")
	cmd := parts[0]
	switch {
	case cmd == "":
		return "", nil, fmt.Errorf("%w: empty printer command: type one such as Rco;l", ErrInvalidCommand)
	case strings.HasPrefix(cmd, "D"):
		return "", nil, fmt.Errorf("%w: %s is a download, which carries binary data: print a test card instead",
			ErrInvalidCommand, cmd)
	case strings.ContainsAny(text, "\x1b\r\n"):
		return "", nil, fmt.Errorf("%w: one command at a time, without ESC or CR", ErrInvalidCommand)
	}
	return cmd, parts[1:], nil
}

func (s *Service) sendPrinterCommand(ctx context.Context, cmd string, params []string) (PrinterCommandResult, error) {
	l := checkList{device: "printer"}
	p, release := s.usePrinter(ctx, &l)
	if p == nil {
		return PrinterCommandResult{}, fmt.Errorf("%w: %s; %s", devices.ErrNotConnected, l.checks[0].Reason,
			l.checks[0].Fix)
	}
	defer release()
	start := time.Now()
	reply, err := p.Command(ctx, cmd, params...)
	res := PrinterCommandResult{Reply: reply, DurationMs: time.Since(start).Milliseconds()}
	var de *devices.Error
	if errors.As(err, &de) {
		res.Error, res.Code = err.Error(), string(de.Code)
		return res, nil
	}
	return res, err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
