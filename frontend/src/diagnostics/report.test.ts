import { describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import { groupByDevice, mergeDeviceRun, sendWithConfirmation, worse } from "./report";

function check(id: string, status: string): ui.DiagnosticCheck {
  return {
    id,
    code: `${id}.${status}`,
    device: id.split(".")[0],
    status,
    reason: "",
    fix: "",
    details: {},
    durationMs: 1,
  } as ui.DiagnosticCheck;
}

function report(checks: ui.DiagnosticCheck[]): ui.DiagnosticsReport {
  return {
    startedAt: "2026-12-04T10:00:00Z",
    status: "pass",
    pass: 0,
    warn: 0,
    fail: 0,
    skip: 0,
    checks,
  } as ui.DiagnosticsReport;
}

describe("worse", () => {
  it.each([
    ["pass", "warn", "warn"],
    ["fail", "warn", "fail"],
    ["skip", "pass", "pass"],
    ["pass", "skip", "pass"],
  ])("of %s and %s is %s", (a, b, want) => {
    expect(worse(a, b)).toBe(want);
  });
});

describe("groupByDevice", () => {
  it("keeps the run order and takes the worst status", () => {
    const groups = groupByDevice([
      check("printer.port", "pass"),
      check("printer.ribbon", "warn"),
      check("storage.wal", "pass"),
      check("printer.cleaning", "skip"),
    ]);
    expect(groups.map((g) => g.device)).toEqual(["printer", "storage"]);
    expect(groups[0].status).toBe("warn");
    expect(groups[0].counts).toEqual({ pass: 1, warn: 1, fail: 0, skip: 1 });
    expect(groups[0].checks.map((c) => c.id)).toEqual(["printer.port", "printer.ribbon", "printer.cleaning"]);
    expect(groups[1].status).toBe("pass");
  });
});

describe("mergeDeviceRun", () => {
  it("replaces one device's checks in place and counts again", () => {
    const full = report([check("pcscd.service", "pass"), check("printer.port", "fail"), check("storage.wal", "warn")]);
    const rerun = report([check("printer.port", "pass"), check("printer.sensors", "pass")]);
    const merged = mergeDeviceRun(full, "printer", rerun);
    expect(merged.checks.map((c) => `${c.id}=${c.status}`)).toEqual([
      "pcscd.service=pass",
      "printer.port=pass",
      "printer.sensors=pass",
      "storage.wal=warn",
    ]);
    expect([merged.pass, merged.warn, merged.fail, merged.skip]).toEqual([3, 1, 0, 0]);
    expect(merged.status).toBe("warn");
    expect(merged.startedAt).toBe(full.startedAt);
  });

  it("appends a device the full run did not have", () => {
    const merged = mergeDeviceRun(
      report([check("storage.wal", "pass")]),
      "central",
      report([check("central.tls", "fail")]),
    );
    expect(merged.checks.map((c) => c.id)).toEqual(["storage.wal", "central.tls"]);
    expect(merged.status).toBe("fail");
    expect(merged.fail).toBe(1);
  });
});

describe("sendWithConfirmation", () => {
  const needsConfirm = { code: "confirmation_required", message: 'apdu "00D6..." may change a card' };

  it("returns the result when no confirmation is needed", async () => {
    const send = vi.fn((confirm: boolean) => Promise.resolve(`sent ${confirm}`));
    const ask = vi.fn(() => Promise.resolve(true));
    await expect(sendWithConfirmation(send, ask)).resolves.toBe("sent false");
    expect(ask).not.toHaveBeenCalled();
  });

  it("asks with Go's message and resends confirmed", async () => {
    const send = vi.fn((confirm: boolean) => (confirm ? Promise.resolve("done") : Promise.reject(needsConfirm)));
    const ask = vi.fn(() => Promise.resolve(true));
    await expect(sendWithConfirmation(send, ask)).resolves.toBe("done");
    expect(ask).toHaveBeenCalledWith(needsConfirm.message);
    expect(send.mock.calls.map((c) => c[0])).toEqual([false, true]);
  });

  it("sends nothing more when the operator declines", async () => {
    const send = vi.fn((confirm: boolean) => (confirm ? Promise.resolve("done") : Promise.reject(needsConfirm)));
    await expect(sendWithConfirmation(send, () => Promise.resolve(false))).resolves.toBeNull();
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("passes other errors on without asking", async () => {
    const forbidden = { code: "forbidden", message: "clerk1 is a clerk" };
    const ask = vi.fn(() => Promise.resolve(true));
    await expect(sendWithConfirmation(() => Promise.reject(forbidden), ask)).rejects.toEqual(forbidden);
    expect(ask).not.toHaveBeenCalled();
  });
});
