package ui

import (
	"net/http"
	"time"

	"permitdesk/app/rewrite"
)

// progressTimeFormat writes progress times in UTC with a fixed number of
// digits, so the frontend can order two of them by comparing the strings.
const progressTimeFormat = "2006-01-02T15:04:05.000000000Z"

// RewriteReadinessView reports whether the window can change card addresses.
type RewriteReadinessView struct {
	Ready bool `json:"ready"`
	// Missing lists the configuration keys the address rewrite needs and
	// lacks, such as devices.rewriter.port.
	Missing []string `json:"missing"`
	// Detail is the error that kept the service from starting, in English,
	// or empty.
	Detail string `json:"detail"`
}

// RewriteAddressView is an address on a card or in the house register.
type RewriteAddressView struct {
	HouseCode string `json:"houseCode"`
	District  string `json:"district"`
	Street    string `json:"street"`
	Community string `json:"community"`
	Detail    string `json:"detail"`
	// Line is the standard one-line form, as the strip prints it.
	Line string `json:"line"`
}

// RewriteHistoryView is one replaced address on the card.
type RewriteHistoryView struct {
	// Sequence is the commit sequence the address had while it was current.
	Sequence int `json:"sequence"`
	// ChangedOn is the date it was replaced, YYYY-MM-DD.
	ChangedOn string             `json:"changedOn"`
	Address   RewriteAddressView `json:"address"`
}

// RewriteCardView is the permit card at the desk reader.
type RewriteCardView struct {
	Serial string `json:"serial"`
	// ChipState is personalised, address_torn and so on.
	ChipState  string `json:"chipState"`
	HolderName string `json:"holderName"`
	HolderSex  string `json:"holderSex"`
	BirthDate  string `json:"birthDate"`
	// IDNumber is masked: only its first 4 and last 2 characters are shown.
	IDNumber     string               `json:"idNumber"`
	PermitNumber string               `json:"permitNumber"`
	StationID    string               `json:"stationId"`
	ValidFrom    string               `json:"validFrom"`
	ValidTo      string               `json:"validTo"`
	Address      RewriteAddressView   `json:"address"`
	Sequence     int                  `json:"sequence"`
	History      []RewriteHistoryView `json:"history"`
	// Photo is the holder's photo as a data: URL, or empty.
	Photo     string `json:"photo"`
	SealValid bool   `json:"sealValid"`
	SealError string `json:"sealError"`
	Revoked   bool   `json:"revoked"`
	// RevocationNote explains a revocation, a check against the cached
	// feed, or a check that could not be made. It is empty when the central
	// system reported the permit valid.
	RevocationNote   string `json:"revocationNote"`
	RevocationOnline bool   `json:"revocationOnline"`
	// ReadError is set when the chip could not be decoded, such as after
	// an interrupted address write.
	ReadError string `json:"readError"`
	// OpenJob is the card's unfinished address change, if any, and
	// ChipCondition what the chip holds compared with it: old_address,
	// new_address, torn, or empty when unknown.
	OpenJob       *RewriteJobView `json:"openJob,omitempty"`
	ChipCondition string          `json:"chipCondition"`
}

// RewritePreviewView is a checked address change for the technician to
// confirm: the card as read now, the new address and both strips.
type RewritePreviewView struct {
	Card       RewriteCardView    `json:"card"`
	NewAddress RewriteAddressView `json:"newAddress"`
	// OldStrip and NewStrip are PNG data: URLs of the strip with the
	// card's address and with the new one.
	OldStrip string `json:"oldStrip"`
	NewStrip string `json:"newStrip"`
	// LookupOnline is false when the address came from the station's copy
	// of the house register, refreshed at LookupAsOf (RFC 3339).
	LookupOnline bool   `json:"lookupOnline"`
	LookupAsOf   string `json:"lookupAsOf"`
}

