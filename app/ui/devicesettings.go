package ui

import (
	"context"
	"fmt"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/operators"
	"permitdesk/app/overrides"
	"permitdesk/devices/registry"
)

// DeviceFinder lists the devices attached to the machine now, configured
// or not.
type DeviceFinder interface {
	Discover(ctx context.Context) registry.Found
}

// DeviceReconfigurer gives the running window a new [devices] table. It
// returns the slots whose new device is used only after the window
// restarts.
type DeviceReconfigurer interface {
	ReconfigureDevices(ctx context.Context, d config.Devices) (restart []string, err error)
}

// DeviceSetup is the set of services the Settings screen assigns devices
// with.
type DeviceSetup struct {
	// File is the [devices] table as the configuration file sets it.
	File config.Devices
	// Overrides stores the assignments; required.
	Overrides *overrides.Service
	// Finder lists the attached devices; required.
	Finder DeviceFinder
	// Reconfigure applies the devices to the running window; nil means
	// every change is used after the window restarts.
	Reconfigure DeviceReconfigurer
}

// FoundDevicesView is every device attached to the machine now.
type FoundDevicesView struct {
	Readers     []string          `json:"readers"`
	SerialPorts []FoundSerialPort `json:"serialPorts"`
	HID         []FoundHIDDevice  `json:"hid"`
	// ReadersError, SerialError and HIDError give in English the reason
	// that list could not be read, such as pcscd not running. They are
	// empty when it was read.
	ReadersError string `json:"readersError"`
	SerialError  string `json:"serialError"`
	HIDError     string `json:"hidError"`
}

// FoundSerialPort is a serial port attached now.
type FoundSerialPort struct {
	Path string `json:"path"`
	// Device is the device node a link Path points to; empty otherwise.
	Device string `json:"device"`
	// USB is true for a USB serial adapter, with its ids, serial number
	// and product name when the system reports them.
	USB          bool   `json:"usb"`
	VendorID     string `json:"vendorId"`
	ProductID    string `json:"productId"`
	SerialNumber string `json:"serialNumber"`
	Product      string `json:"product"`
}

// FoundHIDDevice is a HID interface attached now.
type FoundHIDDevice struct {
	Path string `json:"path"`
	// VendorID and ProductID are 4 lower-case hexadecimal digits.
	VendorID     string `json:"vendorId"`
	ProductID    string `json:"productId"`
	Serial       string `json:"serial"`
	Manufacturer string `json:"manufacturer"`
	Product      string `json:"product"`
}

// DeviceChoice is a device of the found list: Reader for transport
// "pcsc", Port for "serial", VendorID, ProductID and Serial for "hid".
type DeviceChoice struct {
	Transport string `json:"transport"`
	Reader    string `json:"reader"`
	Port      string `json:"port"`
	// USBSerial is set instead of Port when the station finds the port by
	// its USB serial number. DeviceSettings fills it and AssignDevice
	// ignores it: a port is chosen by its path.
	USBSerial string `json:"usbSerial"`
	VendorID  string `json:"vendorId"`
	ProductID string `json:"productId"`
	Serial    string `json:"serial"`
}

// DeviceSlotView is one device slot of the Settings screen.
type DeviceSlotView struct {
	// Slot is a DeviceStatus ID: encoder, psam, desk_reader, printer,
	// rewriter, idreader or scanner.
	Slot string `json:"slot"`
	// Transports are those the slot accepts: pcsc, serial or hid.
	Transports []string `json:"transports"`
	// File describes the configuration file's device in English, such as
	// "port /dev/ttyUSB0"; empty when the file leaves the slot empty.
	File string `json:"file"`
	// Override describes the device assigned on this station; empty when
	// the slot uses the file's device.
	Override string `json:"override"`
	SetBy    string `json:"setBy"`
	// SetAt is RFC 3339, empty without an override.
	SetAt string `json:"setAt"`
	// Current is the device the station uses; Transport is empty when
	// the slot has none.
	Current DeviceChoice `json:"current"`
}

