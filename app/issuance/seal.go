package issuance

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"

	"permitdesk/app/permit"
	"permitdesk/devices/permitcard"
)

// ErrSealRefused means an application has no issuance seal, or one that
// does not verify with the trusted keys, so no card is made for it.
var ErrSealRefused = errors.New("issuance seal missing or invalid")

// SealSource supplies the issuance seal the central system signed for each
// approved application, and the public keys that seals are checked with.
// The sync service (package sync) implements it.
type SealSource interface {
	ApplicationSeal(ctx context.Context, applicationID string) (permitcard.Seal, error)
	TrustedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error)
}

// sealSource returns Options.Seals, or Options.Applications when it is also
// a SealSource, or nil.
func (s *Service) sealSource() SealSource {
	if s.opt.Seals != nil {
		return s.opt.Seals
	}
	src, _ := s.opt.Applications.(SealSource)
	return src
}

// sealFor returns the application's seal after checking it against the
// permit p, the data the card will carry. Without a seal source it returns
// an empty seal and no error.
func (s *Service) sealFor(ctx context.Context, applicationID string, p permit.Permit) (permitcard.Seal, error) {
	src := s.sealSource()
	if src == nil {
		return permitcard.Seal{}, nil
	}
	seal, err := src.ApplicationSeal(ctx, applicationID)
	if err != nil {
		return seal, fmt.Errorf("%w: %w", ErrSealRefused, err)
	}
	if err := s.verifySeal(ctx, src, applicationID, p, seal); err != nil {
		return seal, err
	}
	return seal, nil
}

// verifySeal checks seal over p with the trusted keys and names the
// application, the key ID and the remedy when it fails.
func (s *Service) verifySeal(ctx context.Context, src SealSource, applicationID string, p permit.Permit,
	seal permitcard.Seal) error {
	keys, err := src.TrustedSealKeys(ctx)
	if err != nil {
		return fmt.Errorf("%w: application %s: %w", ErrSealRefused, applicationID, err)
	}
	d := CardData(p)
	d.Seal = seal
	if err := permitcard.VerifySeal(d, keys); err != nil {
		s.log.Warn("seal rejected", "application", applicationID, "key_id", seal.KeyID, "error", err)
		return fmt.Errorf("%w: application %s (permit %s): the seal by key %q does not verify with the "+
			"trusted keys [%s]: %w; run `permitdesk sync --once` to fetch the application and the keys "+
			"again, check central.seal_key_file, or ask the central system to approve the application again",
			ErrSealRefused, applicationID, p.Number, seal.KeyID, keyIDs(keys), err)
	}
	return nil
}

func keyIDs(keys map[string]ed25519.PublicKey) string {
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

// checkCardSeal verifies the seal read back from a chip over the chip's
// own data. It checks nothing without a seal source.
func (s *Service) checkCardSeal(ctx context.Context, j *Job, got CardContent) error {
	src := s.sealSource()
	if src == nil {
		return nil
	}
	return s.verifySeal(ctx, src, j.ApplicationID, got.Permit, got.Seal)
}
