// Follows one address change: it subscribes to rewrite:progress first and
// then requests the job from Go, so a step sent between the two is never
// lost, and it keeps whichever of the two is later.
import { useEffect, useRef, useState } from "react";
import { RewriteJob, type ui } from "../../bridge";
import { useShowError } from "../../errors";
import { Events, onEvent } from "../../events";
import i18n from "../../i18n";

/** An address change as the screen keeps it (the generated class minus its helper). */
export type RewriteJobState = Omit<ui.RewriteJobView, "convertValues">;

/** States after which the job makes no progress until a technician acts. */
export const endStates = ["done", "needs_attention", "rolled_back"];

/** Steps whose event is the last one of a run. */
const endSteps = ["done", "failed", "rolled_back"];

/**
 * Returns the later of two progress events. Go writes each time in UTC with
 * nine fractional digits, so the strings compare in time order.
 */
export function laterProgress(
  a: ui.RewriteProgressView | undefined,
  b: ui.RewriteProgressView | undefined,
): ui.RewriteProgressView | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.at > a.at ? b : a;
}

/** Applies a progress event to the job it belongs to. */
export function applyProgress(job: RewriteJobState, p: ui.RewriteProgressView): RewriteJobState {
  if (job.id !== p.jobId || laterProgress(job.progress, p) !== p) {
    return job;
  }
  return { ...job, state: p.state, progress: p };
}

/**
 * Merges a job read from Go into the one on screen. The read wins unless the
 * screen has already seen a later progress event, whose state is then kept.
 */
export function mergeJob(shown: RewriteJobState | null, read: RewriteJobState): RewriteJobState {
  if (!shown || shown.id !== read.id) {
    return read;
  }
  const progress = laterProgress(read.progress, shown.progress);
  if (progress && progress !== read.progress) {
    return { ...read, state: progress.state, progress };
  }
  return read;
}

/**
 * Returns the job with id, kept up to date from progress events, and a
 * function that replaces it with a job a bound method returned. onEnd runs
 * when the job reaches an end state.
 */
export function useRewriteJob(
  id: number | null,
  onEnd: (job: RewriteJobState) => void,
): [RewriteJobState | null, (job: RewriteJobState) => void] {
  const [job, setJob] = useState<RewriteJobState | null>(null);
  const showError = useShowError();
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  }, [onEnd]);
  useEffect(() => {
    if (id === null) {
      return;
    }
    let live = true;
    const read = () =>
      RewriteJob(id)
        .then((j) => {
          if (!live) return;
          setJob((shown) => mergeJob(shown, j));
          if (endStates.includes(j.state)) {
            onEndRef.current(j);
          }
        })
        .catch((reason: unknown) => live && showError(i18n.t("error.rewriteJob"), reason));
    const off = onEvent(Events.EventRewriteProgress, (p) => {
      if (!live || p.jobId !== id) return;
      setJob((shown) => (shown ? applyProgress(shown, p) : shown));
      if (endSteps.includes(p.step)) {
        // The end event carries no attention text or choices: read them.
        void read();
      }
    });
    void read();
    return () => {
      live = false;
      off();
    };
  }, [id, showError]);
  const replace = (j: RewriteJobState) => setJob((shown) => mergeJob(shown, j));
  return [job !== null && job.id === id ? job : null, replace];
}
