import { FileZipOutlined, ToolOutlined } from "@ant-design/icons";
import { Alert, Button, Col, Row, Space, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { DiagnosticsCharts, RunDiagnostics, SaveSupportBundle, type ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { mergeDeviceRun } from "../diagnostics/report";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { ChartsCard } from "./diagnostics/ChartsCard";
import { Consoles } from "./diagnostics/Consoles";
import { DeviceChecks } from "./diagnostics/DeviceChecks";

const alertType: Record<string, "success" | "warning" | "error" | "info"> = {
  pass: "success",
  warn: "warning",
  fail: "error",
  skip: "info",
};

interface Props {
  status: ui.Status | null;
}

/**
 * Device, storage and link checks grouped by device, the job charts, the
 * support bundle and, for technicians, the device tests and consoles.
 * Needs a logged-in operator.
 */
export function DiagnosticsScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginDiagnostics")} />;
  }
  return <Diagnostics technician={status.operator.role === "technician"} />;
}

/** Formats a byte count for the operator, in kB or MB. */
export function formatBytes(n: number): string {
  if (n < 1000 * 1000) {
    return `${(n / 1000).toFixed(1)} kB`;
  }
  return `${(n / 1000 / 1000).toFixed(1)} MB`;
}

function Diagnostics({ technician }: { technician: boolean }) {
  const { t } = useTranslation();
  const showError = useShowError();
  const [report, setReport] = useState<ui.DiagnosticsReport | null>(null);
  const [running, setRunning] = useState(false);
  const [rerunning, setRerunning] = useState<string | null>(null);
  const [charts, setCharts] = useState<ui.ChartData | null>(null);
  const [bundle, setBundle] = useState<ui.SupportBundle | null>(null);
  const [saving, setSaving] = useState(false);

  const loadCharts = () =>
    DiagnosticsCharts()
      .then(setCharts)
      .catch((reason: unknown) => showError(i18n.t("error.charts"), reason));
  useEffect(() => {
    let live = true;
    DiagnosticsCharts()
      .then((c) => live && setCharts(c))
      .catch((reason: unknown) => live && showError(i18n.t("error.charts"), reason));
    return () => {
      live = false;
    };
  }, [showError]);

  const run = () => {
    setRunning(true);
    RunDiagnostics([])
      .then((r) => {
        setReport(r);
        return loadCharts();
      })
      .catch((reason: unknown) => showError(i18n.t("error.diagnostics"), reason))
      .finally(() => setRunning(false));
  };
  const rerun = (device: string) => {
    setRerunning(device);
    RunDiagnostics([device])
      .then((r) => setReport((old) => (old ? mergeDeviceRun(old, device, r) : r)))
      .catch((reason: unknown) => showError(i18n.t("error.diagnostics"), reason))
      .finally(() => setRerunning(null));
  };
  const saveBundle = () => {
    setSaving(true);
    SaveSupportBundle()
      .then(setBundle)
      .catch((reason: unknown) => showError(i18n.t("error.bundle"), reason))
      .finally(() => setSaving(false));
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Space style={{ width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t("diagnostics.title")}
        </Typography.Title>
        <Space>
          <Button
            autoFocus
            type="primary"
            icon={<ToolOutlined />}
            loading={running}
            disabled={rerunning !== null}
            onClick={run}
            data-testid="run-diagnostics"
          >
            {running ? t("diagnostics.running") : t("diagnostics.run")}
          </Button>
          <Button icon={<FileZipOutlined />} loading={saving} onClick={saveBundle} data-testid="save-bundle">
            {t("diagnostics.bundle")}
          </Button>
        </Space>
      </Space>
      <Typography.Text type="secondary">{t("diagnostics.hint")}</Typography.Text>
      {bundle && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setBundle(null)}
          data-testid="bundle-saved"
          message={
            <Typography.Text copyable={{ text: bundle.path }}>
              {t("diagnostics.bundleSaved", {
                path: bundle.path,
                size: formatBytes(bundle.bytes),
                files: bundle.files.length,
              })}
            </Typography.Text>
          }
        />
      )}
      {report && (
        <Alert
          type={alertType[report.status] ?? "info"}
          showIcon
          data-testid="diagnostics-summary"
          message={t("diagnostics.summary", {
            pass: report.pass,
            warn: report.warn,
            fail: report.fail,
            skip: report.skip,
          })}
        />
      )}
      <Row gutter={16}>
        <Col span={13}>
          {report ? (
            <DeviceChecks key={report.startedAt} report={report} rerunning={rerunning} onRerun={rerun} />
          ) : (
            <Typography.Text type="secondary">{t("diagnostics.notRun")}</Typography.Text>
          )}
        </Col>
        <Col span={11}>
          <ChartsCard charts={charts} />
        </Col>
      </Row>
      {technician ? (
        <Consoles />
      ) : (
        <Typography.Text type="secondary">{t("diagnostics.consolesTechnician")}</Typography.Text>
      )}
    </Space>
  );
}
