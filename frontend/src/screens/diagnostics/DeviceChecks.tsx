import { ReloadOutlined } from "@ant-design/icons";
import { Button, Card, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { ui } from "../../bridge";
import { groupByDevice, type CheckStatus, type DeviceGroup } from "../../diagnostics/report";
import { diagDeviceLabel, diagStatusLabel } from "../../labels";
import { CheckItem, StatusTag, statusColour } from "./CheckText";

interface Props {
  report: ui.DiagnosticsReport;
  /** Device being checked again, if any. */
  rerunning: string | null;
  onRerun: (device: string) => void;
}

const countOrder: CheckStatus[] = ["fail", "warn", "pass", "skip"];

/** Devices whose rows open by themselves: those with a warning or failure. */
function attentionKeys(groups: DeviceGroup[]): string[] {
  return groups.filter((g) => g.status === "warn" || g.status === "fail").map((g) => g.device);
}

/**
 * Renders the checks grouped by device: one row per device with its worst status,
 * the count of each status and a button that checks the device again. A
 * row opens to the device's checks.
 */
export function DeviceChecks({ report, rerunning, onRerun }: Props) {
  const { t } = useTranslation();
  const groups = groupByDevice(report.checks);
  const all = groups.map((g) => g.device);
  // Rows the operator opened or closed; a device needing attention is open
  // unless closed, also after it is checked again.
  const [opened, setOpened] = useState<string[]>([]);
  const [closed, setClosed] = useState<string[]>([]);
  const attention = attentionKeys(groups);
  const expanded = all.filter((d) => opened.includes(d) || (attention.includes(d) && !closed.includes(d)));
  const setExpanded = (keys: string[]) => {
    setOpened(keys);
    setClosed(all.filter((d) => !keys.includes(d)));
  };
  const allOpen = groups.length > 0 && expanded.length === groups.length;
  return (
    <Card
      size="small"
      title={t("diagnostics.devices")}
      extra={
        <Button size="small" data-testid="expand-all" onClick={() => setExpanded(allOpen ? [] : all)}>
          {allOpen ? t("diagnostics.collapseAll") : t("diagnostics.expandAll")}
        </Button>
      }
    >
      <Table<DeviceGroup>
        size="small"
        rowKey="device"
        pagination={false}
        dataSource={groups}
        className="diag-devices"
        data-testid="device-checks"
        onRow={(g) => ({ "data-testid": `device-${g.device}`, "data-status": g.status }) as object}
        expandable={{
          expandedRowKeys: expanded,
          onExpandedRowsChange: (keys) => setExpanded(keys as string[]),
          expandedRowRender: (g) => (
            <Space direction="vertical" size="small" style={{ width: "100%" }}>
              {g.checks.map((c) => (
                <CheckItem key={c.id} check={c} />
              ))}
            </Space>
          ),
        }}
        columns={[
          {
            title: t("diagnostics.device"),
            dataIndex: "device",
            render: (d: string) => <Typography.Text strong>{diagDeviceLabel(t, d)}</Typography.Text>,
          },
          {
            title: t("diagnostics.status"),
            dataIndex: "status",
            width: 80,
            render: (s: string) => <StatusTag status={s} />,
          },
          {
            title: t("diagnostics.counts"),
            key: "counts",
            render: (_: unknown, g: DeviceGroup) => (
              <Space size={4} wrap>
                {countOrder
                  .filter((s) => g.counts[s] > 0)
                  .map((s) => (
                    <Tag key={s} color={statusColour[s]} bordered={false}>
                      {diagStatusLabel(t, s)} {g.counts[s]}
                    </Tag>
                  ))}
              </Space>
            ),
          },
          {
            title: t("diagnostics.actions"),
            key: "rerun",
            width: 110,
            render: (_: unknown, g: DeviceGroup) => (
              <Button
                size="small"
                icon={<ReloadOutlined />}
                loading={rerunning === g.device}
                disabled={rerunning !== null && rerunning !== g.device}
                onClick={() => onRerun(g.device)}
                data-testid={`rerun-${g.device}`}
              >
                {t("diagnostics.rerun")}
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}
