import { SearchOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Descriptions, Input, Space, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { LookupHouseCode, type ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { useWedge } from "../useWedge";

interface Props {
  status: ui.Status | null;
}

/** Address rewriting on an existing card. Needs a logged-in technician. */
export function RewriteScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginRewrite")} />;
  }
  return <HouseLookup />;
}

function HouseLookup() {
  const { t } = useTranslation();
  const showError = useShowError();
  const [code, setCode] = useState("");
  const [found, setFound] = useState<ui.HouseCodeView | null>(null);
  const [busy, setBusy] = useState(false);
  const lookup = (value: string) => {
    setBusy(true);
    LookupHouseCode(value)
      .then(setFound)
      .catch((reason: unknown) => {
        setFound(null);
        showError(i18n.t("error.lookup"), reason);
      })
      .finally(() => setBusy(false));
  };
  useWedge((scanned) => {
    setCode(scanned);
    lookup(scanned);
  });
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("rewrite.title")}</Typography.Title>
      <Alert type="info" showIcon message={t("rewrite.devicesMissing")} />
      <Space.Compact style={{ maxWidth: 560, width: "100%" }}>
        <Input
          autoFocus
          allowClear
          aria-label={t("rewrite.houseCode")}
          placeholder={t("rewrite.houseCode")}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          onPressEnter={() => lookup(code)}
        />
        <Button type="primary" icon={<SearchOutlined />} loading={busy} onClick={() => lookup(code)}>
          {t("rewrite.lookup")}
        </Button>
      </Space.Compact>
      <Typography.Text type="secondary">{t("rewrite.hint")}</Typography.Text>
      {found && (
        <Card title={`${t("rewrite.newAddress")} · ${found.houseCode}`} size="small">
          {found.retired && <Alert type="error" showIcon message={t("rewrite.retired")} style={{ marginBottom: 12 }} />}
          {!found.online && (
            <Alert
              type="warning"
              showIcon
              message={t("rewrite.cached", {
                asOf: found.asOf ? new Date(found.asOf).toLocaleString(i18n.language) : "—",
              })}
              style={{ marginBottom: 12 }}
            />
          )}
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t("rewrite.district")}>{found.district}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.street")}>{found.street}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.community")}>{found.community}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.detail")}>{found.detail}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.line")} span={2}>
              {found.line}
            </Descriptions.Item>
          </Descriptions>
        </Card>
      )}
    </Space>
  );
}
