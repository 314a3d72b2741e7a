package rewrite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/permit"
	appsync "permitdesk/app/sync"
	"permitdesk/devices/permitcard"
)

// Read reads the card at the desk reader and checks its seal and revocation
// status. A card whose address write was interrupted is still returned when
// its serial can be read: ReadError says what failed and OpenJob how to
// finish. Read changes nothing.
func (s *Service) Read(ctx context.Context) (CardView, error) {
	if err := s.lock(); err != nil {
		return CardView{}, err
	}
	defer s.run.Unlock()
	c, err := s.enc.Read(ctx, permitcard.ReadOptions{})
	if err != nil {
		if c.Serial == (permitcard.Serial{}) || !errors.Is(err, permitcard.ErrBadContent) {
			return CardView{}, err
		}
		v := CardView{Serial: c.Serial.String(), ChipState: string(permitcard.StateAddressTorn), ReadError: err.Error()}
		return v, s.attachOpenJob(ctx, &v)
	}
	if c.State == permitcard.StateBlank || c.State == permitcard.StateIncomplete {
		return CardView{}, fmt.Errorf("%w: card %s is %s: present an issued permit card", ErrNotPermitCard,
			c.Serial, c.State)
	}
	v := cardView(c)
	if err := s.verifySeal(ctx, c.Data); err != nil {
		v.SealError = err.Error()
	} else {
		v.SealValid = true
	}
	if err := s.checkRevocation(ctx, &v); err != nil {
		return v, err
	}
	return v, s.attachOpenJob(ctx, &v)
}

func cardView(c permitcard.Card) CardView {
	d := c.Data
	v := CardView{
		Serial: c.Serial.String(), ChipState: string(c.State),
		Holder: Holder{Name: d.Holder.Name, Sex: permit.Sex(d.Holder.Sex).Label(),
			BirthDate: d.Holder.BirthDate.Format("2006-01-02"), IDNumber: logging.MaskID(d.Holder.IDNumber)},
		PermitNumber: d.Permit.Number, StationID: d.Permit.StationID,
		ValidFrom: d.Permit.ValidFrom.Format("2006-01-02"), ValidTo: d.Permit.ValidTo.Format("2006-01-02"),
		Address: chipAddressView(d.Address), Sequence: int(c.Sequence), Photo: d.Photo,
		History: []HistoryEntry{},
	}
	for _, h := range c.History {
		// A record with the current sequence was appended by a change that
		// was rolled back or is not finished; it is not a replaced address.
		if h.Sequence >= c.Sequence {
			continue
		}
		v.History = append(v.History, HistoryEntry{Sequence: int(h.Sequence),
			ChangedOn: h.ChangedOn.Format("2006-01-02"), Address: chipAddressView(h.Address)})
	}
	return v
}

func (s *Service) checkRevocation(ctx context.Context, v *CardView) error {
	rc, err := s.o.Registry.CheckRevoked(ctx, v.PermitNumber)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRevocationCheck, err)
	}
	v.RevocationOnline = rc.Online
	switch {
	case rc.Revoked:
		v.Revoked = true
		v.RevocationNote = fmt.Sprintf("permit %s is %s: %s", v.PermitNumber, rc.Kind, rc.Reason)
	case !rc.Online && rc.AsOf.IsZero():
		v.RevocationNote = "revocation status unknown: the central system is unreachable and the revocation " +
			"feed was never pulled"
	case !rc.Online:
		v.RevocationNote = "checked against the revocation feed pulled at " + rc.AsOf.Format("2006-01-02 15:04")
	}
	return nil
}

func (s *Service) attachOpenJob(ctx context.Context, v *CardView) error {
	j, err := openJobForCard(ctx, s.o.DB, v.Serial)
	if err != nil || j == nil {
		return err
	}
	v.OpenJob = j
	if j.State != NeedsAttention || j.AttentionFrom != ChipWriting {
		return nil
	}
	img, err := s.raw.inspect(ctx)
	if err != nil {
		s.log.Warn("inspect interrupted address change", "job", j.ID, "serial", v.Serial, "err", err)
		return nil
	}
	if img.serial.String() == v.Serial {
		v.ChipCondition = img.condition(j)
	}
	return nil
}

// plan is a checked address change before it starts.
type plan struct {
	card          permitcard.Card
	view          CardView
	lookup        appsync.HouseCodeLookup
	applicationID string
}

// Check reads the card and looks the house code up, and returns the change
// for the technician to confirm. It refuses, with a message naming the value
// and what to do, a card that is not an issued permit, a seal that does not
// verify, a revoked permit, a permit not in this station's register, a card
// with an unfinished change, an unknown or retired house code, and a house
// code that gives the card's current address. Check changes nothing.
func (s *Service) Check(ctx context.Context, sess *operators.Session, houseCode string) (Proposal, error) {
	if err := requireTechnician(sess); err != nil {
		return Proposal{}, err
	}
	if err := s.lock(); err != nil {
		return Proposal{}, err
	}
	defer s.run.Unlock()
	p, err := s.plan(ctx, houseCode)
	if err != nil {
		return Proposal{}, err
	}
	return Proposal{Card: p.view, NewAddress: addressView(p.lookup.Address), LookupOnline: p.lookup.Online,
		LookupAsOf: p.lookup.AsOf}, nil
}

