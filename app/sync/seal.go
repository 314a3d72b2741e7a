package sync

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"permitdesk/app/store"
	"permitdesk/central/api"
	"permitdesk/devices/permitcard"
)

// ErrNoSealKeys means no issuance-seal key is trusted yet: none is pinned,
// none is cached, and the central system could not be asked.
var ErrNoSealKeys = errors.New("no trusted issuance-seal key")

// ErrNoSeal means a cached application came from the central system
// without an issuance seal.
var ErrNoSeal = errors.New("application has no issuance seal")

// TrustedSealKeys returns the issuance-seal public keys by key ID. With
// Options.SealKeyFile set it returns only that pinned key. Otherwise it
// returns the keys cached by the last pull and, when none is cached and a
// client is configured, fetches them first. It returns ErrNoSealKeys,
// wrapped, when no key is trusted.
func (s *Service) TrustedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	if s.o.SealKeyFile != "" {
		return PinnedSealKey(s.o.SealKeyFile)
	}
	keys, err := s.cachedSealKeys(ctx)
	if err != nil || len(keys) > 0 {
		return keys, err
	}
	if s.o.Client != nil {
		if _, err := s.pullSealKeys(ctx); err != nil {
			return nil, fmt.Errorf("%w: none cached and fetching them failed: %w", ErrNoSealKeys, err)
		}
		if keys, err = s.cachedSealKeys(ctx); err != nil || len(keys) > 0 {
			return keys, err
		}
	}
	return nil, fmt.Errorf("%w: none is cached: run `permitdesk sync --once` while the central system is "+
		"reachable, or set central.seal_key_file", ErrNoSealKeys)
}

// PinnedSealKey reads a pinned seal public key file (config
// central.seal_key_file: PEM or 64 hex digits) and returns it by key ID.
func PinnedSealKey(path string) (map[string]ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read central.seal_key_file: %w", ErrNoSealKeys, err)
	}
	pub, err := api.ParseSealPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: central.seal_key_file %s: %w", ErrNoSealKeys, path, err)
	}
	return map[string]ed25519.PublicKey{api.SealKeyID(pub): pub}, nil
}

func (s *Service) cachedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	rows, err := s.o.DB.QueryContext(ctx, `SELECT key_id, public_key FROM sync_seal_keys
		WHERE algorithm = ?`, string(api.SealEd25519))
	if err != nil {
		return nil, fmt.Errorf("read cached seal keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]ed25519.PublicKey{}
	for rows.Next() {
		var id string
		var pub []byte
		if err := rows.Scan(&id, &pub); err != nil {
			return nil, err
		}
		keys[id] = ed25519.PublicKey(pub)
	}
	return keys, rows.Err()
}

// pullSealKeys fetches the central system's seal keys, replaces the cached
// set with them and returns how many were not cached before. A reply with no
// key or with an invalid key leaves the cache unchanged. With a pinned key it
// fetches nothing and returns 0.
func (s *Service) pullSealKeys(ctx context.Context) (int, error) {
	if s.o.SealKeyFile != "" || s.o.Client == nil {
		return 0, nil
	}
	list, obs, err := s.o.Client.SealKeys(ctx)
	if err == nil {
		err = checkSealKeys(list.Keys)
	}
	if err != nil {
		if isCentralError(err) {
			s.linkFailed(ctx, err)
		}
		return 0, fmt.Errorf("pull seal keys: %w", err)
	}
	s.observe(ctx, obs)
	if len(list.Keys) == 0 {
		s.log.Warn("central system publishes no seal key, keeping the cached ones")
		return 0, nil
	}
	cached, err := s.cachedSealKeys(ctx)
	if err != nil {
		return 0, err
	}
	added := newSealKeys(cached, list.Keys)
	if added == 0 && len(cached) == len(list.Keys) {
		return 0, nil
	}
	if err := s.replaceSealKeys(ctx, list.Keys); err != nil {
		return 0, err
	}
	s.log.Info("seal keys cached", "keys", len(list.Keys), "new", added)
	return added, nil
}

// replaceSealKeys replaces the cached seal keys with keys in one transaction.
func (s *Service) replaceSealKeys(ctx context.Context, keys []api.SealKey) error {
	now := formatTime(s.o.Now())
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sync_seal_keys`); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_seal_keys (key_id, algorithm, public_key,
				fetched_at) VALUES (?,?,?,?)`, k.KeyId, string(k.Algorithm), k.PublicKey, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store seal keys: %w", err)
	}
	return nil
}

// newSealKeys counts the keys in fetched that are not cached yet.
func newSealKeys(cached map[string]ed25519.PublicKey, fetched []api.SealKey) int {
	n := 0
	for _, k := range fetched {
		if !cached[k.KeyId].Equal(ed25519.PublicKey(k.PublicKey)) {
			n++
		}
	}
	return n
}

// checkSealKeys rejects a key list with an unknown algorithm, a key of the
// wrong size, or a key ID that is not derived from its key.
func checkSealKeys(keys []api.SealKey) error {
	for _, k := range keys {
		switch {
		case k.Algorithm != api.SealEd25519:
			return fmt.Errorf("%w: seal key %q has algorithm %q, want %q", ErrMalformed, k.KeyId, k.Algorithm,
				api.SealEd25519)
		case len(k.PublicKey) != ed25519.PublicKeySize:
			return fmt.Errorf("%w: seal key %q is %d bytes, want %d", ErrMalformed, k.KeyId, len(k.PublicKey),
				ed25519.PublicKeySize)
		case k.KeyId != api.SealKeyID(k.PublicKey):
			return fmt.Errorf("%w: seal key ID %q does not match its key (%s)", ErrMalformed, k.KeyId,
				api.SealKeyID(k.PublicKey))
		}
	}
	return nil
}

// ApplicationSeal returns the issuance seal cached with an application. An
// application pulled without a seal returns ErrNoSeal, and one not cached
// returns ErrApplicationNotFound, both wrapped.
func (s *Service) ApplicationSeal(ctx context.Context, id string) (permitcard.Seal, error) {
	var seal permitcard.Seal
	var algorithm string
	err := s.o.DB.QueryRowContext(ctx, `SELECT seal_key_id, seal_algorithm, seal_signature
		FROM sync_applications WHERE id = ?`, id).Scan(&seal.KeyID, &algorithm, &seal.Signature)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return seal, fmt.Errorf("application %q: %w in the local cache: run `permitdesk sync --once`", id,
			ErrApplicationNotFound)
	case err != nil:
		return seal, fmt.Errorf("read seal of application %q: %w", id, err)
	case seal.KeyID == "" || len(seal.Signature) == 0:
		return seal, fmt.Errorf("application %s: %w: run `permitdesk sync --once` to fetch it again, or ask "+
			"the central system to approve it again", id, ErrNoSeal)
	case algorithm != string(api.SealEd25519):
		return seal, fmt.Errorf("application %s: seal by key %q uses algorithm %q, this station verifies %q: "+
			"ask the central system to approve it again", id, seal.KeyID, algorithm, api.SealEd25519)
	}
	return seal, nil
}
