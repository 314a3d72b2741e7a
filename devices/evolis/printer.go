// Package evolis drives an Evolis-style card printer over RS-232. Commands
// are framed as `ESC cmd;p1;...;pn CR`. Bitmaps go as length-aware downloads:
// Db raw, or Dbc compressed line by line for K and O panels. The package
// sends the Ss/Sr/Sv/Se print sequence, Sic to the contactless encoding
// station, Ser to the reject box, and the R-family reads (Rlr, Rse, Rfv,
// Rsn, Rtp, Rco).
//
// The protocol is the one in the Evolis "Printers Programming Guide" P/N A5013
// Rev E (2003). Limits: only 2-level (monochrome) panels are sent; colour
// panels and magnetic encoding are not implemented. The guide does not state
// how a reply ends on serial lines, so a reply ends at CR, LF or NUL, or when
// no byte follows for Options.InterByteGap.
//
// Retry rules: reads are idempotent and may be retried after
// devices.ErrTimeout. A print is never sent twice by this package: when the
// reply to the command that prints (Se) is late, the job becomes unconfirmed
// (devices.ErrUnconfirmed) and Settle decides it from the printer's counters.
// A reply that cannot belong to the command just sent means the link is out
// of step (devices.ErrOutOfStep). The package then resynchronises and sends
// a read or setting once more, but never a move, download or print.
package evolis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/serialport"
)

// Options configures a Printer.
type Options struct {
	// Port selects the serial port by path or USB serial number.
	Port serialport.Options
	// Name labels errors and logs; empty means "printer".
	Name string
	// Timeout bounds the wait for the reply to an ordinary command; 0 means 5s.
	Timeout time.Duration
	// MoveTimeout bounds the wait for commands that move or print a card
	// (Sic, Se, Ser); 0 means 60s.
	MoveTimeout time.Duration
	// InterByteGap ends a reply that has no terminator; 0 means 50ms.
	InterByteGap time.Duration
	// AckNack turns on the printer's ACK/NACK protocol (error mode bit 4).
	AckNack bool
	// ReconnectWait is how long a command waits for a port that failed to
	// come back before it fails with devices.ErrNotConnected; 0 means it
	// tries to open the port once.
	ReconnectWait time.Duration
	// Uncompressed sends Db (82 296 bytes a panel) instead of Dbc.
	Uncompressed bool
	// Logger receives retries, late replies and reconnects; nil discards them.
	Logger *slog.Logger
	// Dial opens the byte stream; nil means serialport.Open. Tests wrap it.
	Dial func(serialport.Options) (serialport.Conn, error)
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = "printer"
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MoveTimeout == 0 {
		o.MoveTimeout = 60 * time.Second
	}
	if o.InterByteGap == 0 {
		o.InterByteGap = 50 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Dial == nil {
		o.Dial = func(so serialport.Options) (serialport.Conn, error) { return serialport.Open(so) }
	}
}

// Printer is a connection to one card printer. Its methods are safe for
// concurrent use; commands are sent one at a time.
type Printer struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	conn    serialport.Conn
	session bool   // error mode and eject mode set since the last (re)connect
	ackMode bool   // the printer replies in ACK/NACK form
	stale   int    // replies still owed for commands that timed out
	barrier bool   // an Rsn was sent to realign replies and is still owed
	serial  string // the printer's serial number, the realignment marker
	pending []byte // bytes received after the last complete reply
}

// Open connects to the printer and sets host error management (Pem).
func Open(ctx context.Context, opts Options) (*Printer, error) {
	opts.defaults()
	p := &Printer{opts: opts, log: opts.Logger.With("device", opts.Name)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.dialLocked(ctx); err != nil {
		return nil, err
	}
	if err := p.ensureSessionLocked(ctx); err != nil {
		p.closeLocked()
		return nil, err
	}
	return p, nil
}

// Close closes the port.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *Printer) closeLocked() error {
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn, p.session, p.ackMode, p.stale, p.pending, p.barrier = nil, false, false, 0, nil, false
	return err
}

