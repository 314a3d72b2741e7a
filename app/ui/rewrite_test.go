package ui

import (
	"context"
	"testing"

	"permitdesk/app/operators"
	appsync "permitdesk/app/sync"
)

func TestLookupHouseCodeFromCache(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	db := f.iss.DB()
	if _, err := db.ExecContext(ctx, `INSERT INTO sync_house_codes
		(code, seq, district, street, community, detail, status, pulled_at)
		VALUES ('4403040010010100002', 1, '福田区', '华富街道', '莲花一村社区', '彩田路2号3栋402', 'active',
		'2026-05-01T08:30:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	svc, err := appsync.New(appsync.Options{DB: db, StationID: "SZ-FT-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.app.opts.Houses = svc

	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.LookupHouseCode("4403040010010100002"); errorCode(err) != CodeForbidden {
		t.Errorf("lookup as clerk = %v, want code %q", err, CodeForbidden)
	}

	boss, err := f.ops.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ops.Add(ctx, boss, operators.NewOperator{Login: "tech1", Name: "赵六",
		Role: operators.Technician, Password: "tech-password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Login("tech1", "tech-password"); err != nil {
		t.Fatal(err)
	}
	got, err := f.app.LookupHouseCode(" 4403040010010100002 ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Detail != "彩田路2号3栋402" || got.Online || got.Retired || got.AsOf != "2026-05-01T08:30:00Z" {
		t.Errorf("lookup = %+v", got)
	}
	if _, err := f.app.LookupHouseCode("4403049999999999999"); errorCode(err) != CodeNotFound {
		t.Errorf("unknown code = %v, want code %q", err, CodeNotFound)
	}
}
