// Package rewritersim emulates a Star TCP300II-style rewritable-card printer
// on a pseudo-terminal. It reads `STX cmd data ETX BCC` frames, replies NAK
// to a damaged command and DLE to a command it rejects, and expects the
// host's ACK after each response; a NAK from the host gets the response
// again. It implements the seven-character status, image lines into a
// 480 x 320 buffer, erase, print, erase+print with discharge, the ROM version
// and the transport count. After each erase or print it writes the card's
// rewritable area to a PNG.
//
// Limits: character printing (41h), internal images (42h), LED control and
// the magnetic commands get DLE. Status bytes other than '0' and 51h are
// this project's own choice.
package rewritersim

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
)

// Timing is the mechanical time model.
type Timing struct {
	Erase, Print, Discharge time.Duration
}

// RealisticTiming returns times close to a rewriter's.
func RealisticTiming() Timing {
	return Timing{Erase: 1500 * time.Millisecond, Print: 1500 * time.Millisecond, Discharge: 500 * time.Millisecond}
}

// Options configures a Sim.
type Options struct {
	// Link is the path of the symbolic link to the pseudo-terminal.
	Link string
	// OutDir receives strip-NNNN.png after each erase or print; empty means
	// no files.
	OutDir string
	// Timing is the mechanical time model; the zero value is instant.
	Timing Timing
	// CardInserted starts with a card at the inlet.
	CardInserted bool
	// ROM is the ROM version text; empty means "TCP300II EMU V 1.00 E".
	ROM string
	// Logger receives commands and faults; nil discards them.
	Logger *slog.Logger
}

// Sim is a running rewriter emulator.
type Sim struct {
	opts Options
	log  *slog.Logger
	pty  *serialport.Pty
	done chan struct{}

	mu        sync.Mutex
	card      rewriter.CardSensor
	coverOpen bool
	buffer    [rewriter.ImageWidth][rewriter.ColumnBytes]byte
	strip     [rewriter.ImageWidth][rewriter.ColumnBytes]byte
	count     int
	images    []string
	nakNext   int
	badBCC    int
	hangup    chan time.Duration
}

// New creates the pseudo-terminal and the link.
func New(opts Options) (*Sim, error) {
	if opts.ROM == "" {
		opts.ROM = "TCP300II EMU V 1.00 E"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
	}
	pt, err := serialport.OpenPty(opts.Link)
	if err != nil {
		return nil, err
	}
	s := &Sim{opts: opts, log: opts.Logger.With("device", "rewriter-sim"), pty: pt, done: make(chan struct{}),
		card: rewriter.CardNone, hangup: make(chan time.Duration, 1)}
	if opts.CardInserted {
		s.card = rewriter.CardAtInlet
	}
	return s, nil
}

// Path returns the device path a driver opens.
func (s *Sim) Path() string {
	if s.opts.Link != "" {
		return s.opts.Link
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pty.SlavePath
}

// Wait blocks until Run has returned.
func (s *Sim) Wait() { <-s.done }

// Run serves the rewriter until ctx ends.
func (s *Sim) Run(ctx context.Context) error {
	defer close(s.done)
	for {
		s.mu.Lock()
		pt := s.pty
		s.mu.Unlock()
		down, err := s.serve(ctx, pt)
		if ctx.Err() != nil || err != nil {
			pt.RemoveLink()
			pt.Close()
			return err
		}
		if err := s.replug(ctx, down); err != nil {
			return err
		}
	}
}

// replug brings a new pseudo-terminal up at the link after down.
func (s *Sim) replug(ctx context.Context, down time.Duration) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(down):
	}
	pt, err := serialport.OpenPty(s.opts.Link)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.pty = pt
	s.mu.Unlock()
	return nil
}

