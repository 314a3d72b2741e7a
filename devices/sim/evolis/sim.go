// Package evolissim emulates an Evolis-style card printer on a
// pseudo-terminal, so the evolis driver runs over a real tty through
// go.bug.st/serial. It implements the escape-command framing of the Evolis
// "Printers Programming Guide" A5013 Rev E strictly: counted Db/Dbc
// payloads, ERROR CDE for unknown commands, ERROR PARAMETRES for bad
// parameters, and ACK/NACK replies when error mode bit 4 is set.
//
// The emulator keeps the printer's state (card position, sequence, error
// mode, counters, feeder, ribbon, cover), takes mechanical time per move
// (Timing), writes each printed side to a PNG, and notifies a card emulator when
// a card reaches or leaves the contactless station. Faults are injected with
// the methods on Sim or the control socket (see Control).
//
// Limits: only 2-level K and O panels are accepted; colour downloads,
// magnetic encoding and the Write (W...) family answer ERROR CDE. The eject
// behaviour of Se outside a sequence and the "ERR BUSY" text are this
// emulator's choices, not documented printer behaviour.
package evolissim

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
)

// Timing is the mechanical time model: how long each move takes.
type Timing struct {
	Feed       time.Duration // feeder to the print head
	Station    time.Duration // print head to the contactless station or back
	PrintPanel time.Duration // one monochrome panel
	Eject      time.Duration // to the output hopper or the reject box
}

// RealisticTiming returns times close to a desktop card printer's.
func RealisticTiming() Timing {
	return Timing{Feed: 1200 * time.Millisecond, Station: 600 * time.Millisecond,
		PrintPanel: 4 * time.Second, Eject: 900 * time.Millisecond}
}

// Options configures a Sim.
type Options struct {
	// Link is the path of the symbolic link to the pseudo-terminal; empty
	// means none (use Sim.Path).
	Link string
	// OutDir receives card-NNNN-front.png and card-NNNN-back.png for each
	// printed card; empty means no files.
	OutDir string
	// Timing is the mechanical time model; the zero value moves instantly.
	Timing Timing
	// Model, Serial and Firmware are what Rtp, Rsn and Rfv return; empty
	// means "Evolis Primacy", "EMU00001" and "1.0.0".
	Model, Serial, Firmware string
	// Cards is the number of blank cards in the feeder; 0 means 100.
	Cards int
	// Ribbon is the number of panels left on the ribbon; 0 means 1000.
	Ribbon int
	// Slot is notified when a card reaches or leaves the contactless station;
	// nil means no card emulator.
	Slot CardSlot
	// Transcript receives one line per command and reply; nil means none.
	Transcript io.Writer
	// WireBaud paces reading to this line speed (10 bits a byte); 0 reads as
	// fast as the pseudo-terminal delivers.
	WireBaud int
	// FrameIdle drops an unfinished command after this silence; 0 means 2s.
	FrameIdle time.Duration
	// Logger receives commands and faults; nil discards them.
	Logger *slog.Logger
}

// Sim is a running printer emulator.
type Sim struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	st     state
	faults faults
	pty    *serialport.Pty
	done   chan struct{}
	hangup chan time.Duration // Hangup requests
}

// Printed is a card the emulator printed.
type Printed struct {
	Number      int
	Front, Back []byte // 2-level panels, nil when the side was not printed
	Files       []string
}

// New creates the pseudo-terminal and the link. Call Run to serve it.
func New(opts Options) (*Sim, error) {
	if opts.Model == "" {
		opts.Model = "Evolis Primacy"
	}
	if opts.Serial == "" {
		opts.Serial = "EMU00001"
	}
	if opts.Firmware == "" {
		opts.Firmware = "1.0.0"
	}
	if opts.Cards == 0 {
		opts.Cards = 100
	}
	if opts.Ribbon == 0 {
		opts.Ribbon = 1000
	}
	if opts.FrameIdle == 0 {
		opts.FrameIdle = 2 * time.Second
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
	s := &Sim{opts: opts, log: opts.Logger.With("device", "printer-sim"), pty: pt,
		done: make(chan struct{}), hangup: make(chan time.Duration, 1)}
	s.st = newState(opts.Cards, opts.Ribbon)
	return s, nil
}

// Path returns the device path a driver opens: the link when one was made,
// otherwise the pseudo-terminal itself.
func (s *Sim) Path() string {
	if s.opts.Link != "" {
		return s.opts.Link
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pty.SlavePath
}

// Run serves the printer until ctx ends, then closes the pseudo-terminal.
func (s *Sim) Run(ctx context.Context) error {
	defer close(s.done)
	for {
		err := s.serve(ctx)
		if ctx.Err() != nil {
			s.mu.Lock()
			s.pty.Close()
			s.pty.RemoveLink()
			s.mu.Unlock()
			return nil
		}
		var dc *disconnect
		if !errors.As(err, &dc) {
			return err
		}
		if err := s.reconnectAfter(ctx, dc.down); err != nil {
			return err
		}
	}
}

// disconnect ends one pseudo-terminal session: the line is dropped for down
// and then a new pseudo-terminal takes over the link.
type disconnect struct{ down time.Duration }

func (d *disconnect) Error() string { return "line disconnected" }

func (s *Sim) reconnectAfter(ctx context.Context, down time.Duration) error {
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
	s.log.Info("line reconnected", "path", pt.SlavePath)
	return nil
}

// serve reads frames from the current pseudo-terminal and replies to them.
func (s *Sim) serve(ctx context.Context) error {
	s.mu.Lock()
	pt := s.pty
	s.mu.Unlock()
	chunks := make(chan []byte, 64)
	go readLoop(pt, chunks)
	stop := context.AfterFunc(ctx, func() { pt.Master.SetReadDeadline(time.Now()) })
	defer stop()

	var p parser
	var frames []frame
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	pace := newPacer(s.opts.WireBaud)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case down := <-s.hangup:
			s.log.Warn("fault: line hung up", "down", down)
			unplug(pt)
			return &disconnect{down: down}
		case <-idle.C:
			if p.partial() {
				s.log.Warn("dropped unfinished command after silence", "idle", s.opts.FrameIdle)
				p.reset()
			}
			continue
		case b, ok := <-chunks:
			if !ok {
				return fmt.Errorf("printer line closed")
			}
			pace.wait(len(b))
			if dc := s.checkDisconnect(&p, b); dc != nil {
				unplug(pt)
				return dc
			}
			frames = p.feed(b, frames[:0])
			for _, f := range frames {
				if err := s.answer(ctx, pt, f); err != nil {
					return err
				}
			}
			idle.Reset(s.opts.FrameIdle)
		}
	}
}

