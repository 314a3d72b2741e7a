package idreader

import (
	"errors"
	"fmt"

	"permitdesk/devices/ga467"
)

// HID framing. GA 467 defines UART and USB bulk transports only, and no
// public specification maps its frames onto HID reports, so permitdesk
// defines this scheme and its reader emulator implements it. Each report is
// 64 bytes, unnumbered (written with report ID 0x00):
//
//	byte 0      bit 7: more reports of the same frame follow.
//	            Bits 6-0: sequence number of the report within the frame,
//	            0 for the first, counting up and wrapping from 127 to 0.
//	byte 1      payload byte count, 1 to 62.
//	bytes 2-63  payload, zero-padded.
//
// A message is one whole GA 467 frame, preamble to checksum, in either
// direction. The receiver drops a frame whose reports arrive out of
// sequence, and the host then resends the command.
const (
	ReportSize     = 64
	ReportPayload  = ReportSize - 2
	flagMore       = 0x80
	seqMask        = 0x7F
	maxFrameLength = ga467.HeaderLen + ga467.MaxLen
)

// ErrReassembly means HID reports did not form a frame.
var ErrReassembly = errors.New("HID report sequence broken")

// Chunk splits a frame into 64-byte HID reports (without the report ID).
func Chunk(frame []byte) [][]byte {
	var out [][]byte
	for seq := 0; len(frame) > 0; seq++ {
		n := min(len(frame), ReportPayload)
		r := make([]byte, ReportSize)
		r[0] = byte(seq) & seqMask
		if n < len(frame) {
			r[0] |= flagMore
		}
		r[1] = byte(n)
		copy(r[2:], frame[:n])
		out = append(out, r)
		frame = frame[n:]
	}
	return out
}

// Reassembler collects HID reports into frames. The zero value is ready.
type Reassembler struct {
	buf  []byte
	next byte
}

// Add takes one input report. It returns the frame when the report was the
// last of one. On a broken sequence it drops the partial frame and returns
// an error wrapping ErrReassembly, and the next report with sequence 0
// starts a new frame.
func (r *Reassembler) Add(report []byte) ([]byte, error) {
	if len(report) < 2 {
		return nil, r.fail("report of %d bytes is shorter than its 2-byte header", len(report))
	}
	seq, n := report[0]&seqMask, int(report[1])
	if seq != r.next {
		return nil, r.fail("report sequence %d, want %d", seq, r.next)
	}
	if n < 1 || n > ReportPayload || 2+n > len(report) {
		return nil, r.fail("payload count %d in a %d-byte report, want 1 to %d", n, len(report), ReportPayload)
	}
	if len(r.buf)+n > maxFrameLength {
		return nil, r.fail("frame exceeds %d bytes", maxFrameLength)
	}
	r.buf = append(r.buf, report[2:2+n]...)
	r.next = (seq + 1) & seqMask
	if report[0]&flagMore != 0 {
		return nil, nil
	}
	frame := r.buf
	r.Reset()
	return frame, nil
}

// Pending reports whether a frame is partly received.
func (r *Reassembler) Pending() bool { return len(r.buf) > 0 }

// Reset drops a partial frame.
func (r *Reassembler) Reset() {
	r.buf, r.next = nil, 0
}

func (r *Reassembler) fail(format string, args ...any) error {
	got := len(r.buf)
	r.Reset()
	return fmt.Errorf("%w: %s (after %d frame bytes)", ErrReassembly, fmt.Sprintf(format, args...), got)
}
