import { Button, Space } from "antd";
import { useTranslation } from "react-i18next";
import { rewriteChoiceLabel } from "../../labels";
import type { RewriteJobState } from "./useRewriteJob";

interface Props {
  job: RewriteJobState;
  busy: boolean;
  onAct: (job: RewriteJobState, choice: string) => void;
}

/** Shows one button for each action a job offers: resume, roll back, reprint. */
export function JobActions({ job, busy, onAct }: Props) {
  const { t } = useTranslation();
  return (
    <Space wrap>
      {job.choices.map((choice) => (
        <Button
          key={choice}
          size="small"
          danger={choice === "roll_back"}
          disabled={busy}
          data-testid={`rewrite-${choice}-${job.id}`}
          onClick={() => onAct(job, choice)}
        >
          {rewriteChoiceLabel(t, choice)}
        </Button>
      ))}
    </Space>
  );
}
