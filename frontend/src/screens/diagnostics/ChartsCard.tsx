import { Card, Empty, Space, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { ui } from "../../bridge";
import { DayBarChart, errorColour, jobColour } from "../../components/DayBarChart";
import { diagDeviceLabel } from "../../labels";

interface Props {
  charts: ui.ChartData | null;
}

function Swatch({ colour }: { colour: string }) {
  return (
    <span
      aria-hidden
      style={{ display: "inline-block", width: 10, height: 10, background: colour, marginRight: 4, borderRadius: 2 }}
    />
  );
}

/** Jobs and errors per day of each printer over the last 30 days. */
export function ChartsCard({ charts }: Props) {
  const { t } = useTranslation();
  const deviceName = (d: string) => (d === "" ? t("diagnostics.unassigned") : diagDeviceLabel(t, d));
  return (
    <Card
      size="small"
      title={t("diagnostics.charts")}
      data-testid="diagnostics-charts"
      extra={
        charts && (
          <Typography.Text type="secondary">
            {t("diagnostics.chartsRange", { from: charts.from, to: charts.to })}
          </Typography.Text>
        )
      }
    >
      <Space size="middle" style={{ marginBottom: 8 }}>
        <span>
          <Swatch colour={jobColour} />
          {t("diagnostics.jobs")}
        </span>
        <span>
          <Swatch colour={errorColour} />
          {t("diagnostics.errors")}
        </span>
      </Space>
      {charts && charts.devices.length === 0 && <Empty description={t("diagnostics.noCharts")} />}
      {charts?.devices.map((s) => {
        const jobs = s.days.reduce((n, d) => n + d.jobs, 0);
        const errors = s.days.reduce((n, d) => n + d.errors, 0);
        return (
          <div key={s.device} data-testid={`chart-${s.device || "unassigned"}`} style={{ marginBottom: 12 }}>
            <Space size="middle">
              <Typography.Text strong>{deviceName(s.device)}</Typography.Text>
              <Typography.Text type="secondary" data-testid="chart-totals">
                {t("diagnostics.chartTotals", { jobs, errors })}
              </Typography.Text>
            </Space>
            <DayBarChart
              days={s.days}
              label={t("diagnostics.chartLabel", { device: deviceName(s.device), from: charts.from, to: charts.to })}
              barTitle={(d) => t("diagnostics.barTitle", { day: d.day, jobs: d.jobs, errors: d.errors })}
            />
          </div>
        );
      })}
    </Card>
  );
}
