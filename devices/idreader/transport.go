package idreader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/ga467"
	"permitdesk/devices/hidio"
	"permitdesk/devices/serialport"
)

// Transport carries one GA 467 command frame to the reader and returns the
// next whole response frame. Exchange returns devices.ErrTimeout when no
// whole frame arrives in time, a *ga467.FrameError for a malformed one, and
// wraps devices.ErrNotConnected when the link is gone.
type Transport interface {
	Exchange(ctx context.Context, command []byte, timeout time.Duration) ([]byte, error)
	Close() error
}

// pollSlice bounds each blocking read so that a cancelled context is noticed.
const pollSlice = 100 * time.Millisecond

// SerialTransport is the UART transport: frames are written and read as is.
type SerialTransport struct {
	conn serialport.Conn
	fr   *ga467.FrameReader
	dr   *deadlineReader
}

// NewSerialTransport wraps an open port.
func NewSerialTransport(conn serialport.Conn) *SerialTransport {
	dr := &deadlineReader{conn: conn}
	return &SerialTransport{conn: conn, fr: ga467.NewFrameReader(dr), dr: dr}
}

// Exchange drops stale input, writes the command and reads one frame.
func (s *SerialTransport) Exchange(ctx context.Context, command []byte, timeout time.Duration) ([]byte, error) {
	if err := s.conn.ResetInputBuffer(); err != nil {
		return nil, fmt.Errorf("reset input: %w: %w", err, devices.ErrNotConnected)
	}
	s.fr.Reset(s.dr)
	if _, err := serialport.WriteFull(s.conn, command); err != nil {
		return nil, err
	}
	s.dr.ctx, s.dr.deadline, s.dr.got = ctx, time.Now().Add(timeout), s.dr.got[:0]
	frame, err := s.fr.ReadFrame()
	if errors.Is(err, devices.ErrTimeout) && len(s.dr.got) > 0 {
		return nil, &ga467.FrameError{Err: ga467.ErrTruncated, Frame: bytes.Clone(s.dr.got),
			Msg: fmt.Sprintf("only %d bytes arrived within %s", len(s.dr.got), timeout)}
	}
	return frame, err
}

// Close closes the port.
func (s *SerialTransport) Close() error { return s.conn.Close() }

// deadlineReader keeps reading through the port's short timeouts until the
// exchange's deadline, so a slow 1295-byte response is not cut short, and
// keeps the bytes received for error messages.
type deadlineReader struct {
	conn     serialport.Conn
	ctx      context.Context
	deadline time.Time
	got      []byte // bytes received in this exchange
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	for {
		if err := d.ctx.Err(); err != nil {
			return 0, err
		}
		left := time.Until(d.deadline)
		if left <= 0 {
			return 0, devices.ErrTimeout
		}
		n, err := serialport.ReadSome(d.conn, p, min(left, pollSlice))
		if errors.Is(err, devices.ErrTimeout) {
			continue
		}
		d.got = append(d.got, p[:n]...)
		return n, err
	}
}

// HIDTransport carries frames in 64-byte HID reports by the scheme described
// at Chunk.
type HIDTransport struct {
	dev   hidio.Device
	re    Reassembler
	dirty bool // the last exchange failed, so stale reports may be queued
}

// NewHIDTransport wraps an open HID device.
func NewHIDTransport(dev hidio.Device) *HIDTransport { return &HIDTransport{dev: dev} }

// Exchange writes the command's reports and reassembles the response.
func (h *HIDTransport) Exchange(ctx context.Context, command []byte, timeout time.Duration) ([]byte, error) {
	if h.dirty {
		h.drain()
	}
	frame, err := h.exchange(ctx, command, timeout)
	h.dirty = err != nil
	return frame, err
}

func (h *HIDTransport) exchange(ctx context.Context, command []byte, timeout time.Duration) ([]byte, error) {
	for _, r := range Chunk(command) {
		if err := h.dev.Write(append([]byte{0x00}, r...)); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, ReportSize)
	for {
		frame, err := h.readReport(ctx, buf, deadline)
		if err != nil || frame != nil {
			return frame, err
		}
	}
}

func (h *HIDTransport) readReport(ctx context.Context, buf []byte, deadline time.Time) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	left := time.Until(deadline)
	if left <= 0 {
		h.re.Reset()
		return nil, devices.ErrTimeout
	}
	n, err := h.dev.Read(buf, min(left, pollSlice))
	if errors.Is(err, devices.ErrTimeout) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	frame, err := h.re.Add(buf[:n])
	if err != nil {
		return nil, err
	}
	if frame == nil {
		return nil, nil
	}
	if _, err := ga467.Split(frame); err != nil {
		return nil, err
	}
	return frame, nil
}

// drain drops input reports left over from a failed exchange: it reads
// until the device has been silent for 20ms.
func (h *HIDTransport) drain() {
	h.re.Reset()
	buf := make([]byte, ReportSize)
	for range 256 {
		if _, err := h.dev.Read(buf, 20*time.Millisecond); err != nil {
			return
		}
	}
}

// Close closes the device.
func (h *HIDTransport) Close() error { return h.dev.Close() }

var _ io.Reader = (*deadlineReader)(nil)
