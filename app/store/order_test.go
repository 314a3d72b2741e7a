package store

import (
	"context"
	"slices"
	"testing"

	"permitdesk/app/logging"
)

// A database migrated by a binary that lacked one version (features number
// their migrations in separate ranges) gets that version applied later.
func TestMigrateAppliesMissingVersion(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for _, s := range p.ListSources() {
		versions = append(versions, s.Version)
	}
	if len(versions) < 3 {
		t.Skip("needs at least three migrations")
	}
	skipped := versions[len(versions)-2]
	for _, v := range versions {
		if v == skipped {
			continue
		}
		if _, err := p.ApplyVersion(ctx, v, true); err != nil {
			t.Fatalf("apply %d: %v", v, err)
		}
	}

	st, err := ReadStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Pending, []int64{skipped}) {
		t.Fatalf("pending = %v, want [%d]", st.Pending, skipped)
	}
	if err := Migrate(ctx, db, logging.Discard()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	st, err = ReadStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pending) != 0 {
		t.Fatalf("pending after migrate = %v, want none", st.Pending)
	}
}
