package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/store"
)

type testServer struct {
	url    string
	pkiDir string
	srv    *Server
	ds     *seed.Dataset
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{pkiDir: filepath.Join(dir, "pki")}
	if _, err := pki.Init(pki.InitOptions{Dir: ts.pkiDir, Stations: []string{"DEV-0001"}}); err != nil {
		t.Fatal(err)
	}
	var err error
	ts.ds, err = seed.Generate(seed.Options{Stations: []seed.Station{{ID: "DEV-0001", Approved: 30, Pending: 2}},
		ExtraHouseCodes: 5, RetiredHouseCodes: 2, NoPhotos: true})
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	key, err := pki.LoadSealKey(ts.pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{Dir: filepath.Join(dir, "central"), SealKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Seed(ctx, ts.ds); err != nil {
		t.Fatal(err)
	}
	if ts.srv, err = New(Options{Store: st}); err != nil {
		t.Fatal(err)
	}

	ready := make(chan net.Addr, 1)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ts.srv.ListenAndServe(sctx, "127.0.0.1:0", ts.pkiDir, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		ts.url = "https://" + a.String()
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ts
}

func (ts *testServer) client(t *testing.T, admin bool) *http.Client {
	t.Helper()
	cert, key := pki.StationFiles(ts.pkiDir, "DEV-0001")
	if admin {
		cert, key = pki.AdminFiles(ts.pkiDir)
	}
	cfg, err := pki.ClientTLS(filepath.Join(ts.pkiDir, pki.CAFile), cert, key)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func do(t *testing.T, c *http.Client, method, url string, body, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

func TestApplicationPages(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, false)
	var seen int
	after := int64(0)
	for pages := 0; ; pages++ {
		var p api.ApplicationPage
		if code := do(t, c, "GET", fmt.Sprintf("%s/v1/applications?after=%d&limit=7&photos=false", ts.url, after), nil, &p); code != 200 {
			t.Fatalf("HTTP %d", code)
		}
		if p.ServerTime.IsZero() || p.ServerSeq == 0 {
			t.Errorf("page lacks the envelope: %+v", p)
		}
		seen += len(p.Items)
		if len(p.Items) > 0 && p.Next != p.Items[len(p.Items)-1].Seq {
			t.Errorf("next %d is not the last item's sequence", p.Next)
		}
		after = p.Next
		if !p.More {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if seen != 30 {
		t.Errorf("paged through %d applications, want the 30 approved", seen)
	}
	var e api.ErrorResponse
	if code := do(t, c, "GET", ts.url+"/v1/applications?limit=5000", nil, &e); code != 400 || e.Message == "" {
		t.Errorf("limit=5000: HTTP %d %+v, want 400 with a message", code, e)
	}
}

func TestRoles(t *testing.T) {
	ts := startServer(t)
	var e api.ErrorResponse
	if code := do(t, ts.client(t, false), "GET", ts.url+"/admin/faults", nil, &e); code != 403 {
		t.Errorf("station certificate on /admin/faults: HTTP %d, want 403", code)
	}
	if code := do(t, ts.client(t, true), "GET", ts.url+"/v1/time", nil, &e); code != 403 {
		t.Errorf("admin certificate on /v1/time: HTTP %d, want 403", code)
	}
	var tr api.TimeResponse
	if code := do(t, ts.client(t, false), "GET", ts.url+"/v1/time", nil, &tr); code != 200 || tr.StationId != "DEV-0001" {
		t.Errorf("station time: HTTP %d %+v", code, tr)
	}
	if code := do(t, ts.client(t, true), "PUT", ts.url+"/admin/faults", Faults{ErrorRate: 2}, &e); code != 400 {
		t.Errorf("error rate 2: HTTP %d, want 400", code)
	}
	var f Faults
	if code := do(t, ts.client(t, true), "PUT", ts.url+"/admin/faults", Faults{ErrorNext: 1}, &f); code != 200 || f.ErrorNext != 1 {
		t.Errorf("set faults: HTTP %d %+v", code, f)
	}
	if code := do(t, ts.client(t, false), "GET", ts.url+"/v1/time", nil, &e); code != 503 || e.Code != "unavailable" {
		t.Errorf("injected error: HTTP %d %+v, want 503", code, e)
	}
}

func TestRecordDecisions(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, false)
	a, b := ts.ds.Applications[0], ts.ds.Applications[1]
	retired := ts.ds.HouseCodes[len(ts.ds.HouseCodes)-5].Address
	active := ts.ds.HouseCodes[len(ts.ds.HouseCodes)-1].Address
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	rec := func(key string, kind api.RecordKind, app seed.Application, card string) api.Record {
		return api.Record{IdempotencyKey: key, Kind: kind, ApplicationId: app.ID, PermitNumber: app.PermitNumber,
			CardSerial: card, StationTime: at}
	}
	withReason := func(r api.Record, reason string) api.Record { r.Reason = reason; return r }
	withAddress := func(r api.Record, ad api.Address) api.Record { r.Address = &ad; return r }

	steps := []struct {
		name string
		rec  api.Record
		want api.RecordStatus
	}{
		{"issue", rec("key-issue-a", api.KindIssued, a, "CARD-A1"), api.StatusAccepted},
		{"same key again", rec("key-issue-a", api.KindIssued, a, "CARD-A1"), api.StatusDuplicate},
		{"same key, other card", rec("key-issue-a", api.KindIssued, a, "CARD-A9"), api.StatusConflict},
		{"second card for the permit", rec("key-issue-a2", api.KindIssued, a, "CARD-A2"), api.StatusConflict},
		{"card already used", rec("key-issue-b", api.KindIssued, b, "CARD-A1"), api.StatusConflict},
		{"spoil an issued card", rec("key-spoil-a", api.KindSpoiled, a, "CARD-A1"), api.StatusConflict},
		{"spoil a blank", rec("key-spoil-b", api.KindSpoiled, b, "CARD-B0"), api.StatusAccepted},
		{"void without reason", rec("key-void-a0", api.KindVoided, a, "CARD-A1"), api.StatusRejected},
		{"address to retired code", withAddress(rec("key-addr-a0", api.KindAddressChanged, a, "CARD-A1"), retired), api.StatusConflict},
		{"address to active code", withAddress(rec("key-addr-a1", api.KindAddressChanged, a, "CARD-A1"), active), api.StatusAccepted},
		{"void", withReason(rec("key-void-a1", api.KindVoided, a, "CARD-A1"), "card lost"), api.StatusAccepted},
		{"void twice", withReason(rec("key-void-a2", api.KindVoided, a, "CARD-A1"), "card lost"), api.StatusConflict},
		{"reissue after void", rec("key-issue-a3", api.KindIssued, a, "CARD-A3"), api.StatusAccepted},
		{"short key", rec("k1", api.KindIssued, b, "CARD-B1"), api.StatusRejected},
		{"unknown kind", rec("key-unknown", "printed", b, "CARD-B1"), api.StatusRejected},
		{"unknown application", func() api.Record {
			r := rec("key-ghost", api.KindIssued, b, "CARD-B1")
			r.ApplicationId = "JZ0"
			return r
		}(), api.StatusRejected},
	}
	for _, s := range steps {
		var res api.RecordResults
		if code := do(t, c, "POST", ts.url+"/v1/records", api.RecordBatch{Records: []api.Record{s.rec}}, &res); code != 200 {
			t.Fatalf("%s: HTTP %d", s.name, code)
		}
		if len(res.Results) != 1 {
			t.Fatalf("%s: %d results", s.name, len(res.Results))
		}
		r := res.Results[0]
		if r.Status != s.want {
			t.Errorf("%s: %s (%s), want %s", s.name, r.Status, r.Reason, s.want)
		}
		if (r.Status == api.StatusConflict || r.Status == api.StatusRejected) && r.Reason == "" {
			t.Errorf("%s: %s without a reason", s.name, r.Status)
		}
	}

	var e api.ErrorResponse
	if code := do(t, c, "POST", ts.url+"/v1/records", api.RecordBatch{}, &e); code != 400 {
		t.Errorf("empty batch: HTTP %d, want 400", code)
	}
}
