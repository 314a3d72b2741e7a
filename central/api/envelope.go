package api

// Enveloped is a response that carries the server clock and sequence.
type Enveloped interface {
	Env() Envelope
}

// Env returns the envelope fields.
func (r TimeResponse) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r ApplicationPage) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r RevocationPage) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r HouseCodePage) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r HouseCodeResponse) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r PermitStatusResponse) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r RecordResults) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r ErrorResponse) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}

// Env returns the envelope fields.
func (r SealKeyList) Env() Envelope {
	return Envelope{ServerTime: r.ServerTime, ServerSeq: r.ServerSeq}
}
