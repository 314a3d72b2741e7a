// Package rewriter drives a rewritable-card printer of the Star Micronics
// TCP300II kind over RS-232, which prints the holder's current address on
// the card's thermal rewritable (leuco) strip. Frames are
// `STX cmd data ETX BCC` with BCC the XOR of the command byte through ETX
// (TCP300II Series Product Specifications Manual, Commands, 2005). The host
// acknowledges a good response with ACK. The device replies NAK to a damaged
// command, which the host sends again, and DLE to a command it rejects.
//
// Limits: the magnetic-stripe, character-print (41h) and internal-image (42h)
// commands are not used. The status byte values other than 51h are this
// project's own, because the manual pages found do not list them.
package rewriter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/serialport"
)

// Operator-facing codes of rewriter failures.
const (
	CodeNoCard    devices.Code = "rewriter.no_card"
	CodeCoverOpen devices.Code = "rewriter.cover_open"
	CodeJam       devices.Code = "rewriter.card_jam"
	CodeOverflow  devices.Code = "rewriter.buffer_overflow"
	CodeRejected  devices.Code = "rewriter.rejected"
	CodeTimeout   devices.Code = "rewriter.timeout"
	CodeOffline   devices.Code = "rewriter.offline"
	CodeFailed    devices.Code = "rewriter.failed"
)

var statusCodes = map[byte]devices.Code{
	StatusNoCard: CodeNoCard, StatusCoverOpen: CodeCoverOpen, StatusJam: CodeJam, StatusOverflow: CodeOverflow,
}

// Discharge is the card's destination after an erase or print.
type Discharge byte

// Discharge values.
const (
	Hold          Discharge = '0' // keep the card at the front
	DischargeOut  Discharge = '1' // push it out of the front slot
	DischargeBack Discharge = '2' // push it out at the back
)

// Options configures a Rewriter.
type Options struct {
	// Port selects the serial port by path or USB serial number.
	Port serialport.Options
	// Name labels errors and logs; empty means "rewriter".
	Name string
	// Timeout bounds the wait for each response; 0 means 5s.
	Timeout time.Duration
	// MoveTimeout bounds erase and print commands; 0 means 30s.
	MoveTimeout time.Duration
	// Resends is the number of times a command is sent again after a NAK;
	// 0 means 3.
	Resends int
	// ReconnectWait is how long a command waits for a port that failed to
	// come back; 0 means it tries to open the port once.
	ReconnectWait time.Duration
	// Logger receives resends and errors; nil discards them.
	Logger *slog.Logger
	// Dial opens the byte stream; nil means serialport.Open.
	Dial func(serialport.Options) (serialport.Conn, error)
}

// Rewriter is a connection to one rewriter. Its methods are safe for
// concurrent use.
type Rewriter struct {
	opts Options
	log  *slog.Logger
	mu   sync.Mutex
	conn serialport.Conn
	rest []byte
}

