package rewrite

import (
	"context"
	"database/sql"
	"fmt"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
	"permitdesk/devices"
	"permitdesk/devices/permitcard"
)

// Resume finishes an interrupted chip write on the card at the desk reader,
// which must be the job's card. It reads the commit marker first. A card
// that already contains the new address only gets its strip printed. A card
// that still contains the old address gets the whole update, and a torn
// card gets the new address and marker written again. The history append
// is never repeated. Then Resume prints the strip as Start does.
func (s *Service) Resume(ctx context.Context, sess *operators.Session, id int64) (Job, error) {
	j, img, err := s.beginRecovery(ctx, sess, id, ChoiceResume)
	if err != nil {
		return Job{}, err
	}
	defer s.run.Unlock()
	write, err := s.resumeWrite(j, img)
	if err != nil {
		return *j, err
	}
	actor := operators.Actor(sess)
	cond := img.condition(j)
	err = store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		return updateJob(ctx, tx, j.ID, change{from: NeedsAttention, to: ChipWriting,
			detail: "resume: chip holds " + string(cond)}, actor, s.o.Now())
	})
	if err != nil {
		return *j, err
	}
	s.log.Info("resuming address change", "job", j.ID, "serial", j.CardSerial, "chip", cond)
	return s.runChip(ctx, actor, j, write)
}

// resumeWrite chooses the chip writes that finish j from what img holds.
func (s *Service) resumeWrite(j *Job, img chipImage) (func(context.Context) error, error) {
	serial := img.serial
	switch img.condition(j) {
	case ChipNew:
		return func(context.Context) error { return nil }, nil
	case ChipOld:
		return func(ctx context.Context) error {
			_, err := s.enc.UpdateAddress(ctx, serial, j.NewAddress.chip(), s.o.Now())
			return err
		}, nil
	}
	// A torn address: the history append happens before any address
	// write, so the newest record must be the old address.
	if !img.hasHist || int(img.newest.Sequence) != j.OldSequence ||
		chipAddressView(img.newest.Address) != j.OldAddress {
		return nil, fmt.Errorf("%w: card %s holds neither the old nor the new address, and its newest history "+
			"record is not the old address at sequence %d: the card was changed elsewhere; keep it and refer "+
			"the holder to the issuing bureau", ErrChipMismatch, j.CardSerial, j.OldSequence)
	}
	return func(ctx context.Context) error {
		return s.raw.commit(ctx, serial, j.NewAddress.chip(), uint16(j.OldSequence+1))
	}, nil
}

// RollBack restores the old address on the card of a job whose chip write
// was interrupted. The card at the desk reader must be the job's card and
// must not hold the new address yet (then Resume finishes the change).
// A history record that the interrupted change appended stays on the card.
// It carries the current sequence, so Read does not show it, and the next
// change reuses it instead of appending another.
func (s *Service) RollBack(ctx context.Context, sess *operators.Session, id int64) (Job, error) {
	j, img, err := s.beginRecovery(ctx, sess, id, ChoiceRollBack)
	if err != nil {
		return Job{}, err
	}
	defer s.run.Unlock()
	switch img.condition(j) {
	case ChipNew:
		return *j, fmt.Errorf("%w: card %s already holds the new address at sequence %d: choose resume to "+
			"print the strip, or start a new change back to the old house code", ErrChoice, j.CardSerial,
			j.OldSequence+1)
	case ChipTorn:
		if err := s.raw.commit(ctx, img.serial, j.OldAddress.chip(), uint16(j.OldSequence)); err != nil {
			return *j, fmt.Errorf("roll back card %s: %w: present it again and retry", j.CardSerial, err)
		}
	}
	if err := s.verifyOld(ctx, j); err != nil {
		return *j, err
	}
	actor := operators.Actor(sess)
	now := s.o.Now()
	err = store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		c := change{from: NeedsAttention, to: RolledBack, detail: "old address restored"}
		if err := updateJob(ctx, tx, j.ID, c, actor, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: ActionRollBack,
			Subject: "card:" + j.CardSerial, Detail: map[string]any{"job": j.ID, "permit": j.PermitNumber,
				"house_code": j.OldAddress.HouseCode, "sequence": j.OldSequence}})
	})
	if err != nil {
		return *j, err
	}
	s.log.Info("address change rolled back", "job", j.ID, "serial", j.CardSerial)
	s.progress(j, StepRolledBack, 100, "card "+j.CardSerial+" holds the old address again")
	return s.finish(ctx, j, nil)
}

