import { Alert, Button, Space, Steps, Typography } from "antd";
import { useEffect, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { JobProgress, StartJob, type ui } from "../bridge";
import { Events, onEvent } from "../events";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { jobStateLabel } from "../labels";

/** Issuing steps shown to the clerk, each with the job states it covers. */
const steps = [
  { key: "feed", states: ["card_fed"] },
  { key: "encode", states: ["encoding", "encoded"] },
  { key: "verify", states: ["verified"] },
  { key: "print", states: ["printing", "printed"] },
  { key: "eject", states: ["ejected"] },
  { key: "handover", states: ["awaiting_handover", "issued"] },
] as const;

const stopped = new Set(["needs_attention", "spoiled", "voided"]);

/** The latest progress of a job and the furthest step it reached. */
export interface Tracked {
  progress: ui.JobProgress | null;
  furthest: number;
}

/** How often the job's snapshot is read again while the screen shows it. */
const refreshMs = 3000;

/** Milliseconds since the epoch of a progress, or 0 when it has no time. */
function stamp(p: ui.JobProgress | null): number {
  const t = p ? Date.parse(p.at) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Returns the latest progress of job id: it subscribes to the job's events
 * first and then requests the snapshot, so a step sent before the screen
 * opened still shows. Events and snapshots are applied newest first by
 * their time, and the snapshot is read again every 3 seconds while the
 * screen shows the job, so a late or lost event cannot leave it behind.
 */
export function useJobProgress(id: number | null): Tracked {
  const [tracked, setTracked] = useState<Tracked & { id: number | null }>({ id: null, progress: null, furthest: 0 });
  const showError = useShowError();
  useEffect(() => {
    if (id === null) return;
    let live = true;
    // An event wins a tie with the snapshot, because it arrived later.
    const apply = (p: ui.JobProgress, fromEvent: boolean) =>
      setTracked((old) => {
        const mine = old.id === id ? old.progress : null;
        const older = stamp(p) < stamp(mine) || (!fromEvent && mine !== null && stamp(p) === stamp(mine));
        if (older) return old;
        return { id, progress: p, furthest: Math.max(old.id === id ? old.furthest : 0, stepIndex(p.state)) };
      });
    const off = onEvent(Events.EventJobProgress, (p) => {
      if (p.jobId === id && live) apply(p, true);
    });
    const read = (report: boolean) =>
      JobProgress(id)
        .then((p) => live && apply(p, false))
        .catch((reason: unknown) => live && report && showError(i18n.t("error.jobProgress"), reason));
    void read(true);
    const timer = window.setInterval(() => void read(false), refreshMs);
    return () => {
      live = false;
      window.clearInterval(timer);
      off();
    };
  }, [id, showError]);
  return tracked.id === id ? tracked : { progress: null, furthest: 0 };
}

/** Index of the step a job state belongs to, or -1 before the first. */
function stepIndex(state: string): number {
  return steps.findIndex((s) => (s.states as readonly string[]).includes(state));
}

interface Props {
  progress: ui.JobProgress | null;
  /** The step the job stopped in, for needs_attention and spoiled. */
  lastIndex: number;
}

/** Progress of one issuance job through feed, encode, verify, print and eject. */
export function JobSteps({ progress, lastIndex }: Props) {
  const { t } = useTranslation();
  const showError = useShowError();
  const state = progress?.state ?? "queued";
  const failed = stopped.has(state);
  const current = failed ? lastIndex : stepIndex(state);
  const waiting = state === "queued" && progress?.message;
  return (
    <Space direction="vertical" style={{ width: "100%" }} data-testid="job-steps">
      <Steps
        size="small"
        current={Math.max(current, 0)}
        status={stepsStatus(failed, state)}
        items={steps.map((s) => ({ title: t(`issue.step.${s.key}`) }))}
      />
      <Typography.Text data-testid="job-state">
        {t("issue.jobState", { id: progress?.jobId ?? "", state: jobStateLabel(t, state) })}
      </Typography.Text>
      {waiting && progress && (
        <Alert
          type="warning"
          showIcon
          message={t("issue.waitingPrinter")}
          description={progress.message}
          action={
            <Button
              size="small"
              onClick={() =>
                StartJob(progress.jobId).catch((reason: unknown) => showError(i18n.t("error.jobAction"), reason))
              }
            >
              {t("issue.startAgain")}
            </Button>
          }
        />
      )}
      {failed && (
        <Alert
          type="error"
          showIcon
          data-testid="job-fault"
          message={t("issue.stopped", { state: jobStateLabel(t, state) })}
          description={
            <>
              {progress?.advice && (
                <Typography.Text strong data-testid="job-advice">
                  {progress.advice}
                </Typography.Text>
              )}
              <div>
                <Typography.Text type={progress?.advice ? "secondary" : undefined}>{progress?.message}</Typography.Text>
              </div>
              <div>{stoppedHint(t, state)}</div>
            </>
          }
          action={
            <Button size="small" onClick={() => (window.location.hash = "/queue")}>
              {t("issue.toQueue")}
            </Button>
          }
        />
      )}
    </Space>
  );
}

/** Returns what the clerk does next with a job that stopped in state. */
function stoppedHint(t: TFunction, state: string): string {
  switch (state) {
    case "spoiled":
      return t("issue.stoppedHintSpoiled");
    case "voided":
      return t("issue.stoppedHintVoided");
  }
  return t("issue.stoppedHint");
}

/** Returns the status of the step bar: error, finish or process. */
function stepsStatus(failed: boolean, state: string): "error" | "finish" | "process" {
  if (failed) return "error";
  if (state === "issued") return "finish";
  return "process";
}
