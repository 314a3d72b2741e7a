package ui

import (
	"context"
	"time"

	appsync "permitdesk/app/sync"
)

// CentralLink reports the link to the central permit system. The sync
// service satisfies it.
type CentralLink interface {
	Status(ctx context.Context) (appsync.Status, error)
}

// centralStatus reports the link: from the sync service when there is one,
// else from the configuration alone.
func (a *App) centralStatus(ctx context.Context) CentralStatus {
	c := a.opts.Config.Central
	if a.opts.Central == nil {
		if c.URL == "" {
			return CentralStatus{State: CentralOfflineOnly}
		}
		return CentralStatus{State: CentralUnknown, URL: c.URL}
	}
	st, err := a.opts.Central.Status(ctx)
	if err != nil {
		return CentralStatus{State: CentralUnknown, URL: c.URL, Detail: err.Error()}
	}
	out := CentralStatus{URL: c.URL, Pending: st.OutboxDepth, Detail: st.LastError}
	if st.LastSuccess != nil {
		out.LastSync = st.LastSuccess.UTC().Format(time.RFC3339)
	}
	switch {
	case !st.Configured:
		out.State = CentralOfflineOnly
	case st.Online:
		out.State = CentralUp
	case st.LastSuccess == nil && st.OfflineSince == nil:
		out.State = CentralUnknown
	default:
		out.State = CentralDown
	}
	return out
}

// watchCentral sends EventStatusChanged whenever the central link differs
// from last, the state already shown, checking every interval until ctx
// ends. The sync service has no change stream, so this polls.
func (a *App) watchCentral(ctx context.Context, interval time.Duration, last CentralStatus) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := a.centralStatus(ctx)
		if now != last {
			last = now
			a.publishStatus()
		}
	}
}
