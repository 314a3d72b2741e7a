package ui

import (
	"regexp"

	"permitdesk/app/issuance"
	"permitdesk/devices"
	"permitdesk/devices/evolis"
)

// printerCode finds the code that devices.Error puts in brackets in a
// printer failure, such as "[printer.ribbon_out]".
var printerCode = regexp.MustCompile(`\[(printer\.[a-z_]+)\]`)

// advisedJob returns the view of j with the advice for a printer failure in
// its attention text.
func (a *App) advisedJob(j *issuance.Job) JobView {
	v := jobView(j)
	v.Advice = a.withAdvice(JobProgress{Message: v.Attention}).Advice
	return v
}

// withAdvice fills p.Code and p.Advice from a printer failure in p.Message:
// the code, and what the operator should do in the window's language.
func (a *App) withAdvice(p JobProgress) JobProgress {
	m := printerCode.FindStringSubmatch(p.Message)
	if m == nil {
		return p
	}
	lang, err := a.Language()
	if err != nil {
		lang = Languages[0]
	}
	p.Code = m[1]
	p.Advice = evolis.Message(devices.Code(m[1]), lang)
	return p
}
