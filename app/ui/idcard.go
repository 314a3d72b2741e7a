package ui

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idcard"
	"permitdesk/devices/idreader"
	"permitdesk/devices/registry"
	"permitdesk/devices/serialport"
)

// idCardWait is how long ReadIDCard waits for a card to be placed.
const idCardWait = 10 * time.Second

// IDCardReader reads the national ID card on the reader.
type IDCardReader interface {
	ReadIdentity(ctx context.Context) (idcard.Identity, error)
}

// IdentityView is the holder's identity read from a national ID card.
type IdentityView struct {
	Name      string `json:"name"`
	Sex       string `json:"sex"`
	IDNumber  string `json:"idNumber"`
	BirthDate string `json:"birthDate"`
	Address   string `json:"address"`
	Authority string `json:"authority"`
	// ValidTo is the last day of validity, empty when LongTerm is set.
	ValidTo  string `json:"validTo"`
	LongTerm bool   `json:"longTerm"`
	// Expired is true when the card's validity ended before the day it was
	// read.
	Expired bool `json:"expired"`
}

// ReadIDCard reads the ID card on the reader, waiting up to 10 s for one to
// be placed. The Issue screen then searches the holder's applications.
func (a *App) ReadIDCard() (IdentityView, error) {
	if _, err := a.currentSession(); err != nil {
		return IdentityView{}, err
	}
	if a.opts.IDCards == nil {
		return IdentityView{}, errNoService("ID card reader")
	}
	ctx, cancel := context.WithTimeout(a.context(), idCardWait)
	defer cancel()
	id, err := a.opts.IDCards.ReadIdentity(ctx)
	if err != nil {
		a.log.Warn("ID card read failed", "err", err)
		return IdentityView{}, toError(err)
	}
	a.log.Info("ID card read", "id_number", logging.MaskID(id.Number))
	v := IdentityView{Name: id.Name, Sex: string(id.Sex), IDNumber: id.Number, BirthDate: id.BirthDate.String(),
		Address: id.Address, Authority: id.Authority, LongTerm: id.LongTerm,
		Expired: id.Expired(idcard.DateOf(time.Now()))}
	if !id.LongTerm {
		v.ValidTo = id.ValidTo.String()
	}
	return v, nil
}

// ConfigIDReader opens the ID card reader named by the configuration for
// each read and closes it after, so the port is free between reads. With a
// Registry, the read runs inside Registry.Use, which shows the reader busy.
type ConfigIDReader struct {
	Config   config.IDReader
	Registry *registry.Registry
}

// ReadIdentity waits for a card until ctx ends and reads it.
func (c ConfigIDReader) ReadIdentity(ctx context.Context) (idcard.Identity, error) {
	var id idcard.Identity
	read := func(ctx context.Context, _ registry.Location) error {
		r, err := c.open()
		if err != nil {
			return err
		}
		defer r.Close()
		rec, err := r.WaitRead(ctx, 300*time.Millisecond, false)
		id = rec.Identity
		return err
	}
	if c.Registry == nil {
		return id, read(ctx, registry.Location{})
	}
	return id, c.Registry.Use(ctx, "idreader", read)
}

func (c ConfigIDReader) open() (*idreader.Reader, error) {
	opts := idreader.Options{Name: "idreader", Timeout: c.Config.Timeout.Duration}
	if c.Config.Transport == "hid" {
		f, err := hidFilter(c.Config.HID)
		if err != nil {
			return nil, err
		}
		return idreader.OpenHID(hidio.USB{}, f, opts)
	}
	if c.Config.Port == "" && c.Config.USBSerial == "" {
		return nil, fmt.Errorf("no ID card reader configured: set devices.idreader.port or usb_serial: %w",
			devices.ErrNotConfigured)
	}
	return idreader.OpenSerial(serialport.Options{Path: c.Config.Port, USBSerial: c.Config.USBSerial,
		Baud: c.Config.Baud, FlowControl: c.Config.FlowControl}, opts)
}

func hidFilter(h config.HIDDevice) (hidio.Filter, error) {
	if h.VendorID == "" {
		return hidio.Filter{}, fmt.Errorf("no HID ID card reader configured: set devices.idreader.hid.vendor_id "+
			"and product_id: %w", devices.ErrNotConfigured)
	}
	vid, err := strconv.ParseUint(h.VendorID, 16, 16)
	if err != nil {
		return hidio.Filter{}, fmt.Errorf("devices.idreader.hid.vendor_id %q is not a hexadecimal id such as 0400",
			h.VendorID)
	}
	pid, err := strconv.ParseUint(h.ProductID, 16, 16)
	if err != nil {
		return hidio.Filter{}, fmt.Errorf("devices.idreader.hid.product_id %q is not a hexadecimal id such as c35a",
			h.ProductID)
	}
	return hidio.Filter{VendorID: uint16(vid), ProductID: uint16(pid), Serial: h.Serial}, nil
}
