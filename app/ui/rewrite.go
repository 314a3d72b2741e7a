package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"permitdesk/app/operators"
	"permitdesk/app/rewrite"
	appsync "permitdesk/app/sync"
)

// HouseRegister looks house codes up in the city's house register. The
// sync service satisfies it.
type HouseRegister interface {
	LookupHouseCode(ctx context.Context, code string) (appsync.HouseCodeLookup, error)
}

// AddressRewriter reads permit cards at the desk reader and changes their
// address. *rewrite.Service implements it.
type AddressRewriter interface {
	Read(ctx context.Context) (rewrite.CardView, error)
	Check(ctx context.Context, sess *operators.Session, houseCode string) (rewrite.Proposal, error)
	Preview(old, next rewrite.Address) (rewrite.StripPreview, error)
	Start(ctx context.Context, sess *operators.Session, houseCode string) (rewrite.Job, error)
	Resume(ctx context.Context, sess *operators.Session, id int64) (rewrite.Job, error)
	RollBack(ctx context.Context, sess *operators.Session, id int64) (rewrite.Job, error)
	Reprint(ctx context.Context, sess *operators.Session, id int64) (rewrite.Job, error)
	Job(ctx context.Context, id int64) (rewrite.Job, error)
	Jobs(ctx context.Context, states []rewrite.State, limit int) ([]rewrite.Job, error)
	Subscribe(buffer int) (<-chan rewrite.Progress, func())
	Snapshot() []rewrite.Progress
}

// jobRecoverer is an AddressRewriter that can mark the jobs a stopped
// workstation left mid-way as needing attention.
type jobRecoverer interface {
	Recover(ctx context.Context) (int, error)
}

// rewriteJobsLimit is how many recent jobs RewriteJobs returns.
const rewriteJobsLimit = 20

// HouseCodeView is a house code's address as the Rewrite screen shows it.
type HouseCodeView struct {
	HouseCode string `json:"houseCode"`
	District  string `json:"district"`
	Street    string `json:"street"`
	Community string `json:"community"`
	Detail    string `json:"detail"`
	// Line is the whole address on one line, as the strip prints it.
	Line string `json:"line"`
	// Retired register entries may not be used for new addresses.
	Retired bool `json:"retired"`
	// Online is false when the result comes from the local copy of the
	// register, last refreshed at AsOf (RFC 3339).
	Online bool   `json:"online"`
	AsOf   string `json:"asOf"`
}

// LookupHouseCode finds the address of a house code, the first step of an
// address rewrite. Technicians and supervisors only.
func (a *App) LookupHouseCode(code string) (HouseCodeView, error) {
	sess, err := a.currentSession()
	if err != nil {
		return HouseCodeView{}, err
	}
	if err := operators.Require(sess, operators.Technician, operators.Supervisor); err != nil {
		return HouseCodeView{}, toError(err)
	}
	if a.opts.Houses == nil {
		return HouseCodeView{}, errNoService("sync")
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return HouseCodeView{}, Errorf(CodeInvalidArgument, "enter the house code printed on the house plate")
	}
	r, err := a.opts.Houses.LookupHouseCode(a.context(), code)
	if err != nil {
		return HouseCodeView{}, toError(err)
	}
	v := HouseCodeView{HouseCode: r.Address.HouseCode, District: r.Address.District, Street: r.Address.Street,
		Community: r.Address.Community, Detail: r.Address.Detail, Line: r.Address.Line(),
		Retired: r.Retired, Online: r.Online}
	if !r.AsOf.IsZero() {
		v.AsOf = r.AsOf.UTC().Format(time.RFC3339)
	}
	return v, nil
}

// RewriteReadiness reports whether this window can change card addresses,
// and which configuration keys it lacks when it cannot.
func (a *App) RewriteReadiness() (RewriteReadinessView, error) {
	if _, err := a.rewriteSession(); err != nil {
		return RewriteReadinessView{}, err
	}
	v := RewriteReadinessView{Ready: a.opts.Rewrite != nil, Missing: append([]string{}, a.opts.RewriteMissing...),
		Detail: a.opts.RewriteError}
	if !v.Ready && len(v.Missing) == 0 && v.Detail == "" {
		v.Detail = "the address rewrite service is not running in this window"
	}
	return v, nil
}

// ReadRewriteCard reads the permit card at the desk reader: holder, permit,
// current address, history, seal and revocation state, and the card's open
// rewrite job if it has one.
func (a *App) ReadRewriteCard() (RewriteCardView, error) {
	svc, _, err := a.rewriteService()
	if err != nil {
		return RewriteCardView{}, err
	}
	c, err := svc.Read(a.context())
	if err != nil {
		a.log.Warn("rewrite card read failed", "err", err)
		return RewriteCardView{}, rewriteError(err)
	}
	a.log.Info("rewrite card read", "serial", c.Serial, "permit", c.PermitNumber)
	return a.cardView(c), nil
}

