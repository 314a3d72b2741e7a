package card

import "time"

// Rate is an ISO/IEC 14443 bit rate in bit/s.
type Rate int

// Bit rates of ISO/IEC 14443-2 used for estimates.
const (
	Rate106 Rate = 105_938 // fc/128
	Rate424 Rate = 423_750 // fc/32
)

// Frame model constants (ISO/IEC 14443-3 and -4, Type A).
const (
	// blockOverhead is PCB plus a 2-byte CRC_A per I-block or R-block.
	blockOverhead = 3
	// maxINF is the data per I-block with FSD = FSC = 256 (FSCI 8).
	maxINF = 256 - blockOverhead
	// bitsPerByte counts the odd-parity bit Type A adds to every byte.
	bitsPerByte = 9
	// frameBits adds the start and end of frame.
	frameBits = 2
	// turnaround is the frame delay time between frames in either
	// direction, 1172/fc, about 86 us.
	turnaround = 86_430 * time.Nanosecond
)

// AirTime estimates the time one command-response pair takes on the air
// with ISO/IEC 14443-4 block chaining at rate: every I-block and the R(ACK)
// blocks that chaining needs, their framing bits and one frame delay per
// frame. It is an estimate of transport time only: the card's own
// processing (EEPROM writes take milliseconds per page on real chips) and
// the reader's USB latency are not included.
func AirTime(cmdLen, rspLen int, rate Rate) time.Duration {
	bits := 0
	frames := 0
	for _, n := range []int{cmdLen, rspLen} {
		blocks := max(1, (n+maxINF-1)/maxINF)
		bits += (n + blocks*blockOverhead) * bitsPerByte
		acks := blocks - 1 // each chained block is acknowledged
		bits += acks * blockOverhead * bitsPerByte
		frames += blocks + acks
	}
	bits += frames * frameBits
	return time.Duration(bits)*time.Second/time.Duration(rate) + time.Duration(frames)*turnaround
}
