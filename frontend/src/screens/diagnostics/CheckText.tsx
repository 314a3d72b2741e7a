import { Space, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { ui } from "../../bridge";
import { findingText } from "../../diagnostics/findings";
import { diagCheckLabel, diagStatusLabel } from "../../labels";

export const statusColour: Record<string, string> = {
  pass: "success",
  warn: "warning",
  fail: "error",
  skip: "default",
};

/** Renders a status badge in the current language. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Tag color={statusColour[status]} data-status={status}>
      {diagStatusLabel(t, status)}
    </Tag>
  );
}

/**
 * Renders one check or device test: its name, status, reason and fix, translated
 * where the findings table has the code, with Go's English kept below a
 * translation, then the measured values.
 */
export function CheckItem({ check }: { check: ui.DiagnosticCheck }) {
  const { t, i18n } = useTranslation();
  const text = findingText(check, i18n.language);
  const details = Object.entries(check.details ?? {});
  return (
    <div className="diag-check" data-testid={`check-${check.id}`} data-status={check.status} data-code={check.code}>
      <Space size="small" align="start" wrap>
        <StatusTag status={check.status} />
        <Typography.Text strong>{diagCheckLabel(t, check.id)}</Typography.Text>
        <Typography.Text type="secondary" code>
          {check.id}
        </Typography.Text>
        {check.durationMs > 0 && (
          <Typography.Text type="secondary">{t("diagnostics.durationMs", { ms: check.durationMs })}</Typography.Text>
        )}
      </Space>
      <div className="diag-check-body">
        <Typography.Text data-testid="check-reason">{text.reason}</Typography.Text>
        {text.fix && (
          <div>
            <Typography.Text type={check.status === "fail" ? "danger" : "warning"}>
              {t("diagnostics.fixLine", { fix: text.fix })}
            </Typography.Text>
          </div>
        )}
        {text.translated && (
          <div>
            <Typography.Text type="secondary" className="diag-original">
              {t("diagnostics.originalLine", { text: check.fix ? `${check.reason} — ${check.fix}` : check.reason })}
            </Typography.Text>
          </div>
        )}
        {details.length > 0 && (
          <div className="diag-details">
            {details.map(([k, v]) => (
              <span key={k}>
                <Typography.Text type="secondary">{k}</Typography.Text> <Typography.Text code>{v}</Typography.Text>
              </span>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
