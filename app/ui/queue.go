package ui

import (
	"time"

	"permitdesk/app/issuance"
	"permitdesk/app/operators"
)

// JobFilter selects jobs for the Queue screen.
type JobFilter struct {
	// States keeps jobs in these issuance states; empty means all.
	States []string `json:"states"`
	// Limit caps the count, newest first; 0 means 100.
	Limit int `json:"limit"`
}

// JobView is one issuance job as the Queue screen shows it.
type JobView struct {
	ID            int64  `json:"id"`
	ApplicationID string `json:"applicationId"`
	PermitNumber  string `json:"permitNumber"`
	Kind          string `json:"kind"`
	State         string `json:"state"`
	// Percent is the job's progress through the issuing steps, 0 to 100.
	Percent int    `json:"percent"`
	Attempt int    `json:"attempt"`
	Printer string `json:"printer"`
	// AttentionFrom is the state the job stopped in when it needs attention.
	AttentionFrom string `json:"attentionFrom"`
	// Attention is the evidence about the card, or the reason it was spoiled.
	Attention string `json:"attention"`
	// Advice is the operator's next action for a printer failure named in
	// Attention, in the window's language; empty otherwise.
	Advice string `json:"advice"`
	// CardSerial is the chip serial of the job's current card, if known.
	CardSerial string `json:"cardSerial"`
	// Choices are the decisions the job allows: continue, retry, void.
	Choices   []string `json:"choices"`
	CreatedAt string   `json:"createdAt"`
	UpdatedAt string   `json:"updatedAt"`
}

// SupervisorApproval is a supervisor's login and password entered at the
// station to approve one action.
type SupervisorApproval struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// Jobs lists issuance jobs, newest first.
func (a *App) Jobs(filter JobFilter) ([]JobView, error) {
	if _, err := a.currentSession(); err != nil {
		return nil, err
	}
	if a.opts.Issuance == nil {
		return nil, errNoService("issuance")
	}
	o := issuance.ListOptions{Limit: filter.Limit}
	for _, s := range filter.States {
		o.States = append(o.States, issuance.State(s))
	}
	jobs, err := a.opts.Issuance.List(a.context(), o)
	if err != nil {
		return nil, toError(err)
	}
	out := make([]JobView, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, a.advisedJob(j))
	}
	return out, nil
}

// HandoverJob records that the card of a job was handed to the holder.
func (a *App) HandoverJob(id int64) (JobView, error) {
	sess, err := a.issuanceSession()
	if err != nil {
		return JobView{}, err
	}
	j, err := a.opts.Issuance.Handover(a.context(), sess, id)
	return a.jobResult(j, err)
}

// VoidJob ends a job that is not at the printer and voids its card. A
// supervisor approves it in place with their login and password.
func (a *App) VoidJob(id int64, reason string, approval SupervisorApproval) (JobView, error) {
	sess, err := a.issuanceSession()
	if err != nil {
		return JobView{}, err
	}
	if reason == "" {
		return JobView{}, Errorf(CodeInvalidArgument, "a reason is required to void job %d", id)
	}
	ap, err := a.opts.Operators.Approve(a.context(), sess, approval.Login, approval.Password, issuance.ApproveVoid)
	if err != nil {
		return JobView{}, toError(err)
	}
	j, err := a.opts.Issuance.Void(a.context(), sess, id, ap.ID, reason)
	return a.jobResult(j, err)
}

func (a *App) issuanceSession() (*operators.Session, error) {
	sess, err := a.currentSession()
	if err != nil {
		return nil, err
	}
	if a.opts.Issuance == nil {
		return nil, errNoService("issuance")
	}
	return sess, nil
}

func (a *App) jobResult(j *issuance.Job, err error) (JobView, error) {
	if err != nil {
		return JobView{}, toError(err)
	}
	return a.advisedJob(j), nil
}

func jobView(j *issuance.Job) JobView {
	v := JobView{
		ID: j.ID, ApplicationID: j.ApplicationID, PermitNumber: j.PermitNumber, Kind: j.Kind,
		State: string(j.State), Percent: j.State.Percent(), Attempt: j.Attempt, Printer: j.Printer,
		AttentionFrom: string(j.AttentionFrom), Attention: j.Attention,
		Choices:   []string{},
		CreatedAt: j.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: j.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if j.Card != nil {
		v.CardSerial = j.Card.Serial
	}
	for _, c := range j.Choices() {
		v.Choices = append(v.Choices, string(c))
	}
	return v
}
