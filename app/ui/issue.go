package ui

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"time"

	"permitdesk/app/cardface"
	"permitdesk/app/logging"
	"permitdesk/app/permit"
)

// Applications finds approved applications in the local cache of the
// central system's data. The sync service satisfies it.
type Applications interface {
	Application(ctx context.Context, id string) (permit.Application, error)
	ApplicationsByIDNumber(ctx context.Context, idNumber string) ([]permit.Application, error)
}

// CardPreviewer renders card sides as PNG. *cardface.Renderer satisfies it.
type CardPreviewer interface {
	Preview(p permit.Permit, side cardface.Side) ([]byte, error)
}

// ApplicationView is an approved application as the Issue screen shows it.
type ApplicationView struct {
	ID           string `json:"id"`
	PermitNumber string `json:"permitNumber"`
	Name         string `json:"name"`
	// Sex is "1" male or "2" female (GB/T 2261.1).
	Sex        string `json:"sex"`
	Ethnicity  string `json:"ethnicity"`
	BirthDate  string `json:"birthDate"`
	IDNumber   string `json:"idNumber"`
	Address    string `json:"address"`
	HouseCode  string `json:"houseCode"`
	Authority  string `json:"authority"`
	ValidFrom  string `json:"validFrom"`
	ValidTo    string `json:"validTo"`
	ApprovedAt string `json:"approvedAt"`
	// Photo is the applicant's photo as a data: URL, or empty.
	Photo string `json:"photo"`
}

// CardPreview is both sides of the card an application would get, as PNG
// data: URLs.
type CardPreview struct {
	Front string `json:"front"`
	Back  string `json:"back"`
}

// idNumberPattern matches an 18-character citizen identity number; anything
// else typed or scanned into the search is taken as an application id.
var idNumberPattern = regexp.MustCompile(`^[0-9]{17}[0-9Xx]$`)

// FindApplications looks up approved applications by citizen identity
// number (typed, or read from the ID card) or by application id (typed, or
// scanned from the receipt's barcode).
func (a *App) FindApplications(query string) ([]ApplicationView, error) {
	if _, err := a.currentSession(); err != nil {
		return nil, err
	}
	if a.opts.Applications == nil {
		return nil, errNoService("sync")
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, Errorf(CodeInvalidArgument, "enter an ID number or an application id to search")
	}
	ctx := a.context()
	var apps []permit.Application
	if idNumberPattern.MatchString(query) {
		found, err := a.opts.Applications.ApplicationsByIDNumber(ctx, strings.ToUpper(query))
		if err != nil {
			return nil, toError(err)
		}
		// The search returns no portraits; each application is read again
		// with its photo, which the clerk compares with the applicant.
		for _, f := range found {
			full, err := a.opts.Applications.Application(ctx, f.ID)
			if err != nil {
				return nil, toError(err)
			}
			apps = append(apps, full)
		}
	} else {
		found, err := a.opts.Applications.Application(ctx, query)
		if err != nil {
			return nil, toError(err)
		}
		apps = []permit.Application{found}
	}
	a.log.Info("applications searched", "query", maskQuery(query), "found", len(apps))
	out := make([]ApplicationView, 0, len(apps))
	for _, app := range apps {
		out = append(out, applicationView(app))
	}
	return out, nil
}

// PreviewCard renders the card faces an application would get if issued now.
func (a *App) PreviewCard(applicationID string) (CardPreview, error) {
	if _, err := a.currentSession(); err != nil {
		return CardPreview{}, err
	}
	if a.opts.Applications == nil {
		return CardPreview{}, errNoService("sync")
	}
	if a.opts.Faces == nil {
		return CardPreview{}, errNoService("card face")
	}
	app, err := a.opts.Applications.Application(a.context(), applicationID)
	if err != nil {
		return CardPreview{}, toError(err)
	}
	p := permit.FromApplication(app, time.Now())
	front, err := a.opts.Faces.Preview(p, cardface.Front)
	if err != nil {
		return CardPreview{}, toError(err)
	}
	back, err := a.opts.Faces.Preview(p, cardface.Back)
	if err != nil {
		return CardPreview{}, toError(err)
	}
	return CardPreview{Front: dataURL("image/png", front), Back: dataURL("image/png", back)}, nil
}

// QueueIssue creates the issuance job of an approved application. The job
// waits in the queue for a worker with a printer and an encoder.
func (a *App) QueueIssue(applicationID string) (JobView, error) {
	sess, err := a.issuanceSession()
	if err != nil {
		return JobView{}, err
	}
	j, err := a.opts.Issuance.Enqueue(a.context(), sess, applicationID)
	return a.jobResult(j, err)
}

func applicationView(app permit.Application) ApplicationView {
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	v := ApplicationView{
		ID: app.ID, PermitNumber: app.PermitNumber, Name: app.Holder.Name, Sex: string(app.Holder.Sex),
		Ethnicity: app.Holder.Ethnicity, BirthDate: date(app.Holder.BirthDate), IDNumber: app.Holder.IDNumber,
		Address: app.Address.Line(), HouseCode: app.Address.HouseCode, Authority: app.Authority,
		ValidFrom: date(app.ValidFrom), ValidTo: date(app.ValidTo), ApprovedAt: date(app.ApprovedAt),
	}
	if len(app.Photo) > 0 {
		v.Photo = dataURL("image/jpeg", app.Photo)
	}
	return v
}

func dataURL(mime string, b []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// maskQuery keeps ID numbers out of the log in full.
func maskQuery(q string) string {
	if idNumberPattern.MatchString(q) {
		return logging.MaskID(q)
	}
	return q
}

// IdentityMismatch is one difference between the ID card on the reader and
// the application it is meant to collect.
type IdentityMismatch struct {
	// Field is name, idNumber or validTo.
	Field string `json:"field"`
	// Card is the value read from the ID card.
	Card string `json:"card"`
	// Application is the value in the application, empty for validTo.
	Application string `json:"application"`
}

// CheckIdentity compares the ID card that was read with an application and
// returns every mismatch: another name, another ID number, or an expired ID
// card. The Issue screen stops the issue while any is listed.
func (a *App) CheckIdentity(applicationID string, id IdentityView) ([]IdentityMismatch, error) {
	if _, err := a.currentSession(); err != nil {
		return nil, err
	}
	if a.opts.Applications == nil {
		return nil, errNoService("sync")
	}
	app, err := a.opts.Applications.Application(a.context(), applicationID)
	if err != nil {
		return nil, toError(err)
	}
	out := []IdentityMismatch{}
	if strings.Join(strings.Fields(id.Name), "") != strings.Join(strings.Fields(app.Holder.Name), "") {
		out = append(out, IdentityMismatch{Field: "name", Card: id.Name, Application: app.Holder.Name})
	}
	if !strings.EqualFold(strings.TrimSpace(id.IDNumber), app.Holder.IDNumber) {
		out = append(out, IdentityMismatch{Field: "idNumber", Card: id.IDNumber, Application: app.Holder.IDNumber})
	}
	if id.Expired {
		out = append(out, IdentityMismatch{Field: "validTo", Card: id.ValidTo})
	}
	if len(out) > 0 {
		a.log.Warn("ID card does not match the application", "application", applicationID, "mismatches", len(out))
	}
	return out, nil
}
