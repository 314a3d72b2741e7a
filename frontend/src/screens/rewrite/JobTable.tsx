import { ReloadOutlined } from "@ant-design/icons";
import { Button, Space, Table, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import i18n from "../../i18n";
import { rewriteStateLabel } from "../../labels";
import { JobActions } from "./JobActions";
import type { RewriteJobState } from "./useRewriteJob";

const stateColour: Record<string, string> = {
  done: "success",
  needs_attention: "error",
  rolled_back: "default",
};

interface Props {
  jobs: RewriteJobState[];
  loading: boolean;
  busy: boolean;
  onRefresh: () => void;
  onAct: (job: RewriteJobState, choice: string) => void;
}

/** Lists the station's recent address changes with the actions each offers. */
export function JobTable({ jobs, loading, busy, onRefresh, onAct }: Props) {
  const { t } = useTranslation();
  return (
    <Table<RewriteJobState>
      size="small"
      data-testid="rewrite-jobs"
      title={() => (
        <Space>
          <Typography.Text strong>{t("rewrite.jobsSection")}</Typography.Text>
          <Button size="small" icon={<ReloadOutlined />} onClick={onRefresh}>
            {t("rewrite.refresh")}
          </Button>
        </Space>
      )}
      rowKey="id"
      loading={loading}
      pagination={false}
      dataSource={jobs}
      locale={{ emptyText: t("rewrite.noJobs") }}
      columns={[
        { title: t("rewrite.jobId"), dataIndex: "id", width: 70 },
        { title: t("rewrite.serial"), dataIndex: "cardSerial", width: 170 },
        { title: t("rewrite.holder"), dataIndex: "holderName", width: 100 },
        { title: t("rewrite.newAddressColumn"), render: (_, j) => j.newAddress.line },
        {
          title: t("rewrite.state"),
          width: 260,
          render: (_, j) => (
            <Space direction="vertical" size={0}>
              <Tag color={stateColour[j.state] ?? "processing"}>{rewriteStateLabel(t, j.state)}</Tag>
              {j.attention && <Typography.Text type="secondary">{j.attention}</Typography.Text>}
            </Space>
          ),
        },
        {
          title: t("rewrite.updated"),
          width: 170,
          render: (_, j) => (j.updatedAt ? new Date(j.updatedAt).toLocaleString(i18n.language) : ""),
        },
        {
          title: t("rewrite.actions"),
          width: 200,
          render: (_, j) => <JobActions job={j} busy={busy} onAct={onAct} />,
        },
      ]}
    />
  );
}