// Open connects to the rewriter.
func Open(opts Options) (*Rewriter, error) {
	if opts.Name == "" {
		opts.Name = "rewriter"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MoveTimeout == 0 {
		opts.MoveTimeout = 30 * time.Second
	}
	if opts.Resends == 0 {
		opts.Resends = 3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Dial == nil {
		opts.Dial = func(so serialport.Options) (serialport.Conn, error) { return serialport.Open(so) }
	}
	r := &Rewriter{opts: opts, log: opts.Logger.With("device", opts.Name)}
	conn, err := opts.Dial(opts.Port)
	if err != nil {
		return nil, r.fail("open", CodeOffline, err)
	}
	r.conn = conn
	return r, nil
}

// Close closes the port.
func (r *Rewriter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	r.conn = nil
	return err
}

func (r *Rewriter) fail(op string, code devices.Code, err error) *devices.Error {
	return &devices.Error{Device: r.opts.Name, Op: op, Code: code, Err: err}
}

// ErrRejected is wrapped when the device replies DLE.
var ErrRejected = errors.New("rewriter rejected the command data (DLE)")

// Do sends one command and returns the response data. A non-OK status
// becomes a *devices.Error with the matching code.
func (r *Rewriter) Do(ctx context.Context, op string, cmd byte, data []byte, timeout time.Duration) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		if err := r.redialLocked(ctx); err != nil {
			return nil, r.fail(op, CodeOffline, err)
		}
	}
	frame, err := EncodeCommand(cmd, data)
	if err != nil {
		return nil, r.fail(op, CodeFailed, err)
	}
	for attempt := 0; ; attempt++ {
		resp, err := r.exchangeLocked(ctx, op, frame, timeout)
		if errors.Is(err, errNAK) && attempt < r.opts.Resends {
			r.log.Warn("rewriter asked for a resend", "op", op, "attempt", attempt+1)
			continue
		}
		if err != nil {
			return nil, err
		}
		if resp.Cmd != cmd {
			return nil, r.fail(op, CodeFailed, fmt.Errorf("response is for command %02Xh, sent %02Xh", resp.Cmd, cmd))
		}
		if resp.Status != StatusOK {
			code, ok := statusCodes[resp.Status]
			if !ok {
				code = CodeFailed
			}
			return nil, r.fail(op, code, fmt.Errorf("status %q", resp.Status))
		}
		return resp.Data, nil
	}
}

var errNAK = errors.New("rewriter replied NAK")

// redialLocked opens the port again after a failure closed it, waiting up to
// Options.ReconnectWait for it to come back.
func (r *Rewriter) redialLocked(ctx context.Context) error {
	deadline := time.Now().Add(r.opts.ReconnectWait)
	for {
		conn, err := r.opts.Dial(r.opts.Port)
		if err == nil {
			r.conn, r.rest = conn, nil
			r.log.Info("rewriter port reopened")
			return nil
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

func (r *Rewriter) exchangeLocked(ctx context.Context, op string, frame []byte, timeout time.Duration) (Response, error) {
	if _, err := serialport.WriteFull(r.conn, frame); err != nil {
		r.conn.Close()
		r.conn = nil
		return Response{}, r.fail(op, CodeOffline, err)
	}
	for nakSent := 0; ; nakSent++ {
		body, single, err := r.readLocked(ctx, timeout)
		switch {
		case errors.Is(err, ErrBCC) && nakSent < r.opts.Resends:
			r.log.Warn("damaged response, asking for it again", "op", op)
			if _, err := serialport.WriteFull(r.conn, []byte{NAK}); err != nil {
				return Response{}, r.fail(op, CodeOffline, err)
			}
			continue
		case errors.Is(err, devices.ErrTimeout):
			return Response{}, r.fail(op, CodeTimeout, fmt.Errorf("no response within %s: %w", timeout, err))
		case errors.Is(err, devices.ErrNotConnected):
			r.conn.Close()
			r.conn = nil
			return Response{}, r.fail(op, CodeOffline, err)
		case err != nil:
			return Response{}, r.fail(op, CodeFailed, err)
		case single == NAK:
			return Response{}, errNAK
		case single == DLE:
			return Response{}, r.fail(op, CodeRejected, ErrRejected)
		}
		resp, err := ParseResponse(body)
		if err != nil {
			return Response{}, r.fail(op, CodeFailed, err)
		}
		if _, err := serialport.WriteFull(r.conn, []byte{ACK}); err != nil {
			return Response{}, r.fail(op, CodeOffline, err)
		}
		return resp, nil
	}
}

// readLocked returns one response frame body, or a single NAK or DLE.
func (r *Rewriter) readLocked(ctx context.Context, timeout time.Duration) ([]byte, byte, error) {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 512)
	for {
		if len(r.rest) > 0 && r.rest[0] != STX {
			if i := bytes.IndexAny(r.rest, string([]byte{NAK, DLE, STX})); i >= 0 && r.rest[i] != STX {
				c := r.rest[i]
				r.rest = r.rest[i+1:]
				return nil, c, nil
			}
		}
		body, n, err := ParseFrame(r.rest)
		if !errors.Is(err, ErrIncomplete) {
			r.rest = r.rest[n:]
			return append([]byte(nil), body...), 0, err
		}
		r.rest = r.rest[n:]
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, 0, devices.ErrTimeout
		}
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("%w: %w", ctx.Err(), devices.ErrTimeout)
		}
		got, err := serialport.ReadSome(r.conn, buf, min(wait, 100*time.Millisecond))
		if errors.Is(err, devices.ErrTimeout) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		r.rest = append(r.rest, buf[:got]...)
	}
}

