package rewrite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
	"permitdesk/devices"
	"permitdesk/devices/permitcard"
	"permitdesk/devices/rewriter"
)

// Audit actions of address changes.
const (
	ActionStart    = "rewrite.start"
	ActionChip     = "rewrite.chip"
	ActionRollBack = "rewrite.roll_back"
	ActionReprint  = "rewrite.reprint"
	ActionNeeds    = "rewrite.needs_attention"
)

// Start checks the change as Check does, then writes the new address to
// the card at the desk reader and prints the strip. It returns the job
// with its final state: done, or needs_attention with what is known and
// the choices left (Resume, RollBack, Reprint). An error means the job did
// not start and nothing was changed, or that storing the job failed.
func (s *Service) Start(ctx context.Context, sess *operators.Session, houseCode string) (Job, error) {
	if err := requireTechnician(sess); err != nil {
		return Job{}, err
	}
	if err := s.lock(); err != nil {
		return Job{}, err
	}
	defer s.run.Unlock()
	p, err := s.plan(ctx, houseCode)
	if err != nil {
		return Job{}, err
	}
	j, err := s.create(ctx, sess, p)
	if err != nil {
		return Job{}, err
	}
	s.progress(j, StepCheck, 10, "checked card "+j.CardSerial+" and house code "+j.NewAddress.HouseCode)
	serial := p.card.Serial
	return s.runChip(ctx, operators.Actor(sess), j, func(ctx context.Context) error {
		_, err := s.enc.UpdateAddress(ctx, serial, j.NewAddress.chip(), s.o.Now())
		return err
	})
}

func (s *Service) create(ctx context.Context, sess *operators.Session, p plan) (*Job, error) {
	j := &Job{CardSerial: p.view.Serial, PermitNumber: p.view.PermitNumber, ApplicationID: p.applicationID,
		HolderName: p.view.Holder.Name, OldAddress: p.view.Address, NewAddress: addressView(p.lookup.Address),
		OldSequence: p.view.Sequence, LookupOnline: p.lookup.Online}
	if j.OldSequence < 1 || j.OldSequence >= 0xFFFF {
		return nil, fmt.Errorf("%w: card %s has commit sequence %d, outside 1..65534", ErrChipMismatch,
			j.CardSerial, j.OldSequence)
	}
	now := s.o.Now()
	actor := operators.Actor(sess)
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		id, err := insertJob(ctx, tx, j, sess.Operator.ID, now)
		if err != nil {
			return err
		}
		j.ID = id
		if err := insertEvent(ctx, tx, id, ChipWriting, actor, "new house code "+j.NewAddress.HouseCode, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: ActionStart,
			Subject: "card:" + j.CardSerial, Detail: map[string]any{"job": id, "permit": j.PermitNumber,
				"old_house_code": j.OldAddress.HouseCode, "new_house_code": j.NewAddress.HouseCode,
				"old_sequence": j.OldSequence, "lookup_online": j.LookupOnline}})
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("address change started", "job", j.ID, "serial", j.CardSerial, "permit", j.PermitNumber,
		"house_code", j.NewAddress.HouseCode, "lookup_online", j.LookupOnline)
	return loadJob(ctx, s.o.DB, j.ID)
}

// runChip runs write, reads the chip back, and records the chip change.
// Any failure leaves the job needing attention from ChipWriting.
func (s *Service) runChip(ctx context.Context, actor string, j *Job, write func(context.Context) error) (Job, error) {
	s.progress(j, StepChipWrite, 30, "writing the new address to the chip")
	if err := write(ctx); err != nil {
		return s.chipInterrupted(ctx, actor, j, err)
	}
	s.progress(j, StepChipVerify, 50, "reading the chip back")
	if err := s.verifyChip(ctx, j, j.NewAddress, j.OldSequence+1); err != nil {
		return s.chipInterrupted(ctx, actor, j, err)
	}
	j, err := s.recordChip(ctx, actor, j)
	if err != nil {
		return s.finish(ctx, j, err)
	}
	return s.runStrip(ctx, actor, j, ChipUpdated, false)
}

func (s *Service) chipInterrupted(ctx context.Context, actor string, j *Job, cause error) (Job, error) {
	what := "failed"
	if isLinkLoss(cause) {
		what = "was interrupted"
	}
	text := fmt.Sprintf("the chip write on card %s %s (%v): present card %s at the desk reader again, then "+
		"resume to finish the change or roll back to the old address", j.CardSerial, what, cause, j.CardSerial)
	return s.needsAttention(ctx, actor, j, ChipWriting, ChipWriting, text)
}

