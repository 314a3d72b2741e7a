import { Alert, Card, Col, Descriptions, Row, Space } from "antd";
import { useTranslation } from "react-i18next";
import type { ui } from "../../bridge";
import i18n from "../../i18n";

/** The preview as the screen keeps it (the generated class minus its helper). */
export type RewritePreview = Omit<ui.RewritePreviewView, "convertValues">;

/** Shows the new address, and the strip as printed now and after the change side by side. */
export function StripPreview({ preview }: { preview: RewritePreview }) {
  const { t } = useTranslation();
  const a = preview.newAddress;
  return (
    <Card title={`${t("rewrite.newAddress")} · ${a.houseCode}`} size="small" data-testid="rewrite-preview">
      <Space direction="vertical" size="middle" style={{ width: "100%" }}>
        {!preview.lookupOnline && (
          <Alert
            type="warning"
            showIcon
            message={t("rewrite.lookupCached", {
              asOf: preview.lookupAsOf ? new Date(preview.lookupAsOf).toLocaleString(i18n.language) : "—",
            })}
          />
        )}
        <Descriptions size="small" column={2}>
          <Descriptions.Item label={t("rewrite.district")}>{a.district}</Descriptions.Item>
          <Descriptions.Item label={t("rewrite.street")}>{a.street}</Descriptions.Item>
          <Descriptions.Item label={t("rewrite.community")}>{a.community}</Descriptions.Item>
          <Descriptions.Item label={t("rewrite.detail")}>{a.detail}</Descriptions.Item>
          <Descriptions.Item label={t("rewrite.line")} span={2}>
            <span data-testid="rewrite-new-address">{a.line}</span>
          </Descriptions.Item>
        </Descriptions>
        <Row gutter={16}>
          <Col span={12}>
            <figure className="rewrite-strip">
              <img src={preview.oldStrip} alt={t("rewrite.oldStrip")} />
              <figcaption>{t("rewrite.oldStrip")}</figcaption>
            </figure>
          </Col>
          <Col span={12}>
            <figure className="rewrite-strip">
              <img src={preview.newStrip} alt={t("rewrite.newStrip")} />
              <figcaption>{t("rewrite.newStrip")}</figcaption>
            </figure>
          </Col>
        </Row>
      </Space>
    </Card>
  );
}