// PreviewRewrite reads the card at the desk reader, looks the house code up
// and renders the strip with the card's address and with the new one. It
// returns an error naming the reason for an unknown or retired house code,
// for a code that gives the card's current address, and for a card that must
// not be changed.
func (a *App) PreviewRewrite(houseCode string) (RewritePreviewView, error) {
	svc, sess, err := a.rewriteService()
	if err != nil {
		return RewritePreviewView{}, err
	}
	p, err := svc.Check(a.context(), sess, houseCode)
	if err != nil {
		a.log.Info("address change rejected", "house_code", strings.TrimSpace(houseCode), "err", err)
		return RewritePreviewView{}, rewriteError(err)
	}
	strips, err := svc.Preview(p.Card.Address, p.NewAddress)
	if err != nil {
		return RewritePreviewView{}, rewriteError(err)
	}
	v := RewritePreviewView{Card: a.cardView(p.Card), NewAddress: addressView(p.NewAddress),
		OldStrip: dataURL("image/png", strips.Old), NewStrip: dataURL("image/png", strips.New),
		LookupOnline: p.LookupOnline}
	if !p.LookupAsOf.IsZero() {
		v.LookupAsOf = p.LookupAsOf.UTC().Format(time.RFC3339)
	}
	return v, nil
}

// StartRewrite checks the change again on the card at the desk reader, which
// must be the card with serial cardSerial when that is not empty, then runs
// the address change in the background and returns the new job. Progress
// follows as EventRewriteProgress, and RewriteJob returns the latest state.
func (a *App) StartRewrite(houseCode, cardSerial string) (RewriteJobView, error) {
	svc, sess, err := a.rewriteService()
	if err != nil {
		return RewriteJobView{}, err
	}
	ctx := a.context()
	p, err := svc.Check(ctx, sess, houseCode)
	if err != nil {
		return RewriteJobView{}, rewriteError(err)
	}

	if cardSerial != "" && p.Card.Serial != cardSerial {
		return RewriteJobView{}, Errorf(CodeCardRejected, "card %s is at the desk reader, the previewed change is "+
			"for card %s: present card %s, or read the card again", p.Card.Serial, cardSerial, cardSerial)
	}

	events, stop := svc.Subscribe(16)
	defer stop()
	type result struct {
		job rewrite.Job
		err error
	}
	finished := make(chan result, 1)
	go func() {
		j, err := svc.Start(ctx, sess, houseCode)
		if err != nil {
			a.log.Error("address change did not start", "house_code", houseCode, "err", err)
		} else {
			a.log.Info("address change ended", "job", j.ID, "serial", j.CardSerial, "state", j.State)
		}
		finished <- result{j, err}
	}()

	// Start publishes StepCheck once its job is stored, while it holds the
	// service's run lock, so the first StepCheck is this call's job.
	for {
		select {
		case pr := <-events:
			if pr.Step != rewrite.StepCheck {
				continue
			}
			j, err := svc.Job(ctx, pr.JobID)
			if err != nil {
				return RewriteJobView{}, rewriteError(err)
			}
			return a.jobView(j), nil
		case r := <-finished:
			if r.err != nil {
				return RewriteJobView{}, rewriteError(r.err)
			}
			return a.jobView(r.job), nil
		}
	}
}

// RewriteJob returns one address change with its latest progress.
func (a *App) RewriteJob(id int64) (RewriteJobView, error) {
	svc, _, err := a.rewriteService()
	if err != nil {
		return RewriteJobView{}, err
	}
	j, err := svc.Job(a.context(), id)
	if err != nil {
		return RewriteJobView{}, rewriteError(err)
	}
	return a.jobView(j), nil
}

// RewriteJobs returns the 20 newest address changes, newest first,
// including those that need attention.
func (a *App) RewriteJobs() ([]RewriteJobView, error) {
	svc, _, err := a.rewriteService()
	if err != nil {
		return nil, err
	}
	js, err := svc.Jobs(a.context(), nil, rewriteJobsLimit)
	if err != nil {
		return nil, rewriteError(err)
	}
	out := make([]RewriteJobView, 0, len(js))
	for _, j := range js {
		out = append(out, a.jobView(j))
	}
	return out, nil
}

// ResumeRewrite finishes an interrupted chip write on the job's card at the
// desk reader and prints the strip. It returns when the job ends.
func (a *App) ResumeRewrite(id int64) (RewriteJobView, error) {
	return a.recoverJob(id, rewrite.ChoiceResume)
}

// RollBackRewrite restores the old address on the job's card at the desk
// reader after an interrupted chip write.
func (a *App) RollBackRewrite(id int64) (RewriteJobView, error) {
	return a.recoverJob(id, rewrite.ChoiceRollBack)
}

