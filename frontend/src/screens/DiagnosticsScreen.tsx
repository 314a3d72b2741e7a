import { ToolOutlined } from "@ant-design/icons";
import { useTranslation } from "react-i18next";
import type { ui } from "../bridge";
import { EmptyScreen } from "./EmptyScreen";

interface Props {
  status: ui.Status | null;
}

/** Device diagnostics. Explains what is needed while no device is configured. */
export function DiagnosticsScreen({ status }: Props) {
  const { t } = useTranslation();
  const configured = status?.devices.filter((d) => d.state !== "not_configured") ?? [];
  const hint = configured.length === 0 ? t("empty.devicesHint") : t("empty.serviceMissing");
  return <EmptyScreen icon={<ToolOutlined />} title={t("empty.diagnosticsTitle")} explanation={hint} />;
}