// verifyChip reads the card back and checks address, sequence and history.
func (s *Service) verifyChip(ctx context.Context, j *Job, want Address, seq int) error {
	c, err := s.enc.Read(ctx, permitcard.ReadOptions{SkipPhoto: true})
	if err != nil {
		return err
	}
	switch {
	case c.Serial.String() != j.CardSerial:
		return fmt.Errorf("%w: card %s is in the reader, the job is for card %s", devices.ErrWrongCard,
			c.Serial, j.CardSerial)
	case c.State != permitcard.StatePersonalised || int(c.Sequence) != seq:
		return fmt.Errorf("%w: card %s reads %s with sequence %d, expected personalised with sequence %d",
			ErrChipMismatch, j.CardSerial, c.State, c.Sequence, seq)
	case chipAddressView(c.Data.Address) != want:
		return fmt.Errorf("%w: card %s holds address %s, expected %s", ErrChipMismatch, j.CardSerial,
			chipAddressView(c.Data.Address).Line, want.Line)
	case len(c.History) == 0 || int(c.History[0].Sequence) != j.OldSequence ||
		chipAddressView(c.History[0].Address) != j.OldAddress:
		return fmt.Errorf("%w: card %s history does not start with the old address at sequence %d",
			ErrChipMismatch, j.CardSerial, j.OldSequence)
	}
	return nil
}

// recordChip moves the job to ChipUpdated and queues the record for the
// central system in the same transaction, so the central system learns of
// the new chip content even when the strip later fails.
func (s *Service) recordChip(ctx context.Context, actor string, j *Job) (*Job, error) {
	now := s.o.Now()
	seq := j.OldSequence + 1
	addr := j.NewAddress.domain()
	key := fmt.Sprintf("%s-addr-%s-%d", s.o.StationID, j.CardSerial, seq)
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		if _, err := s.o.Registry.Enqueue(ctx, tx, appsync.Record{Key: key, Kind: appsync.KindAddressChanged,
			ApplicationID: j.ApplicationID, PermitNumber: j.PermitNumber, CardSerial: j.CardSerial,
			Address: &addr, At: now}); err != nil {
			return err
		}
		c := change{from: ChipWriting, to: ChipUpdated, newSequence: seq, outboxKey: key,
			detail: fmt.Sprintf("chip sequence %d", seq)}
		if err := updateJob(ctx, tx, j.ID, c, actor, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: ActionChip,
			Subject: "card:" + j.CardSerial, Detail: map[string]any{"job": j.ID, "permit": j.PermitNumber,
				"new_house_code": j.NewAddress.HouseCode, "sequence": seq, "outbox_key": key}})
	})
	if err != nil {
		return j, err
	}
	s.progress(j, StepRecord, 60, "chip updated; the change is queued for the central system")
	return loadJob(ctx, s.o.DB, j.ID)
}

// runStrip prints the strip; from is the job's state before. reprint marks
// an action the technician chose.
func (s *Service) runStrip(ctx context.Context, actor string, j *Job, from State, reprint bool) (Job, error) {
	now := s.o.Now()
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		return updateJob(ctx, tx, j.ID, change{from: from, to: StripPrinting}, actor, now)
	})
	if err != nil {
		return s.finish(ctx, j, err)
	}
	if err := s.printStrip(ctx, j); err != nil {
		text := fmt.Sprintf("chip updated, strip not reprinted: %v: fix the rewriter, put card %s in it and "+
			"choose reprint", err, j.CardSerial)
		return s.needsAttention(ctx, actor, j, StripPrinting, StripPrinting, text)
	}
	return s.complete(ctx, actor, j, reprint)
}

func (s *Service) printStrip(ctx context.Context, j *Job) error {
	if s.o.Strip == nil || s.o.Renderer == nil {
		return fmt.Errorf("%w: no rewriter or strip renderer configured: set devices.rewriter.port",
			devices.ErrNotConfigured)
	}
	img, err := s.StripImage(*j)
	if err != nil {
		return fmt.Errorf("render strip: %w", err)
	}
	if err := s.waitInlet(ctx, j); err != nil {
		return err
	}
	s.progress(j, StepStripPrint, 80, "erasing and printing the address strip")
	if err := s.o.Strip.Rewrite(ctx, img); err != nil {
		return err
	}
	st, err := s.o.Strip.Status(ctx)
	if err != nil {
		return fmt.Errorf("rewriter status after printing: %w", err)
	}
	if st.CoverOpen || st.Card == rewriter.CardAtInlet {
		return fmt.Errorf("rewriter reports %q after printing (cover open %t, card still at the inlet %t)",
			st.Raw, st.CoverOpen, st.Card == rewriter.CardAtInlet)
	}
	return nil
}

