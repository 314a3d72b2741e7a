package issuance

import (
	"context"
	"encoding/json"
	"testing"

	"permitdesk/app/permit"
)

// recordAddressChange stores a finished address change of the card issued
// in j, as package rewrite does after writing the chip.
func recordAddressChange(t *testing.T, h *harness, j *Job, to permit.Address, state string) {
	t.Helper()
	oldAddr, _ := json.Marshal(j.Permit.Address)
	newAddr, _ := json.Marshal(struct {
		permit.Address
		Line string `json:"line"`
	}{to, to.Line()})
	_, err := h.db.Exec(`INSERT INTO rewrite_jobs (card_serial, permit_number, application_id, holder_name,
		old_address, new_address, old_sequence, new_sequence, state, lookup_online, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, 2, ?, 1, '2026-03-02T09:00:00Z', '2026-03-02T09:00:00Z')`,
		j.Card.Serial, j.PermitNumber, j.ApplicationID, j.Permit.Holder.Name, string(oldAddr), string(newAddr), state)
	if err != nil {
		t.Fatal(err)
	}
}

func TestReprintCarriesChangedAddress(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	first := issueOne(t, h, "A1")
	moved := permit.Address{HouseCode: "4403040010010100099", District: "福田区", Street: "华富街道",
		Community: "莲花一村社区", Detail: "彩田路9号2栋202"}
	rolledBack := permit.Address{HouseCode: "4403040010010100077", District: "福田区", Street: "华富街道",
		Community: "莲花一村社区", Detail: "彩田路7号"}
	recordAddressChange(t, h, first, moved, "done")
	recordAddressChange(t, h, first, rolledBack, "rolled_back")

	re, err := h.svc.Reprint(ctx, h.clerk, "A1", h.approve(ApproveReprint), "card damaged")
	if err != nil {
		t.Fatal(err)
	}
	if re.Permit.Address != moved {
		t.Errorf("reprint job address = %+v, want the changed address %+v", re.Permit.Address, moved)
	}
	if _, err := h.w.RunJob(ctx, re.ID, "clerk1"); err != nil {
		t.Fatal(err)
	}
	done, err := h.svc.Handover(ctx, h.clerk, re.ID)
	if err != nil {
		t.Fatal(err)
	}
	hopper := h.m.state().Hopper
	chip := hopper[len(hopper)-1].Chip
	if chip == nil || chip.Address != moved {
		t.Errorf("reprinted chip address = %+v, want %+v", chip, moved)
	}
	var house string
	err = h.db.QueryRow(`SELECT house_code FROM test_outbox WHERE kind = 'address_changed' AND card_serial = ?`,
		done.Card.Serial).Scan(&house)
	if err != nil {
		t.Fatalf("no address_changed record for the reprinted card %s: %v", done.Card.Serial, err)
	}
	if house != moved.HouseCode {
		t.Errorf("address_changed record house code = %s, want %s", house, moved.HouseCode)
	}
	var audited int
	h.db.QueryRow(`SELECT count(*) FROM audit_log WHERE detail LIKE '%address_change%'`).Scan(&audited)
	if audited == 0 {
		t.Error("the reprint's audit entry does not name the address change it carries")
	}
	h.checkInvariants(true)
}

func TestReprintWithoutChangeKeepsAddress(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	first := issueOne(t, h, "A1")
	re, err := h.svc.Reprint(ctx, h.clerk, "A1", h.approve(ApproveReprint), "card damaged")
	if err != nil {
		t.Fatal(err)
	}
	if re.Permit.Address != first.Permit.Address {
		t.Errorf("reprint address = %+v, want the application's %+v", re.Permit.Address, first.Permit.Address)
	}
	if _, err := h.w.RunJob(ctx, re.ID, "clerk1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Handover(ctx, h.clerk, re.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	h.db.QueryRow(`SELECT count(*) FROM test_outbox WHERE kind = 'address_changed'`).Scan(&n)
	if n != 0 {
		t.Errorf("%d address_changed records for a reprint without an address change, want 0", n)
	}
}
