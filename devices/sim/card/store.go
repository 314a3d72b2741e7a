package card

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"permitdesk/devices/permitcard"
)

// store keeps card states by serial, in memory and, with a directory, as
// one JSON file per card written by rename so a crash never leaves half a
// file.
type store struct {
	dir string

	mu    sync.Mutex
	cards map[permitcard.Serial]chipState
}

func newStore(dir string) (*store, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create card state directory: %w", err)
		}
	}
	return &store{dir: dir, cards: map[permitcard.Serial]chipState{}}, nil
}

func (s *store) path(serial permitcard.Serial) string {
	return filepath.Join(s.dir, serial.String()+".json")
}

func (s *store) save(st chipState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cards[st.Serial] = st
	if s.dir == "" {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := s.path(st.Serial) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save card %s: %w", st.Serial, err)
	}
	return os.Rename(tmp, s.path(st.Serial))
}

func (s *store) load(serial permitcard.Serial) (chipState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.cards[serial]; ok {
		return st, nil
	}
	if s.dir == "" {
		return chipState{}, fmt.Errorf("card %s not found: this emulator has no --state-dir and never made it", serial)
	}
	b, err := os.ReadFile(s.path(serial))
	if errors.Is(err, os.ErrNotExist) {
		return chipState{}, fmt.Errorf("card %s not found in %s: use \"insert blank\" for a new card", serial, s.dir)
	}
	if err != nil {
		return chipState{}, fmt.Errorf("load card %s: %w", serial, err)
	}
	var st chipState
	if err := json.Unmarshal(b, &st); err != nil {
		return chipState{}, fmt.Errorf("card state file %s is corrupt: %w", s.path(serial), err)
	}
	s.cards[serial] = st
	return st, nil
}
