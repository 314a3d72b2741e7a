package apdu

import (
	"context"
	"fmt"
)

// Transmitter sends one raw command APDU and returns the raw response. It
// does no T=0 recovery; Exchange adds that.
type Transmitter interface {
	Transmit(ctx context.Context, cmd []byte) ([]byte, error)
}

// ExchangeOptions tune Exchange.
type ExchangeOptions struct {
	// Extended allows extended-length encoding. Default false: short only.
	Extended bool
	// MaxResponses caps the GET RESPONSE and 6Cxx repeats for one command.
	// Default 64, enough for 16 KB in 256-byte pieces.
	MaxResponses int
}

// Counter counts what crossed the link, for benchmarks.
type Counter struct {
	APDUs     int // command APDUs sent, including GET RESPONSE and repeats
	BytesSent int // command bytes
	BytesRecv int // response bytes including status words
}

// Exchanger sends commands through a Transmitter and applies the T=0 rules.
type Exchanger struct {
	tx    Transmitter
	opts  ExchangeOptions
	Count Counter
}

// NewExchanger wraps tx.
func NewExchanger(tx Transmitter, opts ExchangeOptions) *Exchanger {
	if opts.MaxResponses <= 0 {
		opts.MaxResponses = 64
	}
	return &Exchanger{tx: tx, opts: opts}
}

// Extended reports whether extended-length APDUs are allowed.
func (x *Exchanger) Extended() bool { return x.opts.Extended }

// Exchange sends c and returns the final response with all GET RESPONSE data
// joined. It handles 61xx with GET RESPONSE and 6Cxx by repeating c with
// Le = xx. A status other than 9000 is returned in the Response, not as an
// error; the error is for transport failures and malformed responses.
func (x *Exchanger) Exchange(ctx context.Context, c Command) (Response, error) {
	var data []byte
	cmd := c
	for i := 0; ; i++ {
		if i > x.opts.MaxResponses {
			return Response{}, fmt.Errorf("%s: card kept answering 61xx or 6Cxx after %d repeats: "+
				"the card or reader is faulty", c.Name(), x.opts.MaxResponses)
		}
		r, err := x.send(ctx, cmd)
		if err != nil {
			return Response{}, err
		}
		switch r.SW.SW1() {
		case 0x61:
			data = append(data, r.Data...)
			cmd = Command{CLA: c.CLA & 0x03, INS: InsGetResponse, Ne: neShort(r.SW.SW2())}
			continue
		case 0x6C:
			if cmd.INS == InsGetResponse {
				cmd.Ne = neShort(r.SW.SW2())
			} else {
				cmd = c
				cmd.Ne = neShort(r.SW.SW2())
			}
			continue
		}
		r.Data = append(data, r.Data...)
		return r, nil
	}
}

// Run sends c and turns a status other than 9000 into a *StatusError.
func (x *Exchanger) Run(ctx context.Context, c Command) ([]byte, error) {
	r, err := x.Exchange(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := r.Err(c); err != nil {
		return r.Data, err
	}
	return r.Data, nil
}

func (x *Exchanger) send(ctx context.Context, c Command) (Response, error) {
	b, err := c.Bytes(x.opts.Extended)
	if err != nil {
		return Response{}, err
	}
	raw, err := x.tx.Transmit(ctx, b)
	x.Count.APDUs++
	x.Count.BytesSent += len(b)
	x.Count.BytesRecv += len(raw)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", c.Name(), err)
	}
	r, err := ParseResponse(raw)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", c.Name(), err)
	}
	return r, nil
}

// Card is a connected card as the encoding service uses it. The PC/SC
// driver and the in-process card emulator both implement it.
type Card interface {
	Transmitter
	// ATR returns the answer to reset.
	ATR() []byte
	// Begin and End bracket commands that no other application may
	// interleave with.
	Begin(ctx context.Context) error
	End() error
	// Reconnect re-establishes the link after ErrCardReset.
	Reconnect(ctx context.Context) error
	// Close disconnects and leaves the card powered.
	Close() error
}

// CardReader waits for a card and connects to it.
type CardReader interface {
	// ConnectCard blocks until a card is present, then connects. It fails
	// with an error wrapping devices.ErrTimeout when ctx ends first.
	ConnectCard(ctx context.Context) (Card, error)
	// Name returns the reader name for messages.
	Name() string
}