// RewriteJobView is an address change with its latest progress.
type RewriteJobView struct {
	ID           int64              `json:"id"`
	CardSerial   string             `json:"cardSerial"`
	PermitNumber string             `json:"permitNumber"`
	HolderName   string             `json:"holderName"`
	OldAddress   RewriteAddressView `json:"oldAddress"`
	NewAddress   RewriteAddressView `json:"newAddress"`
	OldSequence  int                `json:"oldSequence"`
	NewSequence  int                `json:"newSequence"`
	// State is chip_writing, chip_updated, strip_printing, done,
	// needs_attention or rolled_back.
	State string `json:"state"`
	// AttentionFrom is the state the job stopped in, and Attention what is
	// known, in English. Both are set only when the job needs attention.
	AttentionFrom string `json:"attentionFrom"`
	Attention     string `json:"attention"`
	// Choices lists the actions the job offers: resume, roll_back, reprint.
	Choices      []string `json:"choices"`
	LookupOnline bool     `json:"lookupOnline"`
	StripPrints  int      `json:"stripPrints"`
	CreatedAt    string   `json:"createdAt"`
	UpdatedAt    string   `json:"updatedAt"`
	// Progress is the job's latest progress event since the window
	// started, or nil for a job that has not run since.
	Progress *RewriteProgressView `json:"progress,omitempty"`
}

// RewriteProgressView is one progress event of an address change, the
// payload of EventRewriteProgress.
type RewriteProgressView struct {
	JobID int64  `json:"jobId"`
	State string `json:"state"`
	// Step is check, chip_write, chip_verify, record, strip_wait,
	// strip_print, done, failed or rolled_back.
	Step    string `json:"step"`
	Percent int    `json:"percent"`
	// Message describes the step in English.
	Message string `json:"message"`
	// At is the time of the event in UTC with nine fractional digits, so
	// later events compare greater as strings.
	At string `json:"at"`
}

func addressView(a rewrite.Address) RewriteAddressView {
	return RewriteAddressView{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail, Line: a.Line}
}

func (a *App) cardView(c rewrite.CardView) RewriteCardView {
	v := RewriteCardView{Serial: c.Serial, ChipState: c.ChipState, HolderName: c.Holder.Name,
		HolderSex: c.Holder.Sex, BirthDate: c.Holder.BirthDate, IDNumber: c.Holder.IDNumber,
		PermitNumber: c.PermitNumber, StationID: c.StationID, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo,
		Address: addressView(c.Address), Sequence: c.Sequence, History: []RewriteHistoryView{},
		SealValid: c.SealValid, SealError: c.SealError, Revoked: c.Revoked, RevocationNote: c.RevocationNote,
		RevocationOnline: c.RevocationOnline, ReadError: c.ReadError, ChipCondition: string(c.ChipCondition)}
	for _, h := range c.History {
		v.History = append(v.History, RewriteHistoryView{Sequence: h.Sequence, ChangedOn: h.ChangedOn,
			Address: addressView(h.Address)})
	}
	if len(c.Photo) > 0 {
		v.Photo = dataURL(http.DetectContentType(c.Photo), c.Photo)
	}
	if c.OpenJob != nil {
		j := a.jobView(*c.OpenJob)
		v.OpenJob = &j
	}
	return v
}

func (a *App) jobView(j rewrite.Job) RewriteJobView {
	v := RewriteJobView{ID: j.ID, CardSerial: j.CardSerial, PermitNumber: j.PermitNumber, HolderName: j.HolderName,
		OldAddress: addressView(j.OldAddress), NewAddress: addressView(j.NewAddress), OldSequence: j.OldSequence,
		NewSequence: j.NewSequence, State: string(j.State), AttentionFrom: string(j.AttentionFrom),
		Attention: j.Attention, Choices: []string{}, LookupOnline: j.LookupOnline, StripPrints: j.StripPrints,
		CreatedAt: rfc3339(j.CreatedAt), UpdatedAt: rfc3339(j.UpdatedAt)}
	for _, c := range j.Choices {
		v.Choices = append(v.Choices, string(c))
	}
	if a.opts.Rewrite != nil {
		for _, p := range a.opts.Rewrite.Snapshot() {
			if p.JobID == j.ID {
				pv := rewriteProgressView(p)
				v.Progress = &pv
			}
		}
	}
	return v
}

func rewriteProgressView(p rewrite.Progress) RewriteProgressView {
	return RewriteProgressView{JobID: p.JobID, State: string(p.State), Step: p.Step, Percent: p.Percent,
		Message: p.Message, At: p.At.UTC().Format(progressTimeFormat)}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