// openQuiet is the silence that ends the discarding of input on open.
const openQuiet = 200 * time.Millisecond

// dialLocked opens the port and discards input left on the line, such as a
// late reply to a command from a process that was killed.
func (p *Printer) dialLocked(ctx context.Context) error {
	conn, err := p.opts.Dial(p.opts.Port)
	if err != nil {
		return p.fail("open", CodeOffline, err)
	}
	p.conn = conn
	p.session, p.ackMode, p.stale, p.pending, p.barrier = false, false, 0, nil, false
	p.discardInputLocked(ctx)
	return nil
}

// discardInputLocked flushes the input buffer and discards replies until the
// line has been silent for openQuiet. A reply that the printer sends later
// still puts the link out of step, and exchangeLocked detects that.
func (p *Printer) discardInputLocked(ctx context.Context) {
	p.conn.ResetInputBuffer()
	for {
		raw, err := p.readReplyLocked(ctx, openQuiet, false)
		if err != nil {
			break
		}
		p.log.Info("discarded printer input left from an earlier session",
			"reply", string(bytes.TrimRight(raw, "\r\n\x00")))
	}
	p.pending = nil
}

// Reconnect closes the port and opens it again, retrying until ctx ends, then
// sets the error mode again. Use it after devices.ErrNotConnected.
func (p *Printer) Reconnect(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
	for attempt := 1; ; attempt++ {
		err := p.dialLocked(ctx)
		if err == nil {
			p.log.Info("printer reconnected", "attempt", attempt)
			return p.ensureSessionLocked(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("reconnect after %d attempts: %w", attempt, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// redialLocked opens the port again after it was closed by a failure,
// waiting up to Options.ReconnectWait for it to come back, and sets the
// session up again.
func (p *Printer) redialLocked(ctx context.Context) error {
	deadline := time.Now().Add(p.opts.ReconnectWait)
	for {
		err := p.dialLocked(ctx)
		if err == nil {
			p.log.Info("printer port reopened")
			return p.ensureSessionLocked(ctx)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ensureSessionLocked sets host error management and "no eject at end of
// print" once per connection. A power cycle resets both, so CheckSession
// reads the mode back before each job.
func (p *Printer) ensureSessionLocked(ctx context.Context) error {
	if p.conn == nil {
		return p.redialLocked(ctx) // sets the session up once the port is open
	}
	if p.session {
		return nil
	}
	mode := "2"
	if p.opts.AckNack {
		// NOTE: Rev E names bit 4 for ACK/NACK without its value; 16 (bits
		// counted from 0) is this package's reading of it.
		mode = "18" // 2 (host manages errors) + 16 (ACK/NACK)
	}
	if _, err := p.doLocked(ctx, "set error mode", p.opts.Timeout, Frame("Pem", mode)); err != nil {
		return err
	}
	p.ackMode = p.opts.AckNack
	if _, err := p.doLocked(ctx, "set eject mode", p.opts.Timeout, Frame("Pneab", "E")); err != nil {
		return err
	}
	serial, err := p.readLocked(ctx, "read serial number", "Rsn")
	if err != nil {
		return err
	}
	p.serial, p.session = serial, true
	return nil
}

// CheckSession reads the error mode (Rem) and sets it again when the printer
// lost it, as it does after a power cycle. It reports whether it had to.
func (p *Printer) CheckSession(ctx context.Context) (reset bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checkSessionLocked(ctx)
}

func (p *Printer) checkSessionLocked(ctx context.Context) (bool, error) {
	if !p.session {
		return true, p.ensureSessionLocked(ctx)
	}
	want := "2"
	if p.opts.AckNack {
		want = "18"
	}
	got, err := p.readLocked(ctx, "read error mode", "Rem")
	if err == nil && got == want {
		return false, nil
	}
	if err != nil && !errors.Is(err, devices.ErrTimeout) {
		var de *devices.Error
		if !errors.As(err, &de) || de.Code == CodeOffline {
			return false, err
		}
	}
	p.log.Warn("printer lost its error mode, setting it again", "error_mode", got)
	p.session, p.ackMode = false, false
	return true, p.ensureSessionLocked(ctx)
}

// Command sends one command and returns the reply text. Error replies become
// a *devices.Error with the matching code.
func (p *Printer) Command(ctx context.Context, cmd string, params ...string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.doLocked(ctx, cmd, p.opts.Timeout, Frame(cmd, params...))
}

func (p *Printer) readLocked(ctx context.Context, op, cmd string, params ...string) (string, error) {
	return p.doLocked(ctx, op, p.opts.Timeout, Frame(cmd, params...))
}

// readValidLocked sends a read whose value must pass valid. A value that
// does not is taken as the reply to another command (see exchangeLocked).
func (p *Printer) readValidLocked(ctx context.Context, op string, valid func(string) bool, cmd string, params ...string) (string, error) {
	return p.doValidLocked(ctx, op, p.opts.Timeout, Frame(cmd, params...), valid)
}

// doLocked sends frame and turns the reply into text or an error.
func (p *Printer) doLocked(ctx context.Context, op string, timeout time.Duration, frame []byte) (string, error) {
	return p.doValidLocked(ctx, op, timeout, frame, nil)
}

// doValidLocked is doLocked with a check of the value in a reply; nil valid
// accepts every value.
func (p *Printer) doValidLocked(ctx context.Context, op string, timeout time.Duration, frame []byte, valid func(string) bool) (string, error) {
	fits := func(r Reply) bool {
		if !replyFits(frame, r) {
			return false
		}
		return valid == nil || isErrorReply(r) || valid(r.Text)
	}
	r, err := p.exchangeLocked(ctx, op, timeout, frame, fits)
	if err != nil {
		return "", err
	}
	switch r.Kind {
	case ReplyOK, ReplyAck, ReplyValue:
		return r.Text, nil
	case ReplyNack:
		code := CodeForNack(r.Text)
		return "", p.fail(op, code, &PrinterError{Reply: "NACK " + r.Text, Code: code})
	case ReplyUnknownCmd:
		return "", p.fail(op, CodeUnknownCommand, &PrinterError{Reply: r.Text, Code: CodeUnknownCommand})
	}
	code := CodeForText(r.Text)
	return "", p.fail(op, code, &PrinterError{Reply: r.Text, Code: code})
}

func (p *Printer) fail(op string, code devices.Code, err error) *devices.Error {
	return &devices.Error{Device: p.opts.Name, Op: op, Code: code, Err: err}
}

// exchangeLocked sends frame and returns its reply when fits accepts it. A
// rejected reply belongs to an earlier command, and the reply to frame is
// still owed. Reads and settings (R and P family) are safe to repeat, so the
// link is resynchronised and frame is sent once more. Any other command, or
// a second mismatch, fails with devices.ErrOutOfStep and code CodeOutOfStep, and the
// next command resynchronises first.
func (p *Printer) exchangeLocked(ctx context.Context, op string, timeout time.Duration, frame []byte, fits func(Reply) bool) (Reply, error) {
	r, err := p.roundTripLocked(ctx, op, timeout, frame)
	if err != nil || fits(r) {
		return r, err
	}
	p.outOfStepLocked(op, r)
	if !repeatable(frame) {
		return Reply{}, p.outOfStepError(op, r)
	}
	r, err = p.roundTripLocked(ctx, op, timeout, frame)
	if err != nil || fits(r) {
		return r, err
	}
	p.outOfStepLocked(op, r)
	return Reply{}, p.outOfStepError(op, r)
}

// outOfStepLocked records that the reply to the command just sent is still
// owed, so that resyncLocked discards it before the next command.
func (p *Printer) outOfStepLocked(op string, r Reply) {
	p.log.Warn("printer reply does not match the command, resynchronising", "op", op, "reply", r.Text)
	p.stale++
}

func (p *Printer) outOfStepError(op string, r Reply) error {
	return p.fail(op, CodeOutOfStep, fmt.Errorf("%w: got %q", devices.ErrOutOfStep, r.Text))
}

// roundTripLocked writes one frame and reads one reply. A write failure
// closes the port; a missing reply counts as stale so that a late one is
// discarded before the next command.
func (p *Printer) roundTripLocked(ctx context.Context, op string, timeout time.Duration, frame []byte) (Reply, error) {
	if p.conn == nil {
		if err := p.redialLocked(ctx); err != nil {
			return Reply{}, err
		}
	}
	if err := p.resyncLocked(ctx); err != nil {
		return Reply{}, err
	}
	if _, err := serialport.WriteFull(p.conn, frame); err != nil {
		p.log.Error("printer write failed", "op", op, "error", err)
		p.closeLocked()
		return Reply{}, p.fail(op, CodeOffline, err)
	}
	raw, err := p.readReplyLocked(ctx, timeout, expectsValue(frame))
	if errors.Is(err, devices.ErrTimeout) {
		p.stale++
		return Reply{}, p.fail(op, CodeTimeout, fmt.Errorf("no reply within %s: %w", timeout, err))
	}
	if err != nil {
		if errors.Is(err, devices.ErrNotConnected) {
			p.closeLocked()
			return Reply{}, p.fail(op, CodeOffline, err)
		}
		return Reply{}, p.fail(op, CodeTimeout, err)
	}
	r, err := ParseReply(raw)
	if err != nil {
		return Reply{}, p.fail(op, CodeFailed, err)
	}
	return r, nil
}

// resyncLocked realigns replies with commands after a command timed out.
// The printer replies in order, so it sends Rsn once and discards replies
// until the serial number comes back. It returns a timeout error while the
// printer is still busy with the earlier command; the next command tries
// again without sending another Rsn.
func (p *Printer) resyncLocked(ctx context.Context) error {
	if p.stale == 0 {
		return nil
	}
	if p.serial == "" {
		p.drainLocked(ctx)
		return nil
	}
	if !p.barrier {
		if _, err := serialport.WriteFull(p.conn, Frame("Rsn")); err != nil {
			p.closeLocked()
			return p.fail("resynchronise", CodeOffline, err)
		}
		p.barrier = true
	}
	deadline := time.Now().Add(p.opts.MoveTimeout)
	for {
		raw, err := p.readReplyLocked(ctx, time.Until(deadline), true)
		if err != nil {
			if errors.Is(err, devices.ErrNotConnected) {
				p.closeLocked()
				return p.fail("resynchronise", CodeOffline, err)
			}
			return p.fail("resynchronise", CodeTimeout,
				fmt.Errorf("printer still busy with an earlier command: %w", err))
		}
		r, _ := ParseReply(raw)
		if r.Text == p.serial {
			p.stale, p.barrier = 0, false
			return nil
		}
		p.log.Info("discarded late printer reply", "reply", string(bytes.TrimRight(raw, "\r\n\x00")))
	}
}

// drainLocked discards input for one reply timeout; it is the fallback
// before the serial number is known.
func (p *Printer) drainLocked(ctx context.Context) {
	for {
		raw, err := p.readReplyLocked(ctx, p.opts.Timeout, false)
		if err != nil {
			break
		}
		p.log.Info("discarded late printer reply", "reply", string(bytes.TrimRight(raw, "\r\n\x00")))
	}
	p.conn.ResetInputBuffer()
	p.stale, p.pending = 0, nil
}

// valueReads are the reads whose only replies are a value or an error. The
// other reads also reply OK: Rlr;p with no card, Rlr;c with no cleaning due,
// and Rcr with a ribbon fitted.
var valueReads = map[string]bool{
	"Rtp": true, "Rsn": true, "Rfv": true, "Rem": true, "Rco": true, "Rse": true, "Rcom": true, "Rr": true,
}

// replyFits reports whether r can be the reply to frame: an error reply
// fits every command, a value fits only a read, and OK fits every command
// except the reads in valueReads.
func replyFits(frame []byte, r Reply) bool {
	if isErrorReply(r) || r.Kind == ReplyAck {
		return true
	}
	if !expectsValue(frame) {
		return r.Kind == ReplyOK
	}
	return r.Kind == ReplyValue || !valueReads[commandName(frame)]
}

func isErrorReply(r Reply) bool {
	return r.Kind == ReplyError || r.Kind == ReplyUnknownCmd || r.Kind == ReplyNack
}

// repeatable reports whether the command in frame may be sent twice: reads
// (R family) and settings (P family) may, while moves, prints and downloads
// may not.
func repeatable(frame []byte) bool {
	return len(frame) > 1 && (frame[1] == 'R' || frame[1] == 'P')
}

// expectsValue reports whether the command in frame is a read, whose reply in
// ACK/NACK mode is ACK followed by a value.
func expectsValue(frame []byte) bool {
	return len(frame) > 1 && frame[1] == 'R'
}

// readReplyLocked collects one reply: up to a CR, LF or NUL after content, a
// complete ACK or NACK in ACK/NACK mode, or the last byte before a silence of
// InterByteGap. It returns devices.ErrTimeout when nothing arrives in time.
func (p *Printer) readReplyLocked(ctx context.Context, timeout time.Duration, value bool) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	reply, last := p.pending, time.Now()
	p.pending = nil
	buf := make([]byte, 256)
	for {
		if done := p.replyComplete(reply, value); done > 0 {
			p.pending = append([]byte(nil), reply[done:]...)
			return reply[:done], nil
		}
		wait := time.Until(deadline)
		if len(reply) > 0 {
			wait = time.Until(last.Add(p.opts.InterByteGap))
			if wait <= 0 {
				return reply, nil
			}
		} else if wait <= 0 {
			return nil, devices.ErrTimeout
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ctx.Err(), devices.ErrTimeout)
		}
		n, err := serialport.ReadSome(p.conn, buf, min(wait, 100*time.Millisecond))
		if errors.Is(err, devices.ErrTimeout) {
			continue
		}
		if err != nil {
			return nil, err
		}
		reply, last = append(reply, buf[:n]...), time.Now()
	}
}

// replyComplete returns the length of the complete reply at the start of b,
// or 0 when more bytes are needed.
func (p *Printer) replyComplete(b []byte, value bool) int {
	start := bytes.IndexFunc(b, func(r rune) bool { return r != NUL && r != CR && r != LF })
	if start < 0 {
		return 0
	}
	if p.ackMode && b[start] == NACK && len(b) >= start+2 {
		return start + 2
	}
	if p.ackMode && b[start] == ACK && !value {
		return start + 1
	}
	if end := bytes.IndexAny(b[start:], "\r\n\x00"); end > 0 {
		return start + end + 1
	}
	return 0
}

// Counters are the printer's life counters (Rco).
type Counters struct {
	// Inserted is the number of cards taken from the feeder (Rco;c).
	Inserted int
	// Panels is the number of panels printed (Rco;p).
	Panels int
}

// Counters reads the life counters.
func (p *Printer) Counters(ctx context.Context) (Counters, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.countersLocked(ctx)
}

func (p *Printer) countersLocked(ctx context.Context) (Counters, error) {
	c, err := p.readIntLocked(ctx, "read inserted cards", "c")
	if err != nil {
		return Counters{}, err
	}
	pn, err := p.readIntLocked(ctx, "read printed panels", "p")
	if err != nil {
		return Counters{}, err
	}
	return Counters{Inserted: c, Panels: pn}, nil
}

func (p *Printer) readIntLocked(ctx context.Context, op, which string) (int, error) {
	s, err := p.readValidLocked(ctx, op, isNumber, "Rco", which)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, p.fail(op, CodeFailed, fmt.Errorf("invalid counter reply %q: want a number", s))
	}
	return n, nil
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
