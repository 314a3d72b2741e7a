import { Space, Tag, Tooltip, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { ui } from "../bridge";
import i18n from "../i18n";
import { deviceStateLabel, deviceKindLabel, centralStateLabel, roleLabel } from "../labels";

export const stateColour: Record<string, string> = {
  ready: "success",
  busy: "processing",
  connecting: "processing",
  absent: "warning",
  error: "error",
};

interface Props {
  status: ui.Status | null;
}

/** Bottom bar with the devices, the central link and the operator. */
export function StatusBar({ status }: Props) {
  const { t } = useTranslation();
  if (!status) {
    return (
      <footer className="status-bar" aria-label={t("status.label")} role="status">
        <Typography.Text type="secondary">{t("status.loading")}</Typography.Text>
      </footer>
    );
  }
  const configured = status.devices.filter((d) => d.state !== "not_configured");
  const ready = configured.filter((d) => d.state === "ready").length;
  return (
    <footer className="status-bar" aria-label={t("status.label")} role="status">
      <Space size="middle" wrap>
        <span data-testid="status-devices">
          <Typography.Text strong>{t("status.devices")}: </Typography.Text>
          {configured.length === 0 ? (
            <Tag>{t("status.noDevicesConfigured")}</Tag>
          ) : (
            <>
              <Typography.Text>{t("status.devicesReady", { ready, total: configured.length })} </Typography.Text>
              {configured.map((d) => {
                // A ready device shows its name alone, in green, so that the
                // bar fits one line; the label still names the state.
                const full = `${deviceKindLabel(t, d.id)}: ${deviceStateLabel(t, d.state)}`;
                return (
                  <Tooltip key={d.id} title={d.detail || d.name}>
                    <Tag color={stateColour[d.state]} aria-label={full} data-state={d.state}>
                      {d.state === "ready" ? deviceKindLabel(t, d.id) : full}
                    </Tag>
                  </Tooltip>
                );
              })}
            </>
          )}
        </span>
        <span data-testid="status-central">
          <Typography.Text strong>{t("status.central")}: </Typography.Text>
          <Tooltip title={status.central.detail || status.central.url}>
            <Typography.Text>{centralStateLabel(t, status.central.state)}</Typography.Text>
          </Tooltip>
          {status.central.state === "down" && status.central.lastSync && (
            <Typography.Text type="warning">
              {" "}
              {t("status.offlineSince", { time: new Date(status.central.lastSync).toLocaleString(i18n.language) })}
            </Typography.Text>
          )}
          {status.central.pending > 0 && (
            <Typography.Text type="warning"> {t("status.pending", { count: status.central.pending })}</Typography.Text>
          )}
        </span>
        {status.stock.tracked && (
          <span data-testid="status-stock">
            <Typography.Text strong>{t("status.stock")}: </Typography.Text>
            <Typography.Text type={status.stock.low ? "danger" : undefined}>
              {t("status.cardsLeft", { count: status.stock.onHand })}
              {status.stock.low && ` ${t("status.stockLow")}`}
            </Typography.Text>
          </span>
        )}
        <span data-testid="status-operator">
          <Typography.Text strong>{t("status.operator")}: </Typography.Text>
          <Typography.Text>
            {status.operator.loggedIn
              ? t("login.loggedInAs", {
                  name: status.operator.name || status.operator.login,
                  role: roleLabel(t, status.operator.role),
                })
              : t("status.notLoggedIn")}
          </Typography.Text>
        </span>
      </Space>
    </footer>
  );
}