// serve replies to frames on one pseudo-terminal. It returns after a Hangup
// with the time the line stays down, or when ctx ends.
func (s *Sim) serve(ctx context.Context, pt *serialport.Pty) (time.Duration, error) {
	in := make(chan []byte, 64)
	go func() {
		defer close(in)
		for {
			buf := make([]byte, 2048)
			n, err := pt.Master.Read(buf)
			if n > 0 {
				in <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	var pending, lastResp []byte
	resends := 0
	for {
		select {
		case <-ctx.Done():
			return 0, nil
		case down := <-s.hangup:
			s.log.Warn("fault: line hung up", "down", down)
			pt.RemoveLink()
			pt.Close()
			return down, nil
		case b, ok := <-in:
			if !ok {
				return 0, errors.New("rewriter line closed")
			}
			pending = append(pending, b...)
		}
		for len(pending) > 0 {
			switch pending[0] {
			case rewriter.ACK:
				pending, lastResp, resends = pending[1:], nil, 0
				continue
			case rewriter.NAK:
				pending = pending[1:]
				if lastResp != nil && resends < 3 {
					resends++
					pt.Master.Write(lastResp)
				}
				continue
			}
			body, n, err := rewriter.ParseFrame(pending)
			pending = pending[n:]
			if errors.Is(err, rewriter.ErrIncomplete) {
				break
			}
			if err != nil {
				s.log.Warn("damaged command, replying NAK", "error", err)
				pt.Master.Write([]byte{rewriter.NAK})
				continue
			}
			resp, good := s.handle(ctx, body)
			if good != nil {
				lastResp, resends = good, 0
			}
			if _, err := pt.Master.Write(resp); err != nil {
				return 0, err
			}
		}
	}
}

// Hangup drops the line now and brings a new pseudo-terminal up at the link
// after down, as a USB serial adapter does when it is unplugged and
// plugged back.
func (s *Sim) Hangup(down time.Duration) {
	select {
	case s.hangup <- down:
	default:
	}
}

// handle executes one command body. It returns the bytes to send and, for a
// response frame, the undamaged frame to send again after a NAK from the
// host.
func (s *Sim) handle(ctx context.Context, body []byte) (wire, good []byte) {
	s.mu.Lock()
	if s.nakNext > 0 {
		s.nakNext--
		s.mu.Unlock()
		return []byte{rewriter.NAK}, nil
	}
	s.mu.Unlock()
	if len(body) == 0 {
		return []byte{rewriter.DLE}, nil
	}
	cmd, data := body[0], body[1:]
	status, out, ok := s.execute(ctx, cmd, data)
	if !ok {
		return []byte{rewriter.DLE}, nil
	}
	good = rewriter.EncodeResponse(cmd, status, out)
	wire = append([]byte(nil), good...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.badBCC > 0 {
		s.badBCC--
		wire[len(wire)-1] ^= 0xFF
	}
	return wire, good
}

// execute returns the status and data for a command, or ok=false to reject
// it with DLE.
func (s *Sim) execute(ctx context.Context, cmd byte, data []byte) (status byte, out []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch cmd {
	case rewriter.CmdClearExpansion, rewriter.CmdClearImage:
		s.buffer = [rewriter.ImageWidth][rewriter.ColumnBytes]byte{}
		return rewriter.StatusOK, nil, len(data) == 0
	case rewriter.CmdImageLine:
		x, y, col, err := rewriter.ParseImageLine(data)
		if err != nil {
			s.log.Warn("rejected image line", "error", err)
			return 0, nil, false
		}
		copy(s.buffer[x][y:], col)
		return rewriter.StatusOK, nil, true
	case rewriter.CmdStatus:
		return rewriter.StatusOK, []byte(s.statusLocked().String()), len(data) == 0
	case rewriter.CmdROMVersion:
		return rewriter.StatusOK, []byte(s.opts.ROM), len(data) == 0
	case rewriter.CmdCount:
		return rewriter.StatusOK, []byte(strconv.Itoa(s.count)), len(data) == 0
	case rewriter.CmdErase, rewriter.CmdPrint, rewriter.CmdErasePrint:
		return s.rewriteLocked(ctx, cmd, data)
	}
	return 0, nil, false
}

func (s *Sim) statusLocked() rewriter.Status {
	return rewriter.Status{Card: s.card, CoverOpen: s.coverOpen}
}

// rewriteLocked parses the discharge, erase and print flags and runs them.
func (s *Sim) rewriteLocked(ctx context.Context, cmd byte, data []byte) (byte, []byte, bool) {
	erase, print := cmd == rewriter.CmdErase, cmd == rewriter.CmdPrint
	var discharge byte
	switch {
	case cmd == rewriter.CmdErasePrint && len(data) == 5 && data[1] == ',' && data[3] == ',':
		discharge, erase, print = data[0], data[2] == '1', data[4] == '1'
		if !validFlag(data[2]) || !validFlag(data[4]) {
			return 0, nil, false
		}
	case cmd != rewriter.CmdErasePrint && len(data) == 1:
		discharge = data[0]
	default:
		return 0, nil, false
	}
	if discharge < '0' || discharge > '2' {
		return 0, nil, false
	}
	switch {
	case s.coverOpen:
		return rewriter.StatusCoverOpen, nil, true
	case s.card != rewriter.CardAtInlet:
		return rewriter.StatusNoCard, nil, true
	}
	s.mu.Unlock()
	s.move(ctx, erase, print)
	s.mu.Lock()
	if erase {
		s.strip = [rewriter.ImageWidth][rewriter.ColumnBytes]byte{}
	}
	if print {
		for x := range s.buffer {
			for y := range s.buffer[x] {
				s.strip[x][y] |= s.buffer[x][y]
			}
		}
	}
	s.count++
	s.saveLocked()
	switch discharge {
	case '1':
		s.card = rewriter.CardWaiting
	case '2':
		s.card = rewriter.CardNone
	}
	return rewriter.StatusOK, nil, true
}

func validFlag(c byte) bool { return c == '0' || c == '1' }

func (s *Sim) move(ctx context.Context, erase, print bool) {
	d := s.opts.Timing.Discharge
	if erase {
		d += s.opts.Timing.Erase
	}
	if print {
		d += s.opts.Timing.Print
	}
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Image returns the card's rewritable area as it is now.
func (s *Sim) Image() *image.Gray {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imageLocked()
}

func (s *Sim) imageLocked() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, rewriter.ImageWidth, rewriter.ImageHeight))
	for x := 0; x < rewriter.ImageWidth; x++ {
		for y := 0; y < rewriter.ImageHeight; y++ {
			v := uint8(0xFF)
			if s.strip[x][y/8]&(0x80>>(y%8)) != 0 {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}

func (s *Sim) saveLocked() {
	if s.opts.OutDir == "" {
		return
	}
	path := filepath.Join(s.opts.OutDir, fmt.Sprintf("strip-%04d.png", s.count))
	f, err := os.Create(path)
	if err == nil {
		err = png.Encode(f, s.imageLocked())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.log.Error("write strip image", "path", path, "error", err)
		return
	}
	s.images = append(s.images, path)
}

// Images returns the PNG files written so far.
func (s *Sim) Images() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.images...)
}

// InsertCard puts a card at the inlet.
func (s *Sim) InsertCard() { s.mu.Lock(); s.card = rewriter.CardAtInlet; s.mu.Unlock() }

// RemoveCard takes the card away.
func (s *Sim) RemoveCard() { s.mu.Lock(); s.card = rewriter.CardNone; s.mu.Unlock() }

// SetCoverOpen opens or closes the cover.
func (s *Sim) SetCoverOpen(open bool) { s.mu.Lock(); s.coverOpen = open; s.mu.Unlock() }

// NakNext replies NAK to the next n commands, as after line noise.
func (s *Sim) NakNext(n int) { s.mu.Lock(); s.nakNext = n; s.mu.Unlock() }

// CorruptNext sends the next n responses with a wrong BCC.
func (s *Sim) CorruptNext(n int) { s.mu.Lock(); s.badBCC = n; s.mu.Unlock() }
