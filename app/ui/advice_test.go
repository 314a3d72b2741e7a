package ui

import (
	"testing"

	"permitdesk/app/config"
	"permitdesk/app/issuance"
)

func TestJobAdviceFollowsLanguage(t *testing.T) {
	app, _ := newTestApp(t, config.Default(), t.TempDir())
	fault := JobProgress{State: "spoiled", Message: `print failed: printer: print [printer.ribbon_out]: ` +
		`printer replied "ERR RIBBON ENDED" (The ribbon has run out. Replace it.)`}
	tests := []struct {
		lang, want string
	}{
		{"zh-CN", "色带已用完，请更换色带。"},
		{"en", "The ribbon has run out. Replace it."},
	}
	for _, tt := range tests {
		if err := app.SetLanguage(tt.lang); err != nil {
			t.Fatal(err)
		}
		got := app.withAdvice(fault)
		if got.Code != "printer.ribbon_out" {
			t.Errorf("%s: code = %q, want printer.ribbon_out", tt.lang, got.Code)
		}
		if got.Advice != tt.want {
			t.Errorf("%s: advice = %q, want %q", tt.lang, got.Advice, tt.want)
		}
	}

	plain := app.withAdvice(JobProgress{State: "needs_attention", Message: "card removed from the station"})
	if plain.Code != "" || plain.Advice != "" {
		t.Errorf("message without a printer code: code %q, advice %q, want both empty", plain.Code, plain.Advice)
	}
}

func TestAdvisedJobFromAttention(t *testing.T) {
	app, _ := newTestApp(t, config.Default(), t.TempDir())
	j := &issuance.Job{ID: 4, State: issuance.Spoiled,
		Attention: "feed failed: printer: feed [printer.cover_open]: printer replied \"ERR COVER OPEN\""}
	if got := app.advisedJob(j).Advice; got != "打印机盖未关闭，请关好机盖后重试。" {
		t.Errorf("advice = %q, want the zh-CN text of printer.cover_open", got)
	}
	j.Attention = "card removed from the station"
	if got := app.advisedJob(j).Advice; got != "" {
		t.Errorf("advice without a printer code = %q, want empty", got)
	}
}