func (s *Service) verifyOld(ctx context.Context, j *Job) error {
	c, err := s.enc.Read(ctx, permitcard.ReadOptions{SkipPhoto: true})
	if err != nil {
		return err
	}
	if c.State != permitcard.StatePersonalised || int(c.Sequence) != j.OldSequence ||
		chipAddressView(c.Data.Address) != j.OldAddress {
		return fmt.Errorf("%w: card %s reads %s, sequence %d, address %s after the roll-back", ErrChipMismatch,
			j.CardSerial, c.State, c.Sequence, chipAddressView(c.Data.Address).Line)
	}
	return nil
}

// beginRecovery checks role, lock, job and card for Resume and RollBack.
// On success the run lock is held.
func (s *Service) beginRecovery(ctx context.Context, sess *operators.Session, id int64, c Choice) (*Job, chipImage, error) {
	if err := requireTechnician(sess); err != nil {
		return nil, chipImage{}, err
	}
	if err := s.lock(); err != nil {
		return nil, chipImage{}, err
	}
	j, img, err := s.jobCard(ctx, id, c)
	if err != nil {
		s.run.Unlock()
		return nil, img, err
	}
	return j, img, nil
}

func (s *Service) jobCard(ctx context.Context, id int64, c Choice) (*Job, chipImage, error) {
	j, err := loadJob(ctx, s.o.DB, id)
	if err != nil {
		return nil, chipImage{}, err
	}
	if !hasChoice(j, c) {
		return j, chipImage{}, errNoChoice(j, c)
	}
	img, err := s.raw.inspect(ctx)
	if err != nil {
		return j, img, fmt.Errorf("read card for job %d: %w: present card %s at the desk reader", j.ID, err,
			j.CardSerial)
	}
	if img.serial.String() != j.CardSerial {
		return j, img, fmt.Errorf("%w: card %s is at the desk reader, job %d is for card %s: present card %s",
			devices.ErrWrongCard, img.serial, j.ID, j.CardSerial, j.CardSerial)
	}
	return j, img, nil
}

func hasChoice(j *Job, c Choice) bool {
	for _, x := range j.Choices {
		if x == c {
			return true
		}
	}
	return false
}

// Reprint prints the strip of a job again without touching the chip: after
// a rewriter failure (the job needs attention as "chip updated, strip not
// reprinted"), or for a finished job whose strip is damaged, as long as it
// is the card's newest change.
func (s *Service) Reprint(ctx context.Context, sess *operators.Session, id int64) (Job, error) {
	if err := requireTechnician(sess); err != nil {
		return Job{}, err
	}
	if err := s.lock(); err != nil {
		return Job{}, err
	}
	defer s.run.Unlock()
	j, err := loadJob(ctx, s.o.DB, id)
	if err != nil {
		return Job{}, err
	}
	if !hasChoice(j, ChoiceReprint) {
		return *j, errNoChoice(j, ChoiceReprint)
	}
	if err := s.requireNewest(ctx, j); err != nil {
		return *j, err
	}
	s.log.Info("reprinting strip", "job", j.ID, "serial", j.CardSerial)
	return s.runStrip(ctx, operators.Actor(sess), j, j.State, true)
}

func (s *Service) requireNewest(ctx context.Context, j *Job) error {
	var newest int64
	if err := s.o.DB.QueryRowContext(ctx, `SELECT max(id) FROM rewrite_jobs WHERE card_serial = ?
		AND state <> 'rolled_back'`, j.CardSerial).Scan(&newest); err != nil {
		return err
	}
	if newest != j.ID {
		return fmt.Errorf("%w: job %d is not the newest change of card %s (job %d is): reprint that one",
			ErrChoice, j.ID, j.CardSerial, newest)
	}
	return nil
}

// Recover marks every job caught mid-way by a stop of the workstation as
// needing attention, with what its stored state tells about the card. It
// never touches a device. Call it once at start, before any other method.
func (s *Service) Recover(ctx context.Context) (int, error) {
	js, err := listJobs(ctx, s.o.DB, []State{ChipWriting, ChipUpdated, StripPrinting}, 1000)
	if err != nil {
		return 0, err
	}
	for _, j := range js {
		attFrom, text := ChipWriting, fmt.Sprintf("the workstation stopped during the chip write on card %s: "+
			"present card %s at the desk reader, then resume or roll back", j.CardSerial, j.CardSerial)
		if j.State != ChipWriting {
			attFrom, text = StripPrinting, fmt.Sprintf("chip updated, strip not reprinted: the workstation "+
				"stopped before the strip was confirmed: put card %s in the rewriter and choose reprint", j.CardSerial)
		}
		if _, err := s.needsAttention(ctx, audit.System, j, j.State, attFrom, text); err != nil {
			return 0, err
		}
	}
	return len(js), nil
}