// Status reads the sensors.
func (r *Rewriter) Status(ctx context.Context) (Status, error) {
	data, err := r.Do(ctx, "read status", CmdStatus, nil, r.opts.Timeout)
	if err != nil {
		return Status{}, err
	}
	st, err := ParseStatus(string(data))
	if err != nil {
		return Status{}, r.fail("read status", CodeFailed, err)
	}
	return st, nil
}

// ROMVersion reads the firmware version text.
func (r *Rewriter) ROMVersion(ctx context.Context) (string, error) {
	data, err := r.Do(ctx, "read ROM version", CmdROMVersion, nil, r.opts.Timeout)
	return string(data), err
}

// Count reads the card transport count.
func (r *Rewriter) Count(ctx context.Context) (int, error) {
	data, err := r.Do(ctx, "read transport count", CmdCount, nil, r.opts.Timeout)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(data)))
	if err != nil {
		return 0, r.fail("read transport count", CodeFailed, fmt.Errorf("invalid count %q", data))
	}
	return n, nil
}

// LoadImage clears the image buffer and sends img (480 x 320 dots, black
// prints) as image lines, skipping empty columns.
func (r *Rewriter) LoadImage(ctx context.Context, img image.Image) error {
	lines, err := ImageLines(img)
	if err != nil {
		return r.fail("load image", CodeFailed, err)
	}
	if _, err := r.Do(ctx, "clear image buffer", CmdClearImage, nil, r.opts.Timeout); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := r.Do(ctx, "send image line", CmdImageLine, l, r.opts.Timeout); err != nil {
			return err
		}
	}
	return nil
}

// Erase erases the rewritable area, then discharges the card.
func (r *Rewriter) Erase(ctx context.Context, d Discharge) error {
	_, err := r.Do(ctx, "erase", CmdErase, []byte{byte(d)}, r.opts.MoveTimeout)
	return err
}

// Print prints the loaded image without erasing, then discharges the card.
func (r *Rewriter) Print(ctx context.Context, d Discharge) error {
	_, err := r.Do(ctx, "print", CmdPrint, []byte{byte(d)}, r.opts.MoveTimeout)
	return err
}

// ErasePrint erases and prints the loaded image in one pass, then
// discharges the card.
func (r *Rewriter) ErasePrint(ctx context.Context, d Discharge) error {
	_, err := r.Do(ctx, "erase and print", CmdErasePrint, []byte{byte(d), ',', '1', ',', '1'}, r.opts.MoveTimeout)
	return err
}

// Rewrite checks that a card is at the inlet, loads img, erases and prints
// it, and pushes the card out of the front slot.
func (r *Rewriter) Rewrite(ctx context.Context, img image.Image) error {
	st, err := r.Status(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.CoverOpen:
		return r.fail("rewrite", CodeCoverOpen, errors.New("cover open: close it and retry"))
	case st.Card != CardAtInlet:
		return r.fail("rewrite", CodeNoCard, fmt.Errorf("no card at the inlet (sensor %q): insert the card: %w",
			st.Card, devices.ErrNoCard))
	}
	if err := r.LoadImage(ctx, img); err != nil {
		return err
	}
	return r.ErasePrint(ctx, DischargeOut)
}
