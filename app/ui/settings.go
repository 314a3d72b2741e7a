package ui

import (
	"context"

	"permitdesk/app/operators"
	appsync "permitdesk/app/sync"
)

// LotView is a box of blank cards and its counts.
type LotView struct {
	Number     string `json:"number"`
	Received   int64  `json:"received"`
	ReceivedAt string `json:"receivedAt"`
	Adjusted   int64  `json:"adjusted"`
	Taken      int64  `json:"taken"`
	OnHand     int64  `json:"onHand"`
}

// SyncResult sums up one sync round started from the window.
type SyncResult struct {
	// Pulled counts approved applications received.
	Pulled int `json:"pulled"`
	// Pushed counts card records the central system now holds.
	Pushed int `json:"pushed"`
}

// Syncer runs one sync round with the central system. The sync service
// satisfies it.
type Syncer interface {
	SyncOnce(ctx context.Context) (appsync.Report, error)
}

// DeviceScanner looks for the configured devices again. The device
// registry satisfies it.
type DeviceScanner interface {
	Scan(ctx context.Context)
}

// SyncNow runs one sync round: pull approved applications, push card
// records. It fails with the link's error when the central system cannot
// be reached; the records stay queued.
func (a *App) SyncNow() (SyncResult, error) {
	if _, err := a.currentSession(); err != nil {
		return SyncResult{}, err
	}
	if a.opts.Syncer == nil {
		return SyncResult{}, errNoService("sync")
	}
	rep, err := a.opts.Syncer.SyncOnce(a.context())
	a.publishStatus()
	if err != nil {
		return SyncResult{}, toError(err)
	}
	return SyncResult{Pulled: rep.Pulled.Applications, Pushed: rep.Pushed.Accepted + rep.Pushed.Duplicate}, nil
}

// CheckDevices looks for every configured device again and returns the
// status bar's new state; it is the Settings screen's test button.
func (a *App) CheckDevices() Status {
	if a.opts.Scanner != nil {
		a.opts.Scanner.Scan(a.context())
	}
	st := a.StatusSnapshot()
	a.send(EventStatusChanged, st)
	return st
}

// CardStock lists the lots of blank cards. Supervisor only.
func (a *App) CardStock() ([]LotView, error) {
	if _, err := a.supervisorSession(); err != nil {
		return nil, err
	}
	lots, err := a.opts.Issuance.Lots(a.context())
	if err != nil {
		return nil, toError(err)
	}
	out := make([]LotView, 0, len(lots))
	for _, l := range lots {
		out = append(out, LotView{Number: l.Number, Received: l.Received, ReceivedAt: l.ReceivedAt,
			Adjusted: l.Adjusted, Taken: l.Taken, OnHand: l.OnHand})
	}
	return out, nil
}

// ReceiveCardLot records a box of count blank cards. Supervisor only. The
// issuance service checks the lot number and count, and its rejections
// arrive with code invalid_argument.
func (a *App) ReceiveCardLot(number string, count int64) (LotView, error) {
	sess, err := a.supervisorSession()
	if err != nil {
		return LotView{}, err
	}
	l, err := a.opts.Issuance.ReceiveLot(a.context(), sess, number, count)
	if err != nil {
		return LotView{}, toError(err)
	}
	a.publishStatus()
	return LotView{Number: l.Number, Received: l.Received, ReceivedAt: l.ReceivedAt, Adjusted: l.Adjusted,
		Taken: l.Taken, OnHand: l.OnHand}, nil
}

func (a *App) supervisorSession() (*operators.Session, error) {
	sess, err := a.issuanceSession()
	if err != nil {
		return nil, err
	}
	if err := operators.Require(sess, operators.Supervisor); err != nil {
		return nil, toError(err)
	}
	return sess, nil
}
