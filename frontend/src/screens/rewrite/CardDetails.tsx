import { Alert, Card, Descriptions, Image, Space, Table, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { ui } from "../../bridge";
import { chipConditionLabel } from "../../labels";
import { JobActions } from "./JobActions";
import type { RewriteJobState } from "./useRewriteJob";

/** The card as the screen keeps it (the generated class minus its helper). */
export type RewriteCard = Omit<ui.RewriteCardView, "convertValues">;

interface Props {
  card: RewriteCard;
  /** Disables the open job's actions while another call runs. */
  busy: boolean;
  onAct: (job: RewriteJobState, choice: string) => void;
}

/** Holder, permit, current address, checks and address history of the card read. */
export function CardDetails({ card, busy, onAct }: Props) {
  const { t } = useTranslation();
  const open = card.openJob;
  return (
    <Card title={t("rewrite.holderSection")} size="small" data-testid="rewrite-card">
      <Space direction="vertical" size="middle" style={{ width: "100%" }}>
        {card.readError && <Alert type="error" showIcon message={t("rewrite.readError", { error: card.readError })} />}
        {open && (
          <Alert
            type="warning"
            showIcon
            message={t("rewrite.openJob", { id: open.id })}
            description={
              <Space direction="vertical">
                {open.attention && <Typography.Text>{open.attention}</Typography.Text>}
                {card.chipCondition && (
                  <Typography.Text>
                    {t("rewrite.chipCondition", { condition: chipConditionLabel(t, card.chipCondition) })}
                  </Typography.Text>
                )}
                <JobActions job={open} busy={busy} onAct={onAct} />
              </Space>
            }
          />
        )}
        {card.permitNumber && <HolderFacts card={card} />}
        {card.permitNumber && <AddressHistory history={card.history} />}
      </Space>
    </Card>
  );
}

function HolderFacts({ card }: { card: RewriteCard }) {
  const { t } = useTranslation();
  const revocation = card.revoked ? (
    <Tag color="error">{t("rewrite.revoked")}</Tag>
  ) : (
    <Tag color="success">{t("rewrite.notRevoked")}</Tag>
  );
  return (
    <Space align="start" size="large">
      {card.photo && <Image src={card.photo} alt={t("rewrite.photo")} width={96} preview={false} />}
      <Descriptions size="small" column={2} bordered>
        <Descriptions.Item label={t("rewrite.holderName")}>{card.holderName}</Descriptions.Item>
        <Descriptions.Item label={t("rewrite.holderSex")}>{card.holderSex}</Descriptions.Item>
        <Descriptions.Item label={t("rewrite.birthDate")}>{card.birthDate}</Descriptions.Item>
        <Descriptions.Item label={t("rewrite.idNumber")}>{card.idNumber}</Descriptions.Item>
        <Descriptions.Item label={t("rewrite.permitNumber")}>{card.permitNumber}</Descriptions.Item>
        <Descriptions.Item label={t("rewrite.validity")}>
          {card.validFrom} – {card.validTo}
        </Descriptions.Item>
        <Descriptions.Item label={t("rewrite.serial")}>{card.serial}</Descriptions.Item>
        <Descriptions.Item label={t("rewrite.seal")}>
          {card.sealValid ? (
            <Tag color="success">{t("rewrite.sealValid")}</Tag>
          ) : (
            <Space direction="vertical" size={0}>
              <Tag color="error">{t("rewrite.sealInvalid")}</Tag>
              <Typography.Text type="secondary">{card.sealError}</Typography.Text>
            </Space>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t("rewrite.revocation")} span={2}>
          <Space wrap>
            {revocation}
            {!card.revocationOnline && t("rewrite.revocationOffline")}
            {card.revocationNote && <Typography.Text type="secondary">{card.revocationNote}</Typography.Text>}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t("rewrite.currentAddress")} span={2}>
          <span data-testid="rewrite-current-address">{card.address.line}</span>
          <Typography.Text type="secondary"> · {card.address.houseCode}</Typography.Text>
        </Descriptions.Item>
      </Descriptions>
    </Space>
  );
}

function AddressHistory({ history }: { history: ui.RewriteHistoryView[] }) {
  const { t } = useTranslation();
  return (
    <Table<ui.RewriteHistoryView>
      size="small"
      title={() => t("rewrite.historySection")}
      rowKey="sequence"
      pagination={false}
      dataSource={history}
      locale={{ emptyText: t("rewrite.noHistory") }}
      columns={[
        { title: t("rewrite.sequence"), dataIndex: "sequence", width: 80 },
        { title: t("rewrite.changedOn"), dataIndex: "changedOn", width: 120 },
        { title: t("rewrite.houseCodeColumn"), render: (_, h) => h.address.houseCode, width: 200 },
        { title: t("rewrite.address"), render: (_, h) => h.address.line },
      ]}
    />
  );
}
