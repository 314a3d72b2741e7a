package diag

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The chart queries read the issuance tables (jobs, job_events; migration
// 00005). They are the only SQL in this package that depends on the
// issuance schema, so a schema change is made here.
const (
	// chartJobsSQL counts jobs created per printer and local day. ?1 is the
	// offset modifier such as "+480 minutes", ?2 the first instant (UTC text).
	chartJobsSQL = `SELECT printer, strftime('%Y-%m-%d', created_at, ?1) AS day, COUNT(*)
		FROM jobs WHERE created_at >= ?2 GROUP BY printer, day`
	// chartErrorsSQL counts failure events per printer and local day: a job
	// that spoiled a card or stopped for an operator's decision, and a feed
	// that moved no card.
	chartErrorsSQL = `SELECT j.printer, strftime('%Y-%m-%d', e.at, ?1) AS day, COUNT(*)
		FROM job_events e JOIN jobs j ON j.id = e.job_id
		WHERE e.at >= ?2 AND (e.to_state IN ('spoiled', 'needs_attention')
			OR json_extract(e.detail, '$.step') = 'not fed')
		GROUP BY j.printer, day`
	// storedTimeFormat is how the issuance tables store instants.
	storedTimeFormat = "2006-01-02T15:04:05.000000000Z"
)

// ChartRequest selects the chart period.
type ChartRequest struct {
	// Days is the number of days up to and including today; 0 means 30.
	Days int `json:"days"`
}

// DayCount is one day of one device's chart.
type DayCount struct {
	// Day is the local date, YYYY-MM-DD.
	Day    string `json:"day"`
	Jobs   int    `json:"jobs"`
	Errors int    `json:"errors"`
}

// DeviceSeries is one device's chart, one entry per day, oldest first.
type DeviceSeries struct {
	Device string     `json:"device"`
	Days   []DayCount `json:"days"`
}

// Charts is the data of the Diagnostics screen's charts.
type Charts struct {
	From    string         `json:"from"`
	To      string         `json:"to"`
	Devices []DeviceSeries `json:"devices"`
}

// Charts counts jobs and failures per printer and local day. Days without
// any are present with zero counts, and the configured printer has a
// series even when it has no jobs.
//
// NOTE: days are cut at the local offset in force now, so across a
// daylight-saving change up to an hour lands in the neighbouring day.
func (s *Service) Charts(ctx context.Context, req ChartRequest) (Charts, error) {
	if s.opts.DB == nil {
		return Charts{}, fmt.Errorf("%w: the database is not open", ErrAuditUnavailable)
	}
	days := orDefault(req.Days, 30)
	now := s.opts.Now().In(s.opts.Location)
	first := time.Date(now.Year(), now.Month(), now.Day()-days+1, 0, 0, 0, 0, now.Location())
	_, offset := now.Zone()
	modifier := fmt.Sprintf("%+d minutes", offset/60)
	since := first.UTC().Format(storedTimeFormat)
	counts := map[string]map[string]*DayCount{}
	if err := s.countInto(ctx, chartJobsSQL, modifier, since, counts, func(d *DayCount, n int) { d.Jobs = n }); err != nil {
		return Charts{}, fmt.Errorf("count jobs: %w", err)
	}
	if err := s.countInto(ctx, chartErrorsSQL, modifier, since, counts, func(d *DayCount, n int) { d.Errors = n }); err != nil {
		return Charts{}, fmt.Errorf("count failures: %w", err)
	}
	if _, ok := counts["printer"]; !ok && s.opts.Config.Devices.Printer.Port != "" {
		counts["printer"] = map[string]*DayCount{}
	}
	return denseCharts(first, days, counts), nil
}

func (s *Service) countInto(ctx context.Context, query, modifier, since string,
	counts map[string]map[string]*DayCount, set func(*DayCount, int)) error {
	rows, err := s.opts.DB.QueryContext(ctx, query, modifier, since)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var device, day string
		var n int
		if err := rows.Scan(&device, &day, &n); err != nil {
			return err
		}
		if counts[device] == nil {
			counts[device] = map[string]*DayCount{}
		}
		if counts[device][day] == nil {
			counts[device][day] = &DayCount{Day: day}
		}
		set(counts[device][day], n)
	}
	return rows.Err()
}

func denseCharts(first time.Time, days int, counts map[string]map[string]*DayCount) Charts {
	out := Charts{From: first.Format(time.DateOnly), To: first.AddDate(0, 0, days-1).Format(time.DateOnly)}
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		series := DeviceSeries{Device: name, Days: make([]DayCount, days)}
		for i := range days {
			day := first.AddDate(0, 0, i).Format(time.DateOnly)
			series.Days[i] = DayCount{Day: day}
			if c := counts[name][day]; c != nil {
				series.Days[i] = *c
			}
		}
		out.Devices = append(out.Devices, series)
	}
	return out
}
