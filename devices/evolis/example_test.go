package evolis_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
)

// Example shows the issuance steps a workflow records one by one: feed to
// the contactless station, encode, print both faces and eject. On failure
// the card goes to the reject box and counts as spoiled.
func Example() {
	ctx := context.Background()
	p, err := evolis.Open(ctx, evolis.Options{
		Port:    serialport.Options{USBSerial: "FT4ABCDE", Baud: 115200},
		Timeout: 5 * time.Second,
	})
	if err != nil {
		fmt.Println(evolis.Message(evolis.CodeOffline, "zh-CN"))
		return
	}
	defer p.Close()

	front, back := make(evolis.Face, evolis.PanelBytes), make(evolis.Face, evolis.PanelBytes)
	job, err := p.FeedToContactless(ctx)
	if err != nil {
		return
	}
	encode := func() error { return nil } // the chip is written over PC/SC here
	if err := encode(); err != nil {
		p.EjectToReject(ctx, job)
		return
	}
	err = p.PrintFaces(ctx, job, front, back)
	if errors.Is(err, devices.ErrUnconfirmed) {
		// Never print again: ask the counters whether the card was printed.
		if _, err := p.Settle(ctx, job); err != nil {
			return
		}
	}
	if job.State != evolis.JobPrinted {
		p.EjectToReject(ctx, job)
		fmt.Println("spoiled cards:", job.Spoiled)
		return
	}
	if err := p.Eject(ctx, job); err == nil {
		fmt.Println("delivered; blank cards spoiled on the way:", job.Spoiled)
	}
}
