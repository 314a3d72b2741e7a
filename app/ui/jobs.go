package ui

import (
	"context"
	"errors"
	"time"

	"permitdesk/app/issuance"
	"permitdesk/app/operators"
)

// JobRunner drives issuance jobs on the station's printer and encoder.
// *issuance.Worker satisfies it; the desktop app uses a StationRunner, which
// opens the worker when the first job needs it.
type JobRunner interface {
	RunJob(ctx context.Context, id int64, actor string) (*issuance.Job, error)
	Resolve(ctx context.Context, sess *operators.Session, id int64, choice issuance.Choice, approvalID,
		reason string) (*issuance.Job, error)
}

// JobProgress is the latest step of one issuance job, sent with
// EventJobProgress and returned by JobProgress.
type JobProgress struct {
	JobID int64 `json:"jobId"`
	// State is the job's issuance state after the step.
	State string `json:"state"`
	// Step names what happened, in English, such as "card fed".
	Step    string `json:"step"`
	Percent int    `json:"percent"`
	// Message is the evidence or the fault when the job stopped, in English.
	Message string `json:"message"`
	// At is the RFC 3339 time of the step.
	At string `json:"at"`
	// Code names a printer failure in Message, such as printer.ribbon_out.
	Code string `json:"code"`
	// Advice is the operator's next action for that failure, in the window's language.
	Advice string `json:"advice"`
}

// StepWaitingForPrinter is the step of a queued job that could not start
// because the printer or the encoder could not be opened.
const StepWaitingForPrinter = "waiting for the printer"

// IssueCard queues the job of an approved application and starts it on the
// station's printer. It returns the queued job at once; the steps follow as
// EventJobProgress events.
func (a *App) IssueCard(applicationID string) (JobView, error) {
	sess, err := a.runnerSession()
	if err != nil {
		return JobView{}, err
	}
	j, err := a.opts.Issuance.Enqueue(a.context(), sess, applicationID)
	if err != nil {
		return JobView{}, toError(err)
	}
	a.startJob(j.ID, sess.Operator.Login)
	return a.advisedJob(j), nil
}

// StartJob starts a queued job, such as one that waited for the printer.
func (a *App) StartJob(id int64) (JobView, error) {
	sess, err := a.runnerSession()
	if err != nil {
		return JobView{}, err
	}
	j, err := a.opts.Issuance.Job(a.context(), id)
	if err != nil {
		return JobView{}, toError(err)
	}
	if j.State != issuance.Queued {
		return JobView{}, Errorf(CodeBadTransition, "job %d is %s; only a queued job can be started", id, j.State)
	}
	a.startJob(id, sess.Operator.Login)
	return a.advisedJob(j), nil
}

// ResolveJob carries out a choice for a job that needs attention or was
// spoiled: "continue" checks the card and goes on, "retry" spoils the card
// and issues on a new one, "void" ends the job. Retry and void need a
// supervisor's approval entered at the station; void also needs a reason.
// It returns when the job stops again, at hand-over at best.
func (a *App) ResolveJob(id int64, choice string, reason string, approval SupervisorApproval) (JobView, error) {
	sess, err := a.runnerSession()
	if err != nil {
		return JobView{}, err
	}
	c := issuance.Choice(choice)
	approvalID := ""
	switch c {
	case issuance.ChoiceContinue:
	case issuance.ChoiceRetry, issuance.ChoiceVoid:
		if c == issuance.ChoiceVoid && reason == "" {
			return JobView{}, Errorf(CodeInvalidArgument, "a reason is required to void job %d", id)
		}
		action := issuance.ApproveRetry
		if c == issuance.ChoiceVoid {
			action = issuance.ApproveVoid
		}
		if approval.Login == "" || approval.Password == "" {
			return JobView{}, Errorf(CodeApprovalRequired, "a supervisor must enter their login and password "+
				"to approve the %s of job %d", action, id)
		}
		ap, err := a.opts.Operators.Approve(a.context(), sess, approval.Login, approval.Password, action)
		if err != nil {
			return JobView{}, toError(err)
		}
		approvalID = ap.ID
	default:
		return JobView{}, Errorf(CodeInvalidArgument, "choice %q is not valid: use continue, retry or void", choice)
	}
	j, err := a.opts.Runner.Resolve(a.context(), sess, id, c, approvalID, reason)
	if err != nil {
		a.log.Warn("job choice failed", "job", id, "choice", c, "err", err)
		return JobView{}, toError(err)
	}
	return a.advisedJob(j), nil
}

// JobProgress returns the latest step of job id: the last event this run
// saw, or the job's stored state when there was none.
func (a *App) JobProgress(id int64) (JobProgress, error) {
	if _, err := a.issuanceSession(); err != nil {
		return JobProgress{}, err
	}
	if p, ok := a.opts.Issuance.Bus().Snapshot()[id]; ok {
		return a.withAdvice(progressView(p)), nil
	}
	j, err := a.opts.Issuance.Job(a.context(), id)
	if err != nil {
		return JobProgress{}, toError(err)
	}
	return a.withAdvice(JobProgress{JobID: j.ID, State: string(j.State), Step: string(j.State),
		Percent: j.State.Percent(), Message: j.Attention, At: j.UpdatedAt.UTC().Format(time.RFC3339Nano)}), nil
}

func (a *App) runnerSession() (*operators.Session, error) {
	sess, err := a.issuanceSession()
	if err != nil {
		return nil, err
	}
	if a.opts.Runner == nil {
		return nil, errNoService("printer")
	}
	return sess, nil
}

// startJob runs job id in the background. A job that cannot start stays
// queued, and the reason goes out as its progress.
func (a *App) startJob(id int64, actor string) {
	ctx := a.context()
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		j, err := a.opts.Runner.RunJob(ctx, id, actor)
		switch {
		case err == nil:
			a.log.Info("job ran", "job", id, "state", j.State)
		case j != nil && j.State != issuance.Queued:
			a.log.Warn("job stopped", "job", id, "state", j.State, "err", err)
		default:
			// The job is still queued: the devices could not be opened, or a
			// check before the feed (such as a card left in the encoder)
			// refused to start. The screen shows why.
			a.log.Warn("job did not start", "job", id, "err", err)
			if !errors.Is(err, context.Canceled) {
				a.opts.Issuance.Bus().Publish(issuance.Progress{JobID: id, State: issuance.Queued,
					Step: StepWaitingForPrinter, Message: err.Error(), At: time.Now()})
			}
		}
	}()
}

// forwardProgress sends every job step to the frontend until ctx ends.
func (a *App) forwardProgress(ctx context.Context) {
	ch, stop := a.opts.Issuance.Bus().Subscribe(256)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-ch:
			a.send(EventJobProgress, a.withAdvice(progressView(p)))
			// A card taken or returned changes the stock in the status bar.
			if p.State == issuance.CardFed || p.State == issuance.Queued {
				a.publishStatus()
			}
		}
	}
}

func progressView(p issuance.Progress) JobProgress {
	return JobProgress{JobID: p.JobID, State: string(p.State), Step: p.Step, Percent: p.Percent,
		Message: p.Message, At: p.At.UTC().Format(time.RFC3339Nano)}
}

// waitJobs waits up to timeout for the jobs started in the background to
// stop, so the devices are not closed under a running job. It reports
// whether they stopped.
func (a *App) waitJobs(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		a.jobs.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
