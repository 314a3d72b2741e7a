import { SyncOutlined } from "@ant-design/icons";
import { App, Button, Card, Descriptions, Form, Input, InputNumber, Select, Space, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { CardStock, ReceiveCardLot, SyncNow, type ui } from "../bridge";
import { useShowError } from "../errors";
import { useVersion } from "../hooks";
import i18n, { languages, type LanguageCode } from "../i18n";
import { centralStateLabel } from "../labels";
import { DevicesCard } from "./DevicesCard";

interface Props {
  status: ui.Status | null;
  language: LanguageCode;
  onLanguage: (lang: LanguageCode) => void;
}

const languageNames: Record<LanguageCode, string> = { "zh-CN": "简体中文", en: "English" };

/** Language, devices, central link, card stock and build information. */
export function SettingsScreen({ status, language, onLanguage }: Props) {
  const { t } = useTranslation();
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("settings.title")}</Typography.Title>
      <Card title={t("settings.languageSection")} size="small">
        <Space direction="vertical">
          <label htmlFor="settings-language">{t("settings.languageHelp")}</label>
          <Select<LanguageCode>
            id="settings-language"
            data-testid="settings-language"
            aria-label={t("app.language")}
            value={language}
            onChange={onLanguage}
            style={{ width: 200 }}
            options={languages.map((l) => ({ value: l, label: languageNames[l] }))}
          />
        </Space>
      </Card>
      <DevicesCard status={status} />
      <CentralCard status={status} />
      {status?.operator.role === "supervisor" && <StockCard />}
      <AboutCard status={status} />
    </Space>
  );
}

function CentralCard({ status }: { status: ui.Status | null }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [syncing, setSyncing] = useState(false);
  const central = status?.central;
  const sync = () => {
    setSyncing(true);
    SyncNow()
      .then((r) => message.success(t("settings.synced", { pulled: r.pulled, pushed: r.pushed })))
      .catch((reason: unknown) => showError(i18n.t("error.sync"), reason))
      .finally(() => setSyncing(false));
  };
  return (
    <Card
      title={t("settings.centralSection")}
      size="small"
      extra={
        status?.operator.loggedIn &&
        central?.state !== "offline_only" && (
          <Button icon={<SyncOutlined />} loading={syncing} onClick={sync}>
            {t("settings.syncNow")}
          </Button>
        )
      }
    >
      <Descriptions size="small" column={2}>
        <Descriptions.Item label={t("settings.centralState")}>
          {central ? centralStateLabel(t, central.state) : ""}
        </Descriptions.Item>
        <Descriptions.Item label={t("settings.centralUrl")}>{central?.url || "—"}</Descriptions.Item>
        <Descriptions.Item label={t("settings.lastSync")}>
          {central?.lastSync ? new Date(central.lastSync).toLocaleString(i18n.language) : t("settings.never")}
        </Descriptions.Item>
        <Descriptions.Item label={t("settings.pending")}>{central?.pending ?? 0}</Descriptions.Item>
        {central?.detail && (
          <Descriptions.Item label={t("settings.lastError")} span={2}>
            {central.detail}
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}

// These mirror issuance.MaxLotSize, issuance.MaxLotNumberLen and
// issuance.CheckLotNumber, which stay the authority.
const MAX_LOT_SIZE = 10000;
const MAX_LOT_NUMBER_LEN = 40;
const LOT_NUMBER_PATTERN = /^\s*[A-Za-z0-9._-]+\s*$/;

interface LotForm {
  number: string;
  count: number;
}

function StockCard() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [lots, setLots] = useState<ui.LotView[]>([]);
  const [tick, setTick] = useState(0);
  const [form] = Form.useForm<LotForm>();
  useEffect(() => {
    let live = true;
    CardStock()
      .then((l) => live && setLots(l))
      .catch((reason: unknown) => live && showError(i18n.t("error.loadStock"), reason));
    return () => {
      live = false;
    };
  }, [tick, showError]);
  const receive = (values: LotForm) => {
    ReceiveCardLot(values.number, values.count)
      .then((lot) => {
        void message.success(t("settings.lotReceived", { number: lot.number }));
        form.resetFields();
        setTick((n) => n + 1);
      })
      .catch((reason: unknown) => showError(i18n.t("error.receiveLot"), reason));
  };
  return (
    <Card title={t("settings.stockSection")} size="small">
      <Typography.Paragraph type="secondary">{t("settings.stockHint")}</Typography.Paragraph>
      <Table<ui.LotView>
        size="small"
        rowKey="number"
        pagination={false}
        dataSource={lots}
        locale={{ emptyText: t("settings.noLots") }}
        columns={[
          { title: t("settings.lotNumber"), dataIndex: "number", ellipsis: true },
          { title: t("settings.received"), dataIndex: "received" },
          { title: t("settings.adjusted"), dataIndex: "adjusted" },
          { title: t("settings.taken"), dataIndex: "taken" },
          { title: t("settings.onHand"), dataIndex: "onHand" },
          {
            title: t("settings.receivedAt"),
            dataIndex: "receivedAt",
            render: (v: string) => (v ? new Date(v).toLocaleString(i18n.language) : ""),
          },
        ]}
      />
      <Form<LotForm> form={form} layout="inline" onFinish={receive} style={{ marginTop: 12 }} requiredMark={false}>
        <Form.Item
          label={t("settings.lotNumber")}
          name="number"
          rules={[
            { required: true, whitespace: true, message: t("login.required", { field: t("settings.lotNumber") }) },
            { pattern: LOT_NUMBER_PATTERN, message: t("settings.lotNumberRule", { max: MAX_LOT_NUMBER_LEN }) },
          ]}
        >
          <Input maxLength={MAX_LOT_NUMBER_LEN} style={{ width: 180 }} />
        </Form.Item>
        <Form.Item
          label={t("settings.lotCount")}
          name="count"
          rules={[{ required: true, message: t("login.required", { field: t("settings.lotCount") }) }]}
        >
          {/* NOTE: antd clamps an out-of-range count to min or max on blur
              instead of showing an error, so a typed 99999 becomes 10000. */}
          <InputNumber min={1} max={MAX_LOT_SIZE} precision={0} style={{ width: 120 }} />
        </Form.Item>
        <Button htmlType="submit">{t("settings.receiveLot")}</Button>
      </Form>
    </Card>
  );
}

function AboutCard({ status }: { status: ui.Status | null }) {
  const { t } = useTranslation();
  const version = useVersion();
  return (
    <Card title={t("settings.aboutSection")} size="small">
      <Descriptions size="small" column={1}>
        <Descriptions.Item label={t("settings.version")}>
          <span data-testid="app-version">{version?.version ?? ""}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t("settings.commit")}>{version?.commit ?? ""}</Descriptions.Item>
        <Descriptions.Item label={t("settings.built")}>{builtAt(version?.date ?? "")}</Descriptions.Item>
        <Descriptions.Item label={t("settings.station")}>{status?.station ?? ""}</Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

/** Returns the build time in local time, or the text as built ("unknown"). */
function builtAt(date: string): string {
  const parsed = new Date(date);
  return Number.isNaN(parsed.getTime()) ? date : parsed.toLocaleString(i18n.language);
}
