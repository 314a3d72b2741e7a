package keys

import (
	"context"
	"fmt"
	"sync"

	"permitdesk/devices/apdu"
)

// PSAM application identifier and key index. The PSAM command set below is
// defined by permitdesk after the usual PBOC PSAM pattern (diversify, then
// cipher); a vendor PSAM needs its own mapping.
//
//	SELECT          00 A4 04 00 06 F0 50 53 41 4D 01          -> 9000
//	DIVERSIFY INIT  80 1A 00 KI 08 <factor, 8 bytes>          -> 9000
//	CIPHER          80 FA 00 00 08 <challenge, 8 bytes> 08    -> <8 bytes> 9000
//
// KI is the master-key index (01: card external-authentication master key).
// DIVERSIFY INIT derives the card key inside the PSAM and keeps it for the
// next CIPHER, which encrypts one block with it in 3DES-EDE ECB. CIPHER with
// no preceding DIVERSIFY INIT returns 6985; an unknown KI returns 6A88. The
// master key never leaves the PSAM.
var PSAMAID = []byte{0xF0, 0x50, 0x53, 0x41, 0x4D, 0x01}

// PSAMKeyIndexCardAuth is the KI of the card external-authentication
// master key.
const PSAMKeyIndexCardAuth byte = 0x01

// PSAMDiversifyInit builds DIVERSIFY INIT.
func PSAMDiversifyInit(keyIndex byte, factor []byte) apdu.Command {
	return apdu.Command{CLA: apdu.ClaProprietary, INS: apdu.InsPSAMDiversify, P2: keyIndex, Data: factor}
}

// PSAMCipher builds CIPHER for one 8-byte block.
func PSAMCipher(block []byte) apdu.Command {
	return apdu.Command{CLA: apdu.ClaProprietary, INS: apdu.InsPSAMCipher, Data: block, Ne: 8}
}

// PSAMOptions configure NewPSAM.
type PSAMOptions struct {
	// Card is the connected PSAM. Required.
	Card apdu.Transmitter
	// KeyIndex is the master-key index; default PSAMKeyIndexCardAuth.
	KeyIndex byte
	// Close is called by PSAM.Close, e.g. to disconnect the reader; optional.
	Close func() error
}

// PSAM is a Provider whose master key stays in a key card.
type PSAM struct {
	mu   sync.Mutex
	x    *apdu.Exchanger
	opts PSAMOptions
}

// NewPSAM selects the PSAM application and returns the provider.
func NewPSAM(ctx context.Context, opts PSAMOptions) (*PSAM, error) {
	if opts.Card == nil {
		return nil, fmt.Errorf("%w: no PSAM card connection", ErrKeySource)
	}
	if opts.KeyIndex == 0 {
		opts.KeyIndex = PSAMKeyIndexCardAuth
	}
	p := &PSAM{x: apdu.NewExchanger(opts.Card, apdu.ExchangeOptions{}), opts: opts}
	if _, err := p.x.Run(ctx, apdu.SelectAID(PSAMAID, apdu.SelectNoData)); err != nil {
		return nil, fmt.Errorf("%w: select PSAM application %X: %w (is the key card in the PSAM reader?)",
			ErrKeySource, PSAMAID, err)
	}
	return p, nil
}

// Cryptogram asks the PSAM to diversify its master key by factor and
// encrypt challenge.
func (p *PSAM) Cryptogram(ctx context.Context, factor, challenge []byte) ([]byte, error) {
	if len(factor) != FactorSize || len(challenge) != ChallengeSize {
		return nil, fmt.Errorf("PSAM cryptogram: factor %d and challenge %d bytes, want %d and %d",
			len(factor), len(challenge), FactorSize, ChallengeSize)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.x.Run(ctx, PSAMDiversifyInit(p.opts.KeyIndex, factor)); err != nil {
		return nil, fmt.Errorf("%w: PSAM diversify: %w", ErrKeySource, err)
	}
	out, err := p.x.Run(ctx, PSAMCipher(challenge))
	if err != nil {
		return nil, fmt.Errorf("%w: PSAM cipher: %w", ErrKeySource, err)
	}
	if len(out) != CryptogramSize {
		return nil, fmt.Errorf("%w: PSAM returned a %d-byte cryptogram, want %d",
			ErrKeySource, len(out), CryptogramSize)
	}
	return out, nil
}

// Close releases the PSAM connection through PSAMOptions.Close.
func (p *PSAM) Close() error {
	if p.opts.Close != nil {
		return p.opts.Close()
	}
	return nil
}
