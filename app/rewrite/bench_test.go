package rewrite_test

import (
	"testing"

	"permitdesk/app/rewrite"
)

// BenchmarkRewrite measures one address change from the card read to the
// printed strip, with the rewriter emulator's mechanical times at zero, and
// reports the APDUs and bytes the card exchanged per change.
func BenchmarkRewrite(b *testing.B) {
	r, app, _ := issuedRig(b, rigOptions{})
	ctx := testCtx(b)
	cur := app.Address
	r.cards.ResetStats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := r.otherHouseCode(b, cur, i%3)
		job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
		if err != nil || job.State != rewrite.Done {
			b.Fatalf("change %d: %s %q %v", i, job.State, job.Attention, err)
		}
		r.strip.InsertCard()
		cur = next
	}
	b.StopTimer()
	st := r.cards.Stats()
	b.ReportMetric(float64(st.APDUs)/float64(b.N), "apdus/op")
	b.ReportMetric(float64(st.BytesIn+st.BytesOut)/float64(b.N), "cardbytes/op")
	b.ReportMetric(float64(st.Air106.Microseconds())/1000/float64(b.N), "air106ms/op")
}
