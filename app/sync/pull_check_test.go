package sync

import (
	"errors"
	"testing"

	"permitdesk/central/api"
)

func TestCheckApplicationsPage(t *testing.T) {
	app := func(seq int64, id string) api.Application {
		a := api.Application{Seq: seq, Id: id, PermitNumber: "SZ202600000001"}
		a.Holder.IdNumber = "430102199001011234"
		return a
	}
	cases := []struct {
		name  string
		after int64
		page  api.ApplicationPage
		ok    bool
	}{
		{"in order", 10, api.ApplicationPage{Items: []api.Application{app(11, "A"), app(15, "B")}, Next: 15}, true},
		{"empty page", 10, api.ApplicationPage{Next: 10}, true},
		{"before cursor", 10, api.ApplicationPage{Items: []api.Application{app(9, "A")}, Next: 9}, false},
		{"out of order", 10, api.ApplicationPage{Items: []api.Application{app(12, "A"), app(11, "B")}, Next: 11}, false},
		{"next not last", 10, api.ApplicationPage{Items: []api.Application{app(11, "A")}, Next: 20}, false},
		{"missing id", 10, api.ApplicationPage{Items: []api.Application{app(11, "")}, Next: 11}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkApplications(tc.after, tc.page)
			if tc.ok && err != nil {
				t.Errorf("valid page refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrMalformed) {
				t.Errorf("invalid page: %v, want ErrMalformed", err)
			}
		})
	}
}