// unplug removes the link and closes the pseudo-terminal, as a USB serial
// adapter's /dev/serial/by-id link disappears when it is unplugged. Without
// this, a driver could reopen the old slave path after the kernel gave it to
// another pseudo-terminal.
func unplug(pt *serialport.Pty) {
	pt.RemoveLink()
	pt.Close()
}

func readLoop(pt *serialport.Pty, out chan<- []byte) {
	defer close(out)
	for {
		buf := make([]byte, 4096)
		n, err := pt.Master.Read(buf)
		if n > 0 {
			out <- buf[:n]
		}
		if err != nil {
			return
		}
	}
}

// checkDisconnect drops the line when an injected disconnect's byte count is
// reached inside a download payload.
func (s *Sim) checkDisconnect(p *parser, b []byte) *disconnect {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.faults.disconnectAfter
	if d == 0 {
		return nil
	}
	got := p.inPayload()
	if got < 0 && !(p.state == stHeader && len(b) > 0) {
		return nil
	}
	if max(got, 0)+len(b) < d {
		return nil
	}
	s.faults.disconnectAfter = 0
	s.st.abortSequence()
	s.log.Warn("fault: line dropped during download", "after_bytes", d)
	return &disconnect{down: s.faults.disconnectDown}
}

// answer executes one frame and writes its reply.
func (s *Sim) answer(ctx context.Context, pt *serialport.Pty, f frame) error {
	s.record(f)
	rep := s.handle(ctx, f)
	s.mu.Lock()
	ack := s.st.ackMode
	late := s.faults.takeLate(f.cmd)
	short := s.faults.shortWrites
	if rep.after != nil {
		rep.after()
	}
	s.mu.Unlock()
	wire := rep.bytes(ack)
	if late > 0 {
		s.log.Info("fault: late reply", "cmd", f.cmd, "delay", late)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(late):
		}
	}
	s.transcriptLine("< " + printable(wire))
	return writeReply(pt.Master, wire, short)
}

func writeReply(w io.Writer, b []byte, short bool) error {
	if !short {
		_, err := w.Write(b)
		return err
	}
	for i := range b {
		if _, err := w.Write(b[i : i+1]); err != nil {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

func (s *Sim) record(f frame) {
	if s.opts.Transcript == nil {
		return
	}
	line := "> " + f.cmd
	for _, p := range f.params {
		line += ";" + printable([]byte(p))
	}
	if f.data != nil {
		sum := sha256.Sum256(f.data)
		line += fmt.Sprintf(";<%d bytes sha256:%x>", len(f.data), sum[:8])
	}
	if f.bad != "" {
		line += " (malformed)"
	}
	s.transcriptLine(line)
}

func (s *Sim) transcriptLine(line string) {
	if s.opts.Transcript == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.opts.Transcript, line)
}

func printable(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == evolis.CR:
			sb.WriteString("<CR>")
		case c == evolis.ACK:
			sb.WriteString("<ACK>")
		case c == evolis.NACK:
			sb.WriteString("<NACK>")
		case c < 0x20 || c > 0x7E:
			fmt.Fprintf(&sb, "<%02X>", c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// sleep waits for a mechanical move; it returns early when ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// pacer holds reads back to a line speed.
type pacer struct {
	baud  int
	start time.Time
	bytes int
}

func newPacer(baud int) *pacer { return &pacer{baud: baud} }

func (p *pacer) wait(n int) {
	if p.baud <= 0 {
		return
	}
	now := time.Now()
	if p.bytes == 0 || now.Sub(p.start) > time.Second {
		p.start, p.bytes = now, 0
	}
	p.bytes += n
	due := p.start.Add(time.Duration(p.bytes) * 10 * time.Second / time.Duration(p.baud))
	time.Sleep(time.Until(due))
}

// writePNGs saves the printed sides of card n.
func (s *Sim) writePNGs(n int, front, back []byte) []string {
	if s.opts.OutDir == "" {
		return nil
	}
	var files []string
	for _, side := range []struct {
		name  string
		panel []byte
	}{{"front", front}, {"back", back}} {
		if side.panel == nil {
			continue
		}
		path := filepath.Join(s.opts.OutDir, fmt.Sprintf("card-%04d-%s.png", n, side.name))
		if err := writePanelPNG(path, side.panel); err != nil {
			s.log.Error("write printed card image", "path", path, "error", err)
			continue
		}
		files = append(files, path)
	}
	return files
}

func writePanelPNG(path string, panel []byte) error {
	img, err := evolis.UnpackPanel(panel)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Wait blocks until Run has returned; stop Run by cancelling its context.
func (s *Sim) Wait() { <-s.done }