// ReprintRewriteStrip prints the job's strip again without touching the
// chip, for "chip updated, strip not reprinted". It returns when the job
// ends.
func (a *App) ReprintRewriteStrip(id int64) (RewriteJobView, error) {
	return a.recoverJob(id, rewrite.ChoiceReprint)
}

func (a *App) recoverJob(id int64, choice rewrite.Choice) (RewriteJobView, error) {
	svc, sess, err := a.rewriteService()
	if err != nil {
		return RewriteJobView{}, err
	}
	ctx := a.context()
	var j rewrite.Job
	switch choice {
	case rewrite.ChoiceResume:
		j, err = svc.Resume(ctx, sess, id)
	case rewrite.ChoiceRollBack:
		j, err = svc.RollBack(ctx, sess, id)
	default:
		j, err = svc.Reprint(ctx, sess, id)
	}
	if err != nil {
		a.log.Warn("rewrite recovery failed", "job", id, "choice", choice, "err", err)
		return RewriteJobView{}, rewriteError(err)
	}
	a.log.Info("rewrite recovery ended", "job", id, "choice", choice, "state", j.State)
	return a.jobView(j), nil
}

// rewriteSession returns the live session of a technician or supervisor.
func (a *App) rewriteSession() (*operators.Session, error) {
	sess, err := a.currentSession()
	if err != nil {
		return nil, err
	}
	if err := operators.Require(sess, operators.Technician, operators.Supervisor); err != nil {
		return nil, toError(err)
	}
	return sess, nil
}

// rewriteService returns the rewrite service and the session of a
// technician or supervisor, or an error that names what is missing.
func (a *App) rewriteService() (AddressRewriter, *operators.Session, error) {
	sess, err := a.rewriteSession()
	if err != nil {
		return nil, nil, err
	}
	if a.opts.Rewrite == nil {
		return nil, nil, a.rewriteUnavailable()
	}
	return a.opts.Rewrite, sess, nil
}

func (a *App) rewriteUnavailable() *Error {
	if len(a.opts.RewriteMissing) > 0 {
		return Errorf(CodeDeviceNotConfig, "the address rewrite needs %s in the configuration file: set it "+
			"and restart the window", strings.Join(a.opts.RewriteMissing, " and "))
	}
	if a.opts.RewriteError != "" {
		return Errorf(CodeUnavailable, "the address rewrite did not start: %s", a.opts.RewriteError)
	}
	return errNoService("address rewrite")
}

// startRewrite marks the jobs a stopped workstation left mid-way as needing
// attention, then forwards the rewrite service's progress to the frontend
// as EventRewriteProgress until ctx ends. It subscribes before it returns,
// so no progress of a job started afterwards is lost.
func (a *App) startRewrite(ctx context.Context) {
	svc := a.opts.Rewrite
	if svc == nil {
		return
	}
	if r, ok := svc.(jobRecoverer); ok {
		n, err := r.Recover(ctx)
		if err != nil {
			a.log.Error("rewrite recovery at start failed", "err", err)
		} else if n > 0 {
			a.log.Warn("interrupted address changes need attention", "jobs", n)
		}
	}
	events, stop := svc.Subscribe(0)
	go func() {
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case p := <-events:
				a.send(EventRewriteProgress, rewriteProgressView(p))
			}
		}
	}()
}

// CodeCardRejected means the card at the desk reader must not be changed,
// because it contains no issued permit, its seal does not verify, the
// permit is revoked or outside this station's register, or the chip does
// not match the job.
const CodeCardRejected = "card_rejected"

// rewriteCodes maps the rewrite service's errors to codes, in the order
// they are tested. Other errors get the codes of toError.
var rewriteCodes = []struct {
	err  error
	code string
}{
	{appsync.ErrHouseCodeNotFound, CodeNotFound},
	{appsync.ErrHouseCodeFormat, CodeInvalidArgument},
	{rewrite.ErrHouseCode, CodeInvalidArgument},
	{rewrite.ErrSameAddress, CodeInvalidArgument},
	{rewrite.ErrNotFound, CodeNotFound},
	{rewrite.ErrOpenJob, CodeBadTransition},
	{rewrite.ErrChoice, CodeBadTransition},
	{rewrite.ErrBusy, CodeDeviceBusy},
	{rewrite.ErrNotPermitCard, CodeCardRejected},
	{rewrite.ErrSealInvalid, CodeCardRejected},
	{rewrite.ErrRevoked, CodeCardRejected},
	{rewrite.ErrRevocationCheck, CodeCardRejected},
	{rewrite.ErrNotRegistered, CodeCardRejected},
	{rewrite.ErrChipMismatch, CodeCardRejected},
}

func rewriteError(err error) *Error {
	for _, c := range rewriteCodes {
		if errors.Is(err, c.err) {
			return &Error{Code: c.code, Message: err.Error()}
		}
	}
	return toError(err)
}
