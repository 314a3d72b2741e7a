package issuance

import (
	"context"
	"strings"
	"testing"
)

func TestAdjustBelowZeroRejected(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	_, err := h.svc.Adjust(ctx, h.boss, "LOT-2026-001", -(stockCards + 30), "counted")
	if err == nil {
		t.Fatal("adjustment below zero accepted")
	}
	for _, want := range []string{"LOT-2026-001", "20 cards on hand", "delta -50"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	lots, err := h.svc.Lots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lots[0].OnHand != stockCards {
		t.Errorf("on hand after a rejected adjustment = %d, want %d", lots[0].OnHand, stockCards)
	}
	l, err := h.svc.Adjust(ctx, h.boss, "LOT-2026-001", -stockCards, "box damaged")
	if err != nil {
		t.Fatalf("adjust to zero: %v", err)
	}
	if l.OnHand != 0 {
		t.Errorf("on hand = %d, want 0", l.OnHand)
	}
	if _, err := h.svc.Adjust(ctx, h.boss, "LOT-2026-001", MaxLotSize+1, "typo"); err == nil {
		t.Error("adjustment above the lot size limit accepted")
	}
}

func TestReceiveLotCountBounds(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	for _, count := range []int64{0, -3, MaxLotSize + 1, 99999999999} {
		_, err := h.svc.ReceiveLot(ctx, h.boss, "LOT-BIG", count)
		if err == nil {
			t.Errorf("count %d accepted", count)
			continue
		}
		if !strings.Contains(err.Error(), "1 to 100000") {
			t.Errorf("count %d: error %q does not state the limit", count, err)
		}
	}
	if _, err := h.svc.ReceiveLot(ctx, h.boss, "LOT-MAX", MaxLotSize); err != nil {
		t.Errorf("count %d: %v", MaxLotSize, err)
	}
}

func TestReconciliationCardStates(t *testing.T) {
	r := Reconciliation{Cards: map[string]int64{"spoiled": 1, "issued": 3}}
	if got, want := r.CardStates(), "issued 3, spoiled 1"; got != want {
		t.Errorf("CardStates = %q, want %q", got, want)
	}
	if got := (Reconciliation{Cards: map[string]int64{}}).CardStates(); got != "none" {
		t.Errorf("CardStates with no cards = %q, want none", got)
	}
}

func TestIssuedCardNamesLotNumber(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	j := issueOne(t, h, "A1")
	if j.Card == nil {
		t.Fatal("issued job has no card")
	}
	if j.Card.LotNumber != "LOT-2026-001" {
		t.Errorf("card lot number = %q, want LOT-2026-001", j.Card.LotNumber)
	}
}
