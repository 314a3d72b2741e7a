// Pure helpers for the Diagnostics screen's state: grouping checks by
// device, merging the run of one device into the last full report, and the
// two-step confirmation of console commands.
import type { ui } from "../bridge";
import { toBridgeError } from "../errors";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

const rank: Record<string, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

/** Returns the worse of two statuses, as app/diag ranks them. */
export function worse(a: string, b: string): string {
  return (rank[b] ?? 0) > (rank[a] ?? 0) ? b : a;
}

/** The checks of one device, in run order, with the worst status and counts. */
export interface DeviceGroup {
  device: string;
  status: string;
  counts: Record<CheckStatus, number>;
  checks: ui.DiagnosticCheck[];
}

/** Groups checks by device in the order the devices first appear. */
export function groupByDevice(checks: ui.DiagnosticCheck[]): DeviceGroup[] {
  const groups = new Map<string, DeviceGroup>();
  for (const c of checks) {
    let g = groups.get(c.device);
    if (!g) {
      g = { device: c.device, status: "skip", counts: { pass: 0, warn: 0, fail: 0, skip: 0 }, checks: [] };
      groups.set(c.device, g);
    }
    g.checks.push(c);
    g.status = worse(g.status, c.status);
    const key = (c.status in g.counts ? c.status : "skip") as CheckStatus;
    g.counts[key]++;
  }
  return [...groups.values()];
}

/**
 * Returns the report with the checks of device replaced by those of a run
 * of that device alone, keeping the device's place, and the summary
 * counted again. The start time stays that of the full run.
 */
export function mergeDeviceRun(
  report: ui.DiagnosticsReport,
  device: string,
  rerun: ui.DiagnosticsReport,
): ui.DiagnosticsReport {
  const fresh = rerun.checks.filter((c) => c.device === device);
  const checks: ui.DiagnosticCheck[] = [];
  let placed = false;
  for (const c of report.checks) {
    if (c.device !== device) {
      checks.push(c);
    } else if (!placed) {
      checks.push(...fresh);
      placed = true;
    }
  }
  if (!placed) {
    checks.push(...fresh);
  }
  return { ...report, ...summarize(checks), checks } as ui.DiagnosticsReport;
}

function summarize(checks: ui.DiagnosticCheck[]) {
  const out = { status: "skip", pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) {
    out.status = worse(out.status, c.status);
    if (c.status === "pass" || c.status === "warn" || c.status === "fail") {
      out[c.status]++;
    } else {
      out.skip++;
    }
  }
  return out;
}

/** Error code from Go for a command that must be confirmed and sent again. */
export const confirmationRequired = "confirmation_required";

/**
 * Sends a command unconfirmed. When Go returns confirmation_required, it
 * shows Go's message to the operator and, on yes, sends it again confirmed.
 * Resolves to null when the operator declines.
 */
export async function sendWithConfirmation<T>(
  send: (confirm: boolean) => Promise<T>,
  ask: (message: string) => Promise<boolean>,
): Promise<T | null> {
  try {
    return await send(false);
  } catch (reason: unknown) {
    const err = toBridgeError(reason);
    if (err.code !== confirmationRequired) {
      throw reason;
    }
    if (!(await ask(err.message))) {
      return null;
    }
    return send(true);
  }
}
