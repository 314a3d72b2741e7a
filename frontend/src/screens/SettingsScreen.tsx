import { Card, Descriptions, Select, Space, Table, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { ui } from "../bridge";
import { useVersion } from "../hooks";
import { languages, type LanguageCode } from "../i18n";
import { centralStateLabel, deviceKindLabel, deviceStateLabel } from "../labels";

interface Props {
  status: ui.Status | null;
  language: LanguageCode;
  onLanguage: (lang: LanguageCode) => void;
}

const languageNames: Record<LanguageCode, string> = { "zh-CN": "简体中文", en: "English" };

/** Language, configured devices, central link and build information. */
export function SettingsScreen({ status, language, onLanguage }: Props) {
  const { t } = useTranslation();
  const version = useVersion();
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
      <Card title={t("settings.devicesSection")} size="small">
        <Table<ui.DeviceStatus>
          size="small"
          pagination={false}
          rowKey="id"
          dataSource={status?.devices ?? []}
          columns={[
            { title: t("settings.deviceColumn"), dataIndex: "id", render: (id: string) => deviceKindLabel(t, id) },
            {
              title: t("settings.nameColumn"),
              dataIndex: "name",
              render: (name: string) => name || t("settings.notConfiguredName"),
            },
            {
              title: t("settings.stateColumn"),
              dataIndex: "state",
              render: (state: string) => <Tag>{deviceStateLabel(t, state)}</Tag>,
            },
          ]}
        />
      </Card>
      <Card title={t("settings.centralSection")} size="small">
        <Descriptions size="small" column={1}>
          <Descriptions.Item label={t("settings.centralState")}>
            {status ? centralStateLabel(t, status.central.state) : ""}
          </Descriptions.Item>
          <Descriptions.Item label={t("settings.centralUrl")}>{status?.central.url || "—"}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t("settings.aboutSection")} size="small">
        <Descriptions size="small" column={1}>
          <Descriptions.Item label={t("settings.version")}>
            <span data-testid="app-version">{version?.version ?? ""}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t("settings.commit")}>{version?.commit ?? ""}</Descriptions.Item>
          <Descriptions.Item label={t("settings.built")}>{version?.date ?? ""}</Descriptions.Item>
          <Descriptions.Item label={t("settings.station")}>{status?.station ?? ""}</Descriptions.Item>
        </Descriptions>
      </Card>
    </Space>
  );
}
