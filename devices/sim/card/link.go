package card

import (
	"context"
)

// Run serves the emulated reader slot through vpcd until ctx ends.
func (e *Emulator) Run(ctx context.Context) error {
	return RunLink(ctx, e.opts.Addr, e.log, e.nextLink)
}

func (e *Emulator) nextLink(ctx context.Context) (Link, error) {
	c, gen, err := e.waitPresent(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	done := e.changed
	e.mu.Unlock()
	if !e.current(gen) {
		done = closedChan()
	}
	return &emuLink{e: e, c: c, gen: gen, done: done}, nil
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// emuLink is one insertion of a card.
type emuLink struct {
	e    *Emulator
	c    *chip
	gen  int
	done <-chan struct{}
}

func (l *emuLink) ATR() []byte { return l.c.atr() }
func (l *emuLink) Reset() {
	l.c.reset()
	l.e.mu.Lock()
	l.e.stats.Resets++
	l.e.mu.Unlock()
}
func (l *emuLink) Exchange(cmd []byte) ([]byte, error) { return l.e.exchange(l.gen, cmd) }
func (l *emuLink) Done() <-chan struct{}               { return l.done }