// DeviceSettingsView is the device section of the Settings screen.
type DeviceSettingsView struct {
	Slots []DeviceSlotView `json:"slots"`
	// Assignable is false when this window cannot assign devices.
	Assignable bool `json:"assignable"`
	// RestartNeeded lists the slots changed since the window started whose
	// new device is used only after a restart.
	RestartNeeded []string `json:"restartNeeded"`
	// Problem gives in English the reason some overrides are not used,
	// such as a stored value this version cannot read. It is empty when
	// all are used.
	Problem string `json:"problem"`
}

// FoundDevices lists every PC/SC reader, serial port and HID device
// attached now, for choosing a device. Technicians and supervisors only.
func (a *App) FoundDevices() (FoundDevicesView, error) {
	setup, _, err := a.deviceSetupSession()
	if err != nil {
		return FoundDevicesView{}, err
	}
	return foundView(setup.Finder.Discover(a.context())), nil
}

// DeviceSettings returns each slot's device as the file sets it, its
// override and the device in use.
func (a *App) DeviceSettings() (DeviceSettingsView, error) {
	return a.deviceSettings(a.context(), ""), nil
}

// AssignDevice makes choice, a device of the FoundDevices list, slot's
// device on this station, replacing the configuration file's. The change
// is stored, audited and applied to the running window. Technicians and
// supervisors only.
func (a *App) AssignDevice(slot string, choice DeviceChoice) (DeviceSettingsView, error) {
	setup, sess, err := a.deviceSetupSession()
	if err != nil {
		return DeviceSettingsView{}, err
	}
	a.deviceMu.Lock()
	defer a.deviceMu.Unlock()
	ctx := a.context()
	found := setup.Finder.Discover(ctx)
	_, err = setup.Overrides.Assign(ctx, sess, overrides.Slot(slot), choiceOf(choice), found)
	if err != nil {
		a.log.Warn("device not assigned", "slot", slot, "by", sess.Operator.Login, "err", err)
		return DeviceSettingsView{}, toError(err)
	}
	return a.deviceSettings(ctx, a.applyDevices(ctx, setup, slot)), nil
}

// ClearDeviceOverride makes slot use the configuration file's device
// again. Without an override it changes nothing. Technicians and
// supervisors only.
func (a *App) ClearDeviceOverride(slot string) (DeviceSettingsView, error) {
	setup, sess, err := a.deviceSetupSession()
	if err != nil {
		return DeviceSettingsView{}, err
	}
	a.deviceMu.Lock()
	defer a.deviceMu.Unlock()
	ctx := a.context()
	cleared, err := setup.Overrides.Clear(ctx, sess, overrides.Slot(slot))
	if err != nil {
		return DeviceSettingsView{}, toError(err)
	}
	if !cleared {
		return a.deviceSettings(ctx, ""), nil
	}
	return a.deviceSettings(ctx, a.applyDevices(ctx, setup, slot)), nil
}

// deviceSetupSession returns the device setup and the session of a
// logged-in technician or supervisor.
func (a *App) deviceSetupSession() (*DeviceSetup, *operators.Session, error) {
	sess, err := a.currentSession()
	if err != nil {
		return nil, nil, err
	}
	if err := operators.Require(sess, operators.Technician, operators.Supervisor); err != nil {
		return nil, nil, toError(err)
	}
	if a.opts.DeviceSetup == nil {
		return nil, nil, errNoService("device assignment")
	}
	return a.opts.DeviceSetup, sess, nil
}

// applyDevices gives the running window the file's devices with the
// stored overrides, after slot changed, and updates the status bar. It
// returns a problem to show, or "" when the change was applied.
func (a *App) applyDevices(ctx context.Context, setup *DeviceSetup, slot string) string {
	defer a.publishStatus()
	if setup.Reconfigure == nil {
		a.markRestart(slot)
		return ""
	}
	list, err := setup.Overrides.List(ctx)
	if err != nil && list == nil {
		a.markRestart(slot)
		a.log.Error("device overrides not read after a change", "slot", slot, "err", err)
		return "the change is stored but not applied: " + err.Error() + "; restart the window"
	}
	restart, err := setup.Reconfigure.ReconfigureDevices(ctx, overrides.Apply(setup.File, list))
	if err != nil {
		a.markRestart(slot)
		a.log.Error("devices not reconfigured", "slot", slot, "err", err)
		return "the change is stored but not applied: " + err.Error() + "; restart the window"
	}
	// The window now runs on every stored override, so only the parts
	// that take devices at start remain behind.
	a.mu.Lock()
	a.restartSlots = map[string]bool{}
	a.mu.Unlock()
	for _, s := range restart {
		a.markRestart(s)
	}
	return ""
}

