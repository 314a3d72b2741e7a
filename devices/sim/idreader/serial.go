package idreadersim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"

	"permitdesk/devices/ga467"
	"permitdesk/devices/serialport"
)

// Serial serves an Emulator on a pseudo-terminal.
type Serial struct {
	emu  *Emulator
	pty  *serialport.Pty
	log  *slog.Logger
	once sync.Once
}

// NewSerial creates a pseudo-terminal with a symbolic link at link (none when
// empty). Call Run to serve commands on it.
func NewSerial(emu *Emulator, link string, log *slog.Logger) (*Serial, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pt, err := serialport.OpenPty(link)
	if err != nil {
		return nil, err
	}
	return &Serial{emu: emu, pty: pt, log: log}, nil
}

// Path returns the pseudo-terminal's device path, for drivers to open.
func (s *Serial) Path() string { return s.pty.SlavePath }

// Run responds to frames until ctx ends, Close is called or the terminal
// fails, then closes the terminal and removes the link.
func (s *Serial) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.Close()
	fr := ga467.NewFrameReader(s.pty.Master)
	for {
		frame, err := fr.ReadFrame()
		var fe *ga467.FrameError
		if err != nil && !errors.As(err, &fe) {
			if ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		resp := s.emu.Handle(frame, err)
		out := Damage(resp.Frame, resp.Fault)
		if len(out) == 0 {
			continue
		}
		if _, err := s.pty.Master.Write(out); err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
	}
}

// Close closes the pseudo-terminal and removes the link. A driver holding
// the port open gets a hang-up, as when a USB adapter is unplugged.
func (s *Serial) Close() error {
	var err error
	s.once.Do(func() {
		err = s.pty.Close()
		if rerr := s.pty.RemoveLink(); err == nil {
			err = rerr
		}
	})
	return err
}