func (s *Service) plan(ctx context.Context, houseCode string) (plan, error) {
	var p plan
	var err error
	houseCode = strings.TrimSpace(houseCode)
	if houseCode == "" {
		return p, fmt.Errorf("%w: the house code is empty: type the code from the door plate", ErrHouseCode)
	}
	if p.card, p.view, err = s.readForChange(ctx); err != nil {
		return p, err
	}
	if p.lookup, err = s.lookup(ctx, houseCode, p.view.Address); err != nil {
		return p, err
	}
	p.applicationID, err = s.applicationID(ctx, p.card)
	return p, err
}

// readForChange reads the card and refuses one that must not be changed.
func (s *Service) readForChange(ctx context.Context) (permitcard.Card, CardView, error) {
	c, err := s.enc.Read(ctx, permitcard.ReadOptions{})
	if err != nil {
		if j, _ := openJobForCard(ctx, s.o.DB, c.Serial.String()); j != nil {
			return c, CardView{}, openJobError(j)
		}
		return c, CardView{}, err
	}
	v := cardView(c)
	if j, err := openJobForCard(ctx, s.o.DB, v.Serial); err != nil || j != nil {
		if err != nil {
			return c, v, err
		}
		return c, v, openJobError(j)
	}
	switch c.State {
	case permitcard.StatePersonalised:
	case permitcard.StateAddressTorn:
		return c, v, fmt.Errorf("%w: card %s has an interrupted address change that no job of this station "+
			"knows: finish it at the station that started it", ErrChipMismatch, c.Serial)
	default:
		return c, v, fmt.Errorf("%w: card %s is %s: present an issued permit card", ErrNotPermitCard,
			c.Serial, c.State)
	}
	if err := s.verifySeal(ctx, c.Data); err != nil {
		return c, v, fmt.Errorf("%w: card %s (permit %s): %w: the card may be forged or damaged; keep it and "+
			"refer the holder to the issuing bureau", ErrSealInvalid, v.Serial, v.PermitNumber, err)
	}
	v.SealValid = true
	return c, v, s.refuseRevoked(ctx, &v)
}

func openJobError(j *Job) error {
	if len(j.Choices) == 0 {
		return fmt.Errorf("%w: job %d on card %s is still %s: if the workstation stopped during it, run "+
			"`permitdesk rewrite --recover`, then resume or roll it back", ErrOpenJob, j.ID, j.CardSerial, j.State)
	}
	return fmt.Errorf("%w: job %d on card %s needs attention (%s): choose one of %v first", ErrOpenJob, j.ID,
		j.CardSerial, j.Attention, j.Choices)
}

func (s *Service) refuseRevoked(ctx context.Context, v *CardView) error {
	if err := s.checkRevocation(ctx, v); err != nil {
		return err
	}
	switch {
	case v.Revoked:
		return fmt.Errorf("%w: %s: the address of a revoked permit is not changed; refer the holder to the "+
			"issuing bureau", ErrRevoked, v.RevocationNote)
	case !v.RevocationOnline && v.RevocationNote != "" && s.o.BlockWhenRevocationUnknown &&
		strings.HasPrefix(v.RevocationNote, "revocation status unknown"):
		return fmt.Errorf("%w: permit %s: %s; issuance.offline_revocation_policy is block: wait for the link "+
			"or pull the revocation feed", ErrRevocationCheck, v.PermitNumber, v.RevocationNote)
	}
	return nil
}

// lookup resolves the house code and refuses an unusable or unchanged one.
func (s *Service) lookup(ctx context.Context, code string, current Address) (appsync.HouseCodeLookup, error) {
	res, err := s.o.Registry.LookupHouseCode(ctx, code)
	switch {
	case errors.Is(err, appsync.ErrHouseCodeNotFound), errors.Is(err, appsync.ErrHouseCodeFormat):
		return res, fmt.Errorf("%w: %w", ErrHouseCode, err)
	case err != nil:
		return res, err
	case res.Retired:
		return res, fmt.Errorf("%w: house code %q is retired in the house register: ask the holder for the "+
			"code on the current door plate", ErrHouseCode, code)
	case res.Address.Same(current.domain()):
		return res, fmt.Errorf("%w: house code %q gives %s, which is already the card's address: nothing to "+
			"change", ErrSameAddress, code, res.Address.Line())
	}
	return res, nil
}

// applicationID finds the approved application of the card's permit in the
// station's register, because the central system records an address change
// against the application.
func (s *Service) applicationID(ctx context.Context, c permitcard.Card) (string, error) {
	apps, err := s.o.Registry.ApplicationsByIDNumber(ctx, c.Data.Holder.IDNumber)
	if err != nil {
		return "", err
	}
	for _, a := range apps {
		if a.PermitNumber == c.Data.Permit.Number {
			return a.ID, nil
		}
	}
	return "", fmt.Errorf("%w: permit %s (issued at station %s) has no approved application in this station's "+
		"register, and the central system takes an address change only from the station that holds the "+
		"application: pull the register with `permitdesk sync`, or change the address at station %s",
		ErrNotRegistered, c.Data.Permit.Number, c.Data.Permit.StationID, c.Data.Permit.StationID)
}
