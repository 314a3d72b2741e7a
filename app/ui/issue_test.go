package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"slices"
	"strings"
	"testing"

	"permitdesk/app/cardface"
	"permitdesk/app/permit"
)

func TestFindApplicationsByIDNumber(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	apps, err := f.app.FindApplications(" 110101199003074514 ")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 {
		t.Fatalf("%d applications, want 1", len(apps))
	}
	got := apps[0]
	if got.ID != "A1" || got.Name != "张三" || got.BirthDate != "1990-03-07" || got.ValidTo != "2027-03-01" {
		t.Errorf("application = %+v", got)
	}
	if !strings.Contains(got.Address, "彩田路1号1栋101") {
		t.Errorf("address = %q, want the detail line in it", got.Address)
	}
}

func TestFindApplicationsByID(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	apps, err := f.app.FindApplications("A1")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].PermitNumber != "44030A1" {
		t.Errorf("applications = %+v, want A1", apps)
	}
	if _, err := f.app.FindApplications("A404"); err == nil {
		t.Error("unknown application id found")
	}
	if _, err := f.app.FindApplications("  "); errorCode(err) != CodeInvalidArgument {
		t.Errorf("empty query: %v, want code %q", err, CodeInvalidArgument)
	}
}

func TestFindApplicationsNeedsLogin(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.FindApplications("A1"); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("search without login: %v, want code %q", err, CodeNotLoggedIn)
	}
}

func TestQueueIssueCreatesJob(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	j, err := f.app.QueueIssue("A1")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != "queued" || j.ApplicationID != "A1" {
		t.Errorf("job = %+v, want A1 queued", j)
	}
	jobs, err := f.app.Jobs(JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != j.ID {
		t.Errorf("queue = %+v, want the new job", jobs)
	}
}

func TestPreviewCardRendersBothSides(t *testing.T) {
	f := newQueueFixture(t)
	faces, err := cardface.New(cardface.Options{Set: "full"})
	if err != nil {
		t.Skipf("no CJK font for card faces: %v", err)
	}
	f.app.opts.Faces = faces
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	preview, err := f.app.PreviewCard("A1")
	if err != nil {
		t.Fatal(err)
	}
	for side, url := range map[string]string{"front": preview.Front, "back": preview.Back} {
		b64, ok := strings.CutPrefix(url, "data:image/png;base64,")
		if !ok {
			t.Errorf("%s: %.40q is not a PNG data URL", side, url)
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("%s: %v", side, err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", side, err)
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
			t.Errorf("%s: %v is too small for a card face", side, b)
		}
	}
}

func TestCheckIdentity(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	holder := testApplication("A1").Holder
	card := IdentityView{Name: holder.Name, IDNumber: holder.IDNumber, ValidTo: "2036-01-01"}
	tests := []struct {
		name   string
		change func(*IdentityView)
		fields []string
	}{
		{"same holder", func(*IdentityView) {}, nil},
		{"spaces in the name", func(v *IdentityView) { v.Name = " 张 三 " }, nil},
		{"other name", func(v *IdentityView) { v.Name = "张山" }, []string{"name"}},
		{"other number", func(v *IdentityView) { v.IDNumber = "110101199003071234" }, []string{"idNumber"}},
		{"expired card", func(v *IdentityView) { v.Expired, v.ValidTo = true, "2020-01-01" }, []string{"validTo"}},
		{"everything", func(v *IdentityView) { v.Name, v.IDNumber, v.Expired = "王五", "1", true },
			[]string{"name", "idNumber", "validTo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := card
			tt.change(&v)
			got, err := f.app.CheckIdentity("A1", v)
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, m := range got {
				fields = append(fields, m.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("mismatches %v, want %v", fields, tt.fields)
			}
		})
	}
	if _, err := f.app.CheckIdentity("A9", card); errorCode(err) == "" {
		t.Errorf("unknown application: %v, want an error with a code", err)
	}
}

// photolessSearch strips portraits from searches by ID number, as the sync
// service's cache does.
type photolessSearch struct{ fixedApplications }

func (p photolessSearch) ApplicationsByIDNumber(ctx context.Context, idNumber string) ([]permit.Application, error) {
	apps, err := p.fixedApplications.ApplicationsByIDNumber(ctx, idNumber)
	for i := range apps {
		apps[i].Photo = nil
	}
	return apps, err
}

func TestFindApplicationsIncludesPhoto(t *testing.T) {
	f := newQueueFixture(t)
	app := testApplication("A1")
	app.Photo = []byte{0xff, 0xd8, 0xff, 0xe0}
	f.app.opts.Applications = photolessSearch{fixedApplications{"A1": app}}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	found, err := f.app.FindApplications(app.Holder.IDNumber)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || !strings.HasPrefix(found[0].Photo, "data:image/jpeg;base64,") {
		t.Errorf("found %d applications, photo %.30q; want one with the photo", len(found), found[0].Photo)
	}
}
