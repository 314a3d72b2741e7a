package seed

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"path/filepath"
	"testing"

	"permitdesk/devices/idcard"
)

const committedDir = "../../testdata/applications"

func TestCommittedDataMatchesGenerator(t *testing.T) {
	want, err := Generate(Options{NoPhotos: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(committedDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Applications) != len(want.Applications) || len(got.HouseCodes) != len(want.HouseCodes) {
		t.Fatalf("committed data has %d applications and %d house codes, generator %d and %d: "+
			"run `go run ./central/seed/gen`", len(got.Applications), len(got.HouseCodes),
			len(want.Applications), len(want.HouseCodes))
	}
	for i := range want.Applications {
		w, g := jsonOf(t, want.Applications[i]), jsonOf(t, got.Applications[i])
		if w != g {
			t.Fatalf("application %d differs from the generator:\n got %s\nwant %s", i, g, w)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommittedDataIsRealistic(t *testing.T) {
	ds, err := Load(committedDir)
	if err != nil {
		t.Fatal(err)
	}
	approved, districtsSeen, ids := 0, map[string]bool{}, map[string]bool{}
	for _, a := range ds.Applications {
		if err := idcard.ValidateNumber(a.Holder.IdNumber); err != nil {
			t.Errorf("application %s: %v", a.ID, err)
		}
		if ids[a.Holder.IdNumber] {
			t.Errorf("identity number of %s repeats", a.ID)
		}
		ids[a.Holder.IdNumber] = true
		if sexDigit := a.Holder.IdNumber[16] - '0'; (sexDigit%2 == 1) != (a.Holder.Sex == "1") {
			t.Errorf("application %s: sex %s does not match digit 17 of the identity number", a.ID, a.Holder.Sex)
		}
		districtsSeen[a.Address.District] = true
		if a.Status == StatusApproved {
			approved++
			if a.PermitNumber == "" || a.ValidFrom == "" || a.ValidTo <= a.ValidFrom {
				t.Errorf("approved application %s lacks a permit number or validity", a.ID)
			}
		}
	}
	if approved < 500 {
		t.Errorf("%d approved applications, want at least 500", approved)
	}
	if len(districtsSeen) != len(districts) {
		t.Errorf("addresses cover %d districts, want all %d", len(districtsSeen), len(districts))
	}
}

func TestPortraitIsSmallJPEG(t *testing.T) {
	ds, err := Load(committedDir)
	if err != nil {
		t.Fatal(err)
	}
	a := ds.Applications[0]
	img, err := jpeg.Decode(bytes.NewReader(a.Photo))
	if err != nil {
		t.Fatalf("portrait %s: %v", filepath.Base(a.PhotoFile), err)
	}
	if b := img.Bounds(); b.Dx() != PortraitWidth || b.Dy() != PortraitHeight {
		t.Errorf("portrait is %dx%d, want %dx%d", b.Dx(), b.Dy(), PortraitWidth, PortraitHeight)
	}
	if len(a.Photo) > 20<<10 {
		t.Errorf("portrait has %d bytes, want at most 20 KiB", len(a.Photo))
	}
}
