package evolissim

import (
	"bytes"
	"strconv"
	"strings"

	"permitdesk/devices/evolis"
)

// frame is one command received from the host.
type frame struct {
	cmd    string
	params []string
	data   []byte // Db/Dbc payload
	bad    string // non-empty when the frame is malformed: the reply to send
}

// maxHeader bounds the text of a command before its CR; longer input is
// rejected as an unknown command.
const maxHeader = 512

// maxCompressed bounds a Dbc payload: two bytes a line more than the raw panel.
const maxCompressed = evolis.PanelBytes + 2*evolis.Lines

// parser splits the host's byte stream into frames. It counts binary
// payloads by their declared length instead of scanning for CR, because
// bitmap data contains 0x0D and 0x1B.
type parser struct {
	state   int
	header  []byte
	need    int // payload bytes still expected
	payload []byte
	cmd     string
	params  []string
}

const (
	stIdle    = iota // waiting for ESC; NUL and other bytes are skipped
	stHeader         // reading command text up to CR or a payload start
	stPayload        // reading a counted binary payload
	stTrailer        // expecting the CR after a payload
)

// inPayload returns how many payload bytes have arrived so far, or -1.
func (p *parser) inPayload() int {
	if p.state != stPayload {
		return -1
	}
	return len(p.payload)
}

// partial reports whether a frame has started but not ended.
func (p *parser) partial() bool { return p.state != stIdle }

func (p *parser) reset() { *p = parser{} }

// feed consumes b and returns the frames it completed.
func (p *parser) feed(b []byte, out []frame) []frame {
	for len(b) > 0 {
		switch p.state {
		case stIdle:
			i := bytes.IndexByte(b, evolis.ESC)
			if i < 0 {
				return out
			}
			b = b[i+1:]
			p.state, p.header = stHeader, p.header[:0]
		case stHeader:
			c := b[0]
			b = b[1:]
			out = p.headerByte(c, out)
		case stPayload:
			n := min(p.need, len(b))
			p.payload = append(p.payload, b[:n]...)
			p.need -= n
			b = b[n:]
			if p.need == 0 {
				p.state = stTrailer
			}
		case stTrailer:
			c := b[0]
			b = b[1:]
			f := frame{cmd: p.cmd, params: p.params, data: p.payload}
			if c != evolis.CR {
				f.bad = "ERROR PARAMETRES"
			}
			out = append(out, f)
			p.reset()
			if c == evolis.ESC {
				p.state = stHeader
			}
		}
	}
	return out
}

func (p *parser) headerByte(c byte, out []frame) []frame {
	switch {
	case c == evolis.CR:
		out = append(out, splitHeader(string(p.header)))
		p.reset()
		return out
	case c == evolis.ESC:
		// A new start character abandons the unterminated command.
		p.header = p.header[:0]
		return out
	case len(p.header) >= maxHeader:
		out = append(out, frame{bad: "ERROR CDE"})
		p.reset()
		return out
	}
	p.header = append(p.header, c)
	if c == ';' {
		p.startPayload()
	}
	return out
}

// startPayload switches to binary mode once a download header is complete:
// `Db;panel;levels;` or `Dbc;panel;levels;count;`.
func (p *parser) startPayload() {
	h := string(p.header)
	fields := strings.Split(strings.TrimSuffix(h, ";"), ";")
	switch {
	case fields[0] == "Db" && len(fields) == 3:
		if fields[2] != "2" {
			return // colour levels: no payload length known, left to the CR
		}
		p.beginPayload(fields, evolis.PanelBytes)
	case fields[0] == "Dbc" && len(fields) == 4:
		n, err := strconv.Atoi(fields[3])
		if err != nil || n < 0 || n > maxCompressed {
			return
		}
		p.beginPayload(fields, n)
	}
}

func (p *parser) beginPayload(fields []string, n int) {
	p.cmd, p.params = fields[0], fields[1:]
	p.need, p.payload = n, make([]byte, 0, n)
	p.state = stPayload
	if n == 0 {
		p.state = stTrailer
	}
}

func splitHeader(h string) frame {
	fields := strings.Split(h, ";")
	return frame{cmd: fields[0], params: fields[1:]}
}
