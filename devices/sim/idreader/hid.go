package idreadersim

import (
	"context"

	"permitdesk/devices/hidio"
	"permitdesk/devices/idreader"
)

// ReaderHIDInfo is the descriptor of the emulated HID reader: the USB ids
// shared by SDT-compatible readers, 0400:c35a, and the given serial number
// and path.
func ReaderHIDInfo(path, serial string) hidio.DeviceInfo {
	return hidio.DeviceInfo{Path: path, VendorID: 0x0400, ProductID: 0xc35a, Serial: serial,
		Manufacturer: "permitdesk", Product: "Emulated ID card reader"}
}

// ServeHID plugs an emulated HID reader into bus and responds to frames carried
// in 64-byte reports until ctx ends or the device is unplugged. Faults that
// damage a frame apply to the frame before it is chunked, and FaultSequence
// swaps the first two reports of a response.
func ServeHID(ctx context.Context, emu *Emulator, bus *hidio.Emulator, info hidio.DeviceInfo) (*hidio.Endpoint, <-chan error, error) {
	ep, err := bus.Plug(info, idreader.ReportSize)
	if err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- serveHID(ctx, emu, ep) }()
	return ep, done, nil
}

func serveHID(ctx context.Context, emu *Emulator, ep *hidio.Endpoint) error {
	var re idreader.Reassembler
	for {
		var out hidio.OutputReport
		select {
		case <-ctx.Done():
			return nil
		case <-ep.Gone():
			return nil
		case out = <-ep.Output():
		}
		frame, err := re.Add(out.Data)
		if err == nil && frame == nil {
			continue
		}
		resp := emu.Handle(frame, err)
		if err := sendReports(ep, Damage(resp.Frame, resp.Fault), resp.Fault); err != nil {
			return nil
		}
	}
}

func sendReports(ep *hidio.Endpoint, frame []byte, f Fault) error {
	if len(frame) == 0 {
		return nil
	}
	reports := idreader.Chunk(frame)
	if f == FaultSequence && len(reports) > 1 {
		reports[0], reports[1] = reports[1], reports[0]
	}
	for _, r := range reports {
		if err := ep.Input(r); err != nil {
			return err
		}
	}
	return nil
}
