package ui

import (
	"context"
	"errors"

	"permitdesk/app/config"
	"permitdesk/devices/registry"
)

// RegistryDevices is a DeviceSource over a running device registry. Devices
// the configuration does not name stay "not_configured"; every configured
// one shows the registry's state, location and reason.
type RegistryDevices struct {
	Registry *registry.Registry
	Config   config.Devices
}

// DeviceStatuses returns one entry per device kind, in ConfigDevices' order.
func (r RegistryDevices) DeviceStatuses(ctx context.Context) []DeviceStatus {
	out := ConfigDevices{Config: r.Config}.DeviceStatuses(ctx)
	live := map[string]registry.Status{}
	for _, s := range r.Registry.Snapshot() {
		live[s.Name] = s
	}
	for i, d := range out {
		s, ok := live[d.ID]
		if !ok {
			continue
		}
		out[i].State, out[i].Detail = string(s.State), s.Reason
		if s.Path != "" {
			out[i].Name = s.Path
		}
	}
	return out
}

// watchDevices sends EventStatusChanged for every registry event until ctx
// ends. A subscription that fell behind is replaced, and the fresh snapshot
// is sent, so the status bar never stays stale.
func (a *App) watchDevices(ctx context.Context, reg *registry.Registry) {
	for ctx.Err() == nil {
		sub := reg.Subscribe()
		a.publishStatus()
		for {
			_, err := sub.Next(ctx)
			if err != nil {
				sub.Close()
				if !errors.Is(err, registry.ErrFellBehind) && ctx.Err() == nil {
					a.log.Warn("device events stopped", "err", err)
					return
				}
				break
			}
			a.publishStatus()
		}
	}
}
