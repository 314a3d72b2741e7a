package ui

// BuildInfo identifies the running binary. The linker sets its values (see
// the Makefile's build target).
type BuildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
}

// Status is everything the status bar shows. The frontend requests it once
// after subscribing to EventStatusChanged, which carries later copies.
type Status struct {
	Station  string         `json:"station"`
	Devices  []DeviceStatus `json:"devices"`
	Central  CentralStatus  `json:"central"`
	Stock    StockStatus    `json:"stock"`
	Operator OperatorStatus `json:"operator"`
}

// StockStatus is the count of blank cards the station holds.
type StockStatus struct {
	// Tracked is false when the station has no issuance service or no
	// card lot was received yet.
	Tracked bool  `json:"tracked"`
	OnHand  int64 `json:"onHand"`
	// Low is true at or below LowStock cards.
	Low bool `json:"low"`
}

// DeviceStatus is the state of one device.
type DeviceStatus struct {
	// ID is unique among the devices, so two of the same kind are told
	// apart: encoder, psam, desk_reader, printer, rewriter, idreader, scanner.
	ID string `json:"id"`
	// Kind is a devices.Kind.
	Kind string `json:"kind"`
	// Name is the configured reader name, port or USB id; empty when the
	// device is not configured.
	Name string `json:"name"`
	// State is a devices.State, DeviceNotConfigured or DeviceUnchecked.
	State string `json:"state"`
	// Detail explains an absent or failing device in English.
	Detail string `json:"detail"`
}

// CentralStatus is the state of the link to the central permit system.
type CentralStatus struct {
	// State is one of the Central... constants.
	State string `json:"state"`
	// URL is the configured base URL; empty for an offline-only station.
	URL string `json:"url"`
	// LastSync is the RFC 3339 time of the last successful sync, or empty.
	LastSync string `json:"lastSync"`
	// Pending counts local records not yet accepted by the central system.
	Pending int `json:"pending"`
	// Detail is the last sync error, in English, or empty.
	Detail string `json:"detail"`
}

// OperatorStatus is the operator session.
type OperatorStatus struct {
	LoggedIn bool   `json:"loggedIn"`
	Login    string `json:"login"`
	Name     string `json:"name"`
	// Role is clerk, technician or supervisor, and empty when no operator is
	// logged in.
	Role string `json:"role"`
}
