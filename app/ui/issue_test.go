package ui

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"

	"permitdesk/app/cardface"
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