// markRestart records that the running window does not use slot's latest
// device everywhere yet.
func (a *App) markRestart(slot string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.restartSlots == nil {
		a.restartSlots = map[string]bool{}
	}
	a.restartSlots[slot] = true
}

// deviceSettings builds the view. A problem given is shown before any
// problem reading the overrides.
func (a *App) deviceSettings(ctx context.Context, problem string) DeviceSettingsView {
	v := DeviceSettingsView{Slots: []DeviceSlotView{}, RestartNeeded: []string{}, Problem: problem}
	file := a.opts.Config.Devices
	var list []overrides.Override
	if setup := a.opts.DeviceSetup; setup != nil {
		v.Assignable = true
		file = setup.File
		var err error
		list, err = setup.Overrides.List(ctx)
		if err != nil {
			a.log.Warn("device overrides not all read", "err", err)
			v.Problem = joinProblems(v.Problem, err.Error())
		}
	}

	current := overrides.Apply(file, list)
	bySlot := map[overrides.Slot]overrides.Override{}
	for _, o := range list {
		bySlot[o.Slot] = o
	}
	for _, slot := range overrides.Slots {
		o, overridden := bySlot[slot]
		v.Slots = append(v.Slots, slotView(slot, file, current, o, overridden))
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	for _, slot := range overrides.Slots {
		if a.restartSlots[string(slot)] {
			v.RestartNeeded = append(v.RestartNeeded, string(slot))
		}
	}
	return v
}

// slotView describes slot as file sets it and current uses it, with its
// override o when overridden.
func slotView(slot overrides.Slot, file, current config.Devices, o overrides.Override,
	overridden bool) DeviceSlotView {
	v := DeviceSlotView{Slot: string(slot), Transports: []string{}}
	for _, t := range slot.Transports() {
		v.Transports = append(v.Transports, string(t))
	}
	if f, ok := overrides.FileValue(file, slot); ok {
		v.File = f.String()
	}
	if overridden {
		v.Override, v.SetBy, v.SetAt = o.String(), o.SetBy, o.SetAt.UTC().Format(time.RFC3339)
	}
	if c, ok := overrides.FileValue(current, slot); ok {
		v.Current = DeviceChoice{Transport: string(c.Transport), Reader: c.Reader, Port: c.Port,
			USBSerial: c.USBSerial, VendorID: c.VendorID, ProductID: c.ProductID, Serial: c.Serial}
	}
	return v
}

func joinProblems(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func choiceOf(c DeviceChoice) overrides.Choice {
	return overrides.Choice{Transport: registry.Transport(c.Transport), Reader: c.Reader, Port: c.Port,
		VendorID: c.VendorID, ProductID: c.ProductID, Serial: c.Serial}
}

func hex4(id uint16) string { return fmt.Sprintf("%04x", id) }

func foundView(f registry.Found) FoundDevicesView {
	v := FoundDevicesView{Readers: append([]string{}, f.Readers...), SerialPorts: []FoundSerialPort{},
		HID: []FoundHIDDevice{}, ReadersError: f.ReadersError, SerialError: f.SerialError, HIDError: f.HIDError}
	for _, p := range f.SerialPorts {
		v.SerialPorts = append(v.SerialPorts, FoundSerialPort{Path: p.Path, Device: p.Device, USB: p.USB,
			VendorID: p.VendorID, ProductID: p.ProductID, SerialNumber: p.SerialNumber, Product: p.Product})
	}
	for _, d := range f.HID {
		v.HID = append(v.HID, FoundHIDDevice{Path: d.Path, VendorID: hex4(d.VendorID), ProductID: hex4(d.ProductID),
			Serial: d.Serial, Manufacturer: d.Manufacturer, Product: d.Product})
	}
	return v
}