// waitInlet polls the rewriter until the card is at its inlet.
func (s *Service) waitInlet(ctx context.Context, j *Job) error {
	deadline := time.Now().Add(s.o.StripWait)
	asked := false
	for {
		st, err := s.o.Strip.Status(ctx)
		if err != nil {
			return err
		}
		if st.Card == rewriter.CardAtInlet {
			return nil
		}
		if !asked {
			s.progress(j, StepStripWait, 70, "put card "+j.CardSerial+" in the rewriter")
			asked = true
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no card at the rewriter inlet within %s", devices.ErrTimeout, s.o.StripWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.o.PollInterval):
		}
	}
}

func (s *Service) complete(ctx context.Context, actor string, j *Job, reprint bool) (Job, error) {
	now := s.o.Now()
	action := audit.ActionRewrite
	if reprint {
		action = ActionReprint
	}
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		c := change{from: StripPrinting, to: Done, stripPrinted: true, detail: "strip printed"}
		if err := updateJob(ctx, tx, j.ID, c, actor, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: action,
			Subject: "card:" + j.CardSerial, Detail: map[string]any{"job": j.ID, "permit": j.PermitNumber,
				"old_house_code": j.OldAddress.HouseCode, "new_house_code": j.NewAddress.HouseCode,
				"sequence": j.OldSequence + 1, "outbox_key": j.OutboxKey}})
	})
	if err != nil {
		return s.finish(ctx, j, err)
	}
	s.log.Info("address change done", "job", j.ID, "serial", j.CardSerial, "reprint", reprint)
	s.progress(j, StepDone, 100, "card "+j.CardSerial+" carries the new address on chip and strip")
	return s.finish(ctx, j, nil)
}

func (s *Service) needsAttention(ctx context.Context, actor string, j *Job, from, attFrom State, text string) (Job, error) {
	now := s.o.Now()
	s.log.Warn("address change needs attention", "job", j.ID, "serial", j.CardSerial, "from", attFrom,
		"attention", text)
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		c := change{from: from, to: NeedsAttention, attentionFrom: attFrom, attention: text, detail: text}
		if err := updateJob(ctx, tx, j.ID, c, actor, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: ActionNeeds,
			Subject: "card:" + j.CardSerial, Detail: map[string]any{"job": j.ID, "from": string(attFrom)}})
	})
	s.progress(j, StepFailed, 100, text)
	return s.finish(ctx, j, err)
}

// finish returns the stored job, or err when storing failed.
func (s *Service) finish(ctx context.Context, j *Job, err error) (Job, error) {
	if err != nil {
		s.log.Error("store address change", "job", j.ID, "err", err)
		return *j, err
	}
	stored, lerr := loadJob(ctx, s.o.DB, j.ID)
	if lerr != nil {
		return *j, lerr
	}
	return *stored, nil
}

func (s *Service) progress(j *Job, step string, percent int, msg string) {
	s.hook(step)
	s.bus.publish(Progress{JobID: j.ID, State: stepState[step], Step: step, Percent: percent, Message: msg,
		At: s.o.Now()})
}

// stepState is the job state while a step runs or after it ended.
var stepState = map[string]State{
	StepCheck: ChipWriting, StepChipWrite: ChipWriting, StepChipVerify: ChipWriting, StepRecord: ChipUpdated,
	StepStripWait: StripPrinting, StepStripPrint: StripPrinting, StepDone: Done, StepFailed: NeedsAttention,
	StepRolledBack: RolledBack,
}

// errNoChoice reports a choice that the job's state does not offer. For a
// job left mid-way it names the command that recovers it.
func errNoChoice(j *Job, c Choice) error {
	err := fmt.Errorf("%w: job %d is %s and offers %s, not %s", ErrChoice, j.ID, j.State, JoinChoices(j.Choices), c)
	if !j.State.MidWay() {
		return err
	}
	return fmt.Errorf("%w: unless another rewrite is running it, a stopped workstation left it mid-way, "+
		"so recover it with `%s`", err, RecoverCommand(j))
}

// RecoverCommand returns the command line that marks j, a job left mid-way,
// as needing attention and then takes the choice that Recover offers for it.
func RecoverCommand(j *Job) string {
	if j.State == ChipWriting {
		return fmt.Sprintf("permitdesk rewrite --recover --resume %d", j.ID)
	}
	return fmt.Sprintf("permitdesk rewrite --recover --reprint %d", j.ID)
}
