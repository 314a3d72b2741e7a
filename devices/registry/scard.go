package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebfe/scard"
)

// SCard lists PC/SC readers through github.com/ebfe/scard, keeping one
// context. After pcscd restarts, every call on the old context fails with
// SCARD_E_NO_SERVICE while SCardIsValidContext may still succeed, so the
// context is dropped on that error and established again on the next call.
type SCard struct {
	mu  sync.Mutex
	ctx *scard.Context
}

// List returns the reader names; no readers is an empty list, not an error.
func (s *SCard) List(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		c, err := scard.EstablishContext()
		if err != nil {
			return nil, fmt.Errorf("connect to pcscd: %w: start pcscd or check that it is installed", err)
		}
		s.ctx = c
	}
	names, err := s.ctx.ListReaders()
	switch {
	case errors.Is(err, scard.ErrNoReadersAvailable):
		return nil, nil
	case errors.Is(err, scard.ErrNoService), errors.Is(err, scard.ErrServiceStopped),
		errors.Is(err, scard.ErrInvalidHandle):
		s.ctx.Release()
		s.ctx = nil
		return nil, fmt.Errorf("list PC/SC readers: %w: pcscd stopped", err)
	case err != nil:
		return nil, fmt.Errorf("list PC/SC readers: %w", err)
	}
	return names, nil
}

// Close releases the context.
func (s *SCard) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil
	}
	err := s.ctx.Release()
	s.ctx = nil
	return err
}
