import { Alert, Card, Progress, Space, Steps, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { rewriteStateLabel } from "../../labels";
import { JobActions } from "./JobActions";
import type { RewriteJobState } from "./useRewriteJob";

/** The steps shown, in the order the rewrite service runs them. */
const shownSteps = ["check", "chip_write", "chip_verify", "record", "strip", "done"] as const;

/** Index in shownSteps of each progress step. */
const stepIndex: Record<string, number> = {
  check: 0,
  chip_write: 1,
  chip_verify: 2,
  record: 3,
  strip_wait: 4,
  strip_print: 4,
  done: 5,
};

/** Returns the shown step a job is at, from its last event or else from its state. */
export function currentStep(job: RewriteJobState): number {
  const step = job.progress?.step ?? "";
  if (step in stepIndex) {
    return stepIndex[step];
  }
  switch (job.state) {
    case "done":
      return 5;
    case "strip_printing":
    case "chip_updated":
      return 4;
    case "needs_attention":
      return job.attentionFrom === "strip_printing" ? 4 : 1;
  }
  return 1;
}

interface Props {
  job: RewriteJobState;
  busy: boolean;
  onAct: (job: RewriteJobState, choice: string) => void;
}

function stepsStatus(state: string): "error" | "finish" | "process" {
  if (state === "needs_attention") return "error";
  if (state === "done") return "finish";
  return "process";
}

function barStatus(state: string): "exception" | "success" | "active" {
  if (state === "needs_attention") return "exception";
  if (state === "done") return "success";
  return "active";
}

/** Shows the steps of one address change, its percentage, and the result with the choices left. */
export function JobProgress({ job, busy, onAct }: Props) {
  const { t } = useTranslation();
  const current = currentStep(job);
  const failed = job.state === "needs_attention";
  const waiting = job.progress?.step === "strip_wait" && job.state === "strip_printing";
  const percent = job.state === "done" ? 100 : (job.progress?.percent ?? 0);
  return (
    <Card
      title={`${t("rewrite.progressSection")} · ${t("rewrite.job", { id: job.id })}`}
      extra={rewriteStateLabel(t, job.state)}
      size="small"
      data-testid="rewrite-progress"
    >
      <Space direction="vertical" size="middle" style={{ width: "100%" }}>
        <Steps
          size="small"
          current={current}
          status={stepsStatus(job.state)}
          items={shownSteps.map((s, i) => ({
            title: t(`rewriteStep.${s}`),
            description: i === 4 && waiting ? t("rewriteStep.strip_wait") : undefined,
          }))}
        />
        <Progress percent={percent} status={barStatus(job.state)} aria-label={t("rewrite.progressSection")} />
        {job.progress?.message && job.state !== "needs_attention" && (
          <Typography.Text type="secondary">{job.progress.message}</Typography.Text>
        )}
        {job.state === "done" && (
          <Alert type="success" showIcon role="status" message={t("rewrite.done", { serial: job.cardSerial })} />
        )}
        {job.state === "rolled_back" && (
          <Alert type="info" showIcon role="status" message={t("rewrite.rolledBack", { serial: job.cardSerial })} />
        )}
        {failed && (
          <Alert
            type="error"
            showIcon
            message={t("rewrite.needsAttention", { id: job.id, attention: job.attention })}
            description={<JobActions job={job} busy={busy} onAct={onAct} />}
          />
        )}
      </Space>
    </Card>
  );
}
