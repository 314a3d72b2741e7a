package issuance

import (
	"context"
	"errors"
	"fmt"
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
		if !strings.Contains(err.Error(), fmt.Sprintf("1 to %d", MaxLotSize)) {
			t.Errorf("count %d: error %q does not state the limit", count, err)
		}
	}
	if _, err := h.svc.ReceiveLot(ctx, h.boss, "LOT-MAX", MaxLotSize); err != nil {
		t.Errorf("count %d: %v", MaxLotSize, err)
	}
}

func TestReceiveLotRejectsBadInput(t *testing.T) {
	long := strings.Repeat("L", 300)
	tests := []struct {
		name   string
		number string
		count  int64
		want   error
		// wantText lists parts the message must contain: the value and the fix.
		wantText []string
	}{
		{"negative count", "LOT-A", -3, ErrInvalidLotCount, []string{"-3", "from 1 to 10000"}},
		{"zero count", "LOT-A", 0, ErrInvalidLotCount, []string{" 0 ", "from 1 to 10000"}},
		{"count above max", "LOT-A", MaxLotSize + 1, ErrInvalidLotCount, []string{"10001", "from 1 to 10000"}},
		{"huge count", "LOT-A", 1<<63 - 1, ErrInvalidLotCount, []string{"9223372036854775807", "from 1 to 10000"}},
		{"blank number", "", 10, ErrMissingLotNumber, []string{"lot number printed on the box"}},
		{"spaces only", "   ", 10, ErrMissingLotNumber, []string{"lot number printed on the box"}},
		{"number too long", long, 10, ErrInvalidLotNumber, []string{"300 characters", "at most 40"}},
		{"space inside", "LOT 7", 10, ErrInvalidLotNumber, []string{`"LOT 7"`, "' '", "position 4", "digits, '-'"}},
		{"slash", "LOT/7", 10, ErrInvalidLotNumber, []string{`"LOT/7"`, "'/'"}},
		{"non-ASCII letter", "批号7", 10, ErrInvalidLotNumber, []string{`'批'`, "position 1"}},
		{"duplicate", "LOT-2026-001", 10, ErrDuplicateLot, []string{`"LOT-2026-001"`, "own lot number",
			"adjust the count"}},
	}
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.ReceiveLot(ctx, h.boss, tt.number, tt.count)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			for _, part := range tt.wantText {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
			if len(err.Error()) > 200 {
				t.Errorf("error is %d bytes long, want at most 200: %q", len(err.Error()), err)
			}
		})
	}
	lots, err := h.svc.Lots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(lots) != 1 {
		t.Errorf("%d lots after rejected receipts, want 1: %+v", len(lots), lots)
	}
}

func TestReceiveLotAcceptsLimits(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	number := strings.Repeat("9", MaxLotNumberLen-4) + "_a.Z"
	l, err := h.svc.ReceiveLot(ctx, h.boss, "  "+number+" ", 1)
	if err != nil {
		t.Fatalf("receive lot %q: %v", number, err)
	}
	if l.Number != number {
		t.Errorf("lot number = %q, want %q", l.Number, number)
	}
	if l.OnHand != 1 {
		t.Errorf("on hand = %d, want 1", l.OnHand)
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
