import { ToolOutlined } from "@ant-design/icons";
import { Alert, Button, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { RunDiagnostics, type ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { deviceKindLabel, diagStatusLabel } from "../labels";

const statusColour: Record<string, string> = { pass: "success", warn: "warning", fail: "error", skip: "default" };
const alertType: Record<string, "success" | "warning" | "error" | "info"> = {
  pass: "success",
  warn: "warning",
  fail: "error",
  skip: "info",
};

interface Props {
  status: ui.Status | null;
}

/** Device, storage and link checks. Needs a logged-in operator. */
export function DiagnosticsScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginDiagnostics")} />;
  }
  return <DiagnosticsRun />;
}

function DiagnosticsRun() {
  const { t } = useTranslation();
  const showError = useShowError();
  const [report, setReport] = useState<ui.DiagnosticsReport | null>(null);
  const [running, setRunning] = useState(false);
  const run = () => {
    setRunning(true);
    RunDiagnostics()
      .then(setReport)
      .catch((reason: unknown) => showError(i18n.t("error.diagnostics"), reason))
      .finally(() => setRunning(false));
  };
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("diagnostics.title")}</Typography.Title>
      <Typography.Paragraph>{t("diagnostics.hint")}</Typography.Paragraph>
      <Button
        autoFocus
        type="primary"
        icon={<ToolOutlined />}
        loading={running}
        onClick={run}
        data-testid="run-diagnostics"
      >
        {running ? t("diagnostics.running") : t("diagnostics.run")}
      </Button>
      {report ? (
        <>
          <Alert
            type={alertType[report.status] ?? "info"}
            showIcon
            message={t("diagnostics.summary", {
              pass: report.pass,
              warn: report.warn,
              fail: report.fail,
              skip: report.skip,
            })}
          />
          <Table<ui.DiagnosticCheck>
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={report.checks}
            columns={[
              { title: t("diagnostics.check"), dataIndex: "id", width: 170 },
              {
                title: t("diagnostics.device"),
                dataIndex: "device",
                width: 170,
                render: (d: string) => <span style={{ whiteSpace: "nowrap" }}>{deviceKindLabel(t, d)}</span>,
              },
              {
                title: t("diagnostics.status"),
                dataIndex: "status",
                width: 90,
                render: (s: string) => <Tag color={statusColour[s]}>{diagStatusLabel(t, s)}</Tag>,
              },
              { title: t("diagnostics.reason"), dataIndex: "reason" },
              { title: t("diagnostics.fix"), dataIndex: "fix", width: 200 },
              {
                title: t("diagnostics.duration"),
                dataIndex: "durationMs",
                width: 80,
                render: (ms: number) => `${ms} ms`,
              },
            ]}
          />
        </>
      ) : (
        <Typography.Text type="secondary">{t("diagnostics.notRun")}</Typography.Text>
      )}
    </Space>
  );
}
