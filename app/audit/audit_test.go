package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/logging"
	"permitdesk/app/store"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := store.OpenMigrated(context.Background(), t.TempDir(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var base = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func seed(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := store.InTx(ctx, db, func(tx *sql.Tx) error {
			return audit.Record(ctx, tx, audit.Entry{
				At: base.Add(time.Duration(i) * time.Minute), Actor: "clerk1", Action: audit.ActionIssuanceStep,
				Subject: "job:1", Detail: map[string]any{"step": i, "to": "encoded"},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyIntactChain(t *testing.T) {
	db := openDB(t)
	seed(t, db, 5)
	rep, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err() != nil {
		t.Fatalf("intact chain reported broken: %v", rep.Err())
	}
	if rep.Rows != 5 || rep.Head != 5 {
		t.Errorf("rows %d head %d, want 5 and 5", rep.Rows, rep.Head)
	}
}

func TestVerifyEmptyLog(t *testing.T) {
	rep, err := audit.Verify(context.Background(), openDB(t))
	if err != nil || rep.Err() != nil {
		t.Fatalf("empty log: %v %v", err, rep.Err())
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	cases := []struct {
		name    string
		sql     string
		wantSeq int64
		reason  string
	}{
		{"edited detail", `UPDATE audit_log SET detail = '{"step":2,"to":"issued"}' WHERE seq = 3`, 3, "edited"},
		{"edited actor", `UPDATE audit_log SET actor = 'supervisor' WHERE seq = 2`, 2, "edited"},
		{"deleted middle", `DELETE FROM audit_log WHERE seq = 4`, 4, "missing"},
		{"deleted tail", `DELETE FROM audit_log WHERE seq >= 5`, 5, "missing"},
		{"inserted row", `INSERT INTO audit_log VALUES (7, 'x', 'a', 'b', 'c', '{}', 'p', 'h')`, 6, "missing"},
		{"appended row", `INSERT INTO audit_log VALUES (6, 'x', 'a', 'b', 'c', '{}', 'p', 'h')`, 6, "match"},
		{"rehashed row", `UPDATE audit_log SET hash = 'aa' WHERE seq = 2`, 2, "edited"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			seed(t, db, 5)
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Break == nil {
				t.Fatal("tampering not detected")
			}
			if rep.Break.Seq != tc.wantSeq {
				t.Errorf("first broken record %d, want %d (%s)", rep.Break.Seq, tc.wantSeq, rep.Break.Reason)
			}
			if !strings.Contains(rep.Break.Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", rep.Break.Reason, tc.reason)
			}
			if !errors.Is(rep.Err(), audit.ErrBroken) {
				t.Errorf("Err() = %v, want ErrBroken", rep.Err())
			}
		})
	}
}

func TestRecordRejectsEmptyActor(t *testing.T) {
	db := openDB(t)
	err := store.InTx(context.Background(), db, func(tx *sql.Tx) error {
		return audit.Record(context.Background(), tx, audit.Entry{Action: audit.ActionLogin})
	})
	if !errors.Is(err, audit.ErrInvalidEntry) {
		t.Fatalf("err = %v, want ErrInvalidEntry", err)
	}
}

func TestRecordRolledBackLeavesNoRow(t *testing.T) {
	db := openDB(t)
	seed(t, db, 1)
	boom := errors.New("step failed")
	err := store.InTx(context.Background(), db, func(tx *sql.Tx) error {
		if err := audit.Record(context.Background(), tx, audit.Entry{Actor: "a", Action: "b"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	rep, _ := audit.Verify(context.Background(), db)
	if rep.Rows != 1 || rep.Err() != nil {
		t.Fatalf("after rollback: rows %d, err %v", rep.Rows, rep.Err())
	}
}

func TestExportRange(t *testing.T) {
	db := openDB(t)
	seed(t, db, 5)
	ctx := context.Background()
	var buf bytes.Buffer
	n, err := audit.Export(ctx, db, &buf, audit.ExportOptions{
		From: base.Add(time.Minute), To: base.Add(3 * time.Minute), Format: audit.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("exported %d records, want 2", n)
	}
	var rows []audit.Row
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	if rows[0].Seq != 2 || rows[1].Seq != 3 {
		t.Errorf("exported seqs %d, %d; want 2, 3", rows[0].Seq, rows[1].Seq)
	}

	buf.Reset()
	if n, err = audit.Export(ctx, db, &buf, audit.ExportOptions{}); err != nil || n != 5 {
		t.Fatalf("csv export: %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "seq,at,actor") {
		t.Errorf("csv has %d lines, header %q", len(lines), lines[0])
	}
	if _, err := audit.Export(ctx, db, &buf, audit.ExportOptions{Format: "xml"}); err == nil {
		t.Error("xml format accepted")
	}
}
