package ui

import (
	"context"
	"strings"
	"time"

	"permitdesk/app/operators"
	appsync "permitdesk/app/sync"
)

// HouseRegister looks house codes up in the city's house register. The
// sync service satisfies it.
type HouseRegister interface {
	LookupHouseCode(ctx context.Context, code string) (appsync.HouseCodeLookup, error)
}

// HouseCodeView is a house code's address as the Rewrite screen shows it.
type HouseCodeView struct {
	HouseCode string `json:"houseCode"`
	District  string `json:"district"`
	Street    string `json:"street"`
	Community string `json:"community"`
	Detail    string `json:"detail"`
	// Line is the whole address on one line, as the strip prints it.
	Line string `json:"line"`
	// Retired register entries may not be used for new addresses.
	Retired bool `json:"retired"`
	// Online is false when the result comes from the local copy of the
	// register, last refreshed at AsOf (RFC 3339).
	Online bool   `json:"online"`
	AsOf   string `json:"asOf"`
}

// LookupHouseCode finds the address of a house code, the first step of an
// address rewrite. Technicians and supervisors only.
func (a *App) LookupHouseCode(code string) (HouseCodeView, error) {
	sess, err := a.currentSession()
	if err != nil {
		return HouseCodeView{}, err
	}
	if err := operators.Require(sess, operators.Technician, operators.Supervisor); err != nil {
		return HouseCodeView{}, toError(err)
	}
	if a.opts.Houses == nil {
		return HouseCodeView{}, errNoService("sync")
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return HouseCodeView{}, Errorf(CodeInvalidArgument, "enter the house code printed on the house plate")
	}
	r, err := a.opts.Houses.LookupHouseCode(a.context(), code)
	if err != nil {
		return HouseCodeView{}, toError(err)
	}
	v := HouseCodeView{HouseCode: r.Address.HouseCode, District: r.Address.District, Street: r.Address.Street,
		Community: r.Address.Community, Detail: r.Address.Detail, Line: r.Address.Line(),
		Retired: r.Retired, Online: r.Online}
	if !r.AsOf.IsZero() {
		v.AsOf = r.AsOf.UTC().Format(time.RFC3339)
	}
	return v, nil
}
