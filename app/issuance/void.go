package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
)

// Approval actions for operators.Service.Approve.
const (
	ApproveVoid    = "void"
	ApproveReprint = "reprint"
	// ApproveRetry approves spoiling a card and issuing the job on a new
	// one, when WorkerOptions.RetryNeedsApproval is set.
	ApproveRetry = "retry"
)

// Void ends a job that is not at the printer, and voids its card. It needs
// approvalID, a supervisor's approval for ApproveVoid given in sess
// (operators.Service.Approve), and a reason.
func (s *Service) Void(ctx context.Context, sess *operators.Session, id int64, approvalID, reason string) (
	*Job, error) {
	if sess == nil {
		return nil, operators.ErrNoSession
	}
	if strings.TrimSpace(reason) == "" {
		return nil, errors.New("a reason is required to void a job")
	}
	var j *Job
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if j, err = loadJob(ctx, tx, id); err != nil {
			return err
		}
		return s.voidInTx(ctx, tx, sess, j, approvalID, ApproveVoid, reason)
	})
	if err != nil {
		return nil, err
	}
	s.published(j, "voided")
	return j, nil
}

func (s *Service) voidInTx(ctx context.Context, tx *sql.Tx, sess *operators.Session, j *Job, approvalID,
	action, reason string) error {
	c := s.voidChange(sess, reason)
	if err := checkMove(j, c); err != nil {
		return err
	}
	if s.opt.Operators == nil {
		return errors.New("void needs the operator service to check the supervisor's approval")
	}
	sup, err := s.opt.Operators.ConsumeApproval(ctx, tx, sess, approvalID, action)
	if err != nil {
		return err
	}
	c.detail["approved_by"] = sup.Login
	wasIssued := j.Card != nil && j.Card.State == string(Issued)
	wasSpoiled := j.Card != nil && j.Card.State == string(Spoiled)
	c.records = func(j *Job) []Record {
		if j.CardID == 0 || wasSpoiled {
			return nil // a spoiled card was reported when it was spoiled
		}
		if wasIssued {
			return []Record{s.cardRecord(j, RecordVoided, reason)}
		}
		return s.spoiledRecord(j, "voided before issue: "+reason)
	}
	return s.apply(ctx, tx, j, c)
}

func (s *Service) voidChange(sess *operators.Session, reason string) change {
	return change{to: Voided, actor: sess.Operator.Login, step: "voided", claim: ptr(""),
		card: cardUpdate{reason: "voided: " + reason}, attention: ptr(reason),
		detail: map[string]any{"reason": reason}}
}

func (s *Service) published(j *Job, step string) {
	s.log.Info("job moved", "job", j.ID, "to", j.State, "step", step, "card", j.CardID)
	s.opt.Bus.Publish(Progress{JobID: j.ID, State: j.State, Step: step, Percent: j.State.Percent(),
		Message: j.Attention, At: s.now()})
}

// Reprint voids the issued card of an application and queues a new job for
// the same permit. It needs a supervisor's approval for ApproveReprint in
// sess and a reason, such as a lost or damaged card.
func (s *Service) Reprint(ctx context.Context, sess *operators.Session, applicationID, approvalID,
	reason string) (*Job, error) {
	if err := operators.Require(sess, issuers...); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, errors.New("a reason is required for a reprint: say why the card is replaced")
	}
	applicationID, err := NormalizeApplicationID(applicationID)
	if err != nil {
		return nil, err
	}
	p, err := s.permitFor(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	var id int64
	var old *Job
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var oldID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE application_id = ? AND state = 'issued'
			ORDER BY id DESC LIMIT 1`, applicationID).Scan(&oldID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: application %q has no issued card to reprint", ErrNotFound, applicationID)
		}
		if err != nil {
			return fmt.Errorf("find issued job of %q: %w", applicationID, err)
		}
		if old, err = loadJob(ctx, tx, oldID); err != nil {
			return err
		}
		if err := s.voidInTx(ctx, tx, sess, old, approvalID, ApproveReprint, "reprint: "+reason); err != nil {
			return err
		}
		detail := map[string]any{"voided_job": old.ID, "voided_card": old.CardID, "reason": reason}
		change, err := latestAddressChange(ctx, tx, p.Number)
		if err != nil {
			return err
		}
		if change != nil {
			p.Address = change.Address
			detail["address_change"] = change.RewriteJobID
			detail["house_code"] = change.Address.HouseCode
		}
		if id, err = s.insertJob(ctx, tx, sess, applicationID, KindReprint, p, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: sess.Operator.Login, Action: audit.ActionReprint,
			Subject: fmt.Sprintf("job:%d", id), Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	s.published(old, "voided for reprint")
	return s.queued(ctx, id)
}
