import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import i18n from "../i18n";
import { applyProgress, laterProgress, mergeJob, type RewriteJobState } from "./rewrite/useRewriteJob";

// The bound Go methods and the event runtime are replaced by recorders. The
// Go side is tested in app/ui, and both together end to end through wails dev.
type Handler = (payload: unknown) => void;
const listeners = new Map<string, Set<Handler>>();
const calls: string[] = [];

vi.mock("../../wailsjs/runtime/runtime", () => ({
  EventsOn: (name: string, handler: Handler) => {
    const set = listeners.get(name) ?? new Set<Handler>();
    set.add(handler);
    listeners.set(name, set);
    return () => set.delete(handler);
  },
}));

function emit(name: string, payload: unknown) {
  act(() => {
    for (const h of listeners.get(name) ?? []) {
      h(payload);
    }
  });
}

const oldAddress = {
  houseCode: "4403040010010100001",
  district: "福田区",
  street: "华富街道",
  community: "莲花一村社区",
  detail: "彩田路1号1栋101",
  line: "福田区华富街道莲花一村社区彩田路1号1栋101",
};
const newAddress = {
  houseCode: "4403040010010100002",
  district: "福田区",
  street: "华富街道",
  community: "莲花一村社区",
  detail: "彩田路2号3栋402",
  line: "福田区华富街道莲花一村社区彩田路2号3栋402",
};

const card = {
  serial: "0102030405060708",
  chipState: "personalised",
  holderName: "张三",
  holderSex: "男",
  birthDate: "1990-03-07",
  idNumber: "1101************14",
  permitNumber: "440300202600001",
  stationId: "DEV-0001",
  validFrom: "2026-03-01",
  validTo: "2027-03-01",
  address: oldAddress,
  sequence: 2,
  history: [{ sequence: 1, changedOn: "2026-05-01", address: { ...oldAddress, houseCode: "4403040010010100009" } }],
  photo: "",
  sealValid: true,
  sealError: "",
  revoked: false,
  revocationNote: "",
  revocationOnline: true,
  readError: "",
  chipCondition: "",
} as unknown as ui.RewriteCardView;

function progress(step: string, state: string, percent: number, at: string): ui.RewriteProgressView {
  return { jobId: 7, state, step, percent, message: `step ${step}`, at: `2026-09-17T08:00:${at}.000000000Z` };
}

function job(state: string, p?: ui.RewriteProgressView, extra: Partial<RewriteJobState> = {}): ui.RewriteJobView {
  return {
    id: 7,
    cardSerial: card.serial,
    permitNumber: card.permitNumber,
    holderName: card.holderName,
    oldAddress,
    newAddress,
    oldSequence: 2,
    newSequence: 0,
    state,
    attentionFrom: "",
    attention: "",
    choices: [],
    lookupOnline: true,
    stripPrints: 0,
    createdAt: "2026-09-17T08:00:00Z",
    updatedAt: "2026-09-17T08:00:00Z",
    progress: p,
    ...extra,
  } as ui.RewriteJobView;
}

// What the mocked bindings return; each test sets what it needs.
let readiness: ui.RewriteReadinessView;
let snapshot: ui.RewriteJobView;
let recent: ui.RewriteJobView[];
let previewResult: () => Promise<ui.RewritePreviewView>;

vi.mock("../../wailsjs/go/ui/App", () => ({
  RewriteReadiness: () => {
    calls.push("RewriteReadiness");
    return Promise.resolve(readiness);
  },
  ReadRewriteCard: () => {
    calls.push("ReadRewriteCard");
    return Promise.resolve(card);
  },
  PreviewRewrite: (code: string) => {
    calls.push(`PreviewRewrite ${code}`);
    return previewResult();
  },
  StartRewrite: (code: string, serial: string) => {
    calls.push(`StartRewrite ${code} ${serial}`);
    return Promise.resolve(job("chip_writing", progress("check", "chip_writing", 10, "01")));
  },
  RewriteJob: (id: number) => {
    calls.push(`RewriteJob ${id}`);
    return Promise.resolve(snapshot);
  },
  RewriteJobs: () => {
    calls.push("RewriteJobs");
    return Promise.resolve(recent);
  },
  RollBackRewrite: (id: number) => {
    calls.push(`RollBackRewrite ${id}`);
    return Promise.resolve(job("rolled_back", progress("rolled_back", "rolled_back", 100, "09")));
  },
  ResumeRewrite: () => Promise.reject(new Error("unexpected")),
  ReprintRewriteStrip: () => Promise.reject(new Error("unexpected")),
  LookupHouseCode: (code: string) => {
    calls.push(`LookupHouseCode ${code}`);
    return Promise.resolve({ ...newAddress, retired: false, online: true, asOf: "" });
  },
}));

const { RewriteScreen } = await import("./RewriteScreen");

// Typing a 19-digit code into Ant Design inputs takes seconds on a loaded
// two-core machine, more than Vitest's default 5 s.
vi.setConfig({ testTimeout: 20_000 });

function status(role: string): ui.Status {
  return {
    station: "DEV-0001",
    devices: [],
    central: { state: "up", url: "", lastSync: "", pending: 0, detail: "" },
    operator: { loggedIn: true, login: "tech1", name: "赵六", role },
  } as unknown as ui.Status;
}

function renderScreen(role = "technician") {
  return render(
    <AntApp>
      <RewriteScreen status={status(role)} />
    </AntApp>,
  );
}

const previewOK: ui.RewritePreviewView = {
  card,
  newAddress,
  oldStrip: "data:image/png;base64,AA==",
  newStrip: "data:image/png;base64,AQ==",
  lookupOnline: true,
  lookupAsOf: "",
} as unknown as ui.RewritePreviewView;

function progressListeners(): number {
  return listeners.get("rewrite:progress")?.size ?? 0;
}

describe("rewrite screen", () => {
  beforeEach(async () => {
    calls.length = 0;
    listeners.clear();
    readiness = { ready: true, missing: [], detail: "" };
    snapshot = job("chip_writing", progress("chip_write", "chip_writing", 30, "02"));
    recent = [];
    previewResult = () => Promise.resolve(previewOK);
    await i18n.changeLanguage("zh-CN");
  });
  afterEach(cleanup);

  it("reads, previews, confirms and follows the progress to done", async () => {
    const user = userEvent.setup();
    renderScreen();
    await user.click(await screen.findByTestId("rewrite-read-card"));
    const details = await screen.findByTestId("rewrite-card");
    expect(within(details).getByText("张三")).toBeInTheDocument();
    expect(within(details).getByTestId("rewrite-current-address")).toHaveTextContent(oldAddress.line);
    expect(within(details).getByText("4403040010010100009")).toBeInTheDocument();

    await user.type(screen.getByLabelText("新住址房屋编码"), `${newAddress.houseCode}{Enter}`);
    expect(await screen.findByAltText("原改写条")).toHaveAttribute("src", previewOK.oldStrip);
    expect(screen.getByAltText("新改写条")).toHaveAttribute("src", previewOK.newStrip);
    expect(calls).toContain(`PreviewRewrite ${newAddress.houseCode}`);

    await user.click(screen.getByTestId("rewrite-confirm"));
    await user.click(await screen.findByRole("button", { name: "开始改写" }));
    await waitFor(() => expect(calls).toContain(`StartRewrite ${newAddress.houseCode} ${card.serial}`));
    const panel = await screen.findByTestId("rewrite-progress");
    await waitFor(() => expect(calls).toContain("RewriteJob 7"));
    await within(panel).findByText("step chip_write");
    expect(progressListeners()).toBe(1);

    emit("rewrite:progress", progress("chip_verify", "chip_writing", 50, "03"));
    expect(within(panel).getByText("step chip_verify")).toBeInTheDocument();
    emit("rewrite:progress", { ...progress("strip_print", "strip_printing", 80, "05"), jobId: 8 });
    expect(within(panel).getByText("step chip_verify")).toBeInTheDocument();

    snapshot = job("done", progress("done", "done", 100, "06"), { stripPrints: 1, choices: ["reprint"] });
    emit("rewrite:progress", progress("done", "done", 100, "06"));
    expect(await within(panel).findByText(`卡片 ${card.serial} 的芯片和改写条已更新为新地址。`)).toBeInTheDocument();
  });

  it("shows the stored state when every event was missed", async () => {
    const user = userEvent.setup();
    snapshot = job("done", progress("done", "done", 100, "06"));
    renderScreen();
    await user.click(await screen.findByTestId("rewrite-read-card"));
    await user.type(await screen.findByLabelText("新住址房屋编码"), `${newAddress.houseCode}{Enter}`);
    await screen.findByAltText("新改写条");
    await user.keyboard("{F4}");
    await user.click(await screen.findByRole("button", { name: "开始改写" }));
    expect(await screen.findByText(`卡片 ${card.serial} 的芯片和改写条已更新为新地址。`)).toBeInTheDocument();
    await waitFor(() => expect(calls.filter((c) => c === "RewriteJobs").length).toBeGreaterThan(1));
  });

  it("reads the card with F2", async () => {
    const user = userEvent.setup();
    renderScreen();
    await screen.findByTestId("rewrite-read-card");
    await user.keyboard("{F2}");
    await screen.findByTestId("rewrite-card");
    expect(calls).toContain("ReadRewriteCard");
  });

  it("shows a rejected house code through the error helper", async () => {
    const user = userEvent.setup();
    previewResult = () => Promise.reject({ code: "invalid_argument", message: 'house code "44030" is retired' });
    renderScreen();
    await user.click(await screen.findByTestId("rewrite-read-card"));
    await user.type(await screen.findByLabelText("新住址房屋编码"), "44030{Enter}");
    expect(await screen.findByText('house code "44030" is retired (错误代码: invalid_argument)')).toBeInTheDocument();
    expect(screen.queryByTestId("rewrite-confirm")).not.toBeInTheDocument();
  });

  it("rolls back a job that needs attention", async () => {
    const user = userEvent.setup();
    const stuck = job("needs_attention", undefined, {
      attentionFrom: "chip_writing",
      attention: "the chip write on card 0102030405060708 was interrupted",
      choices: ["resume", "roll_back"],
    });
    recent = [stuck];
    snapshot = stuck;
    renderScreen();
    const table = await screen.findByTestId("rewrite-jobs");
    expect(await within(table).findByText(stuck.attention)).toBeInTheDocument();
    expect(within(table).getByRole("button", { name: "继续改写" })).toBeInTheDocument();
    await user.click(within(table).getByRole("button", { name: "恢复原地址" }));
    await waitFor(() => expect(calls).toContain("RollBackRewrite 7"));
    expect(await screen.findByText("任务 7 现为：已恢复原地址")).toBeInTheDocument();
  });

  it("removes its progress listener on unmount", async () => {
    const user = userEvent.setup();
    const view = renderScreen();
    await user.click(await screen.findByTestId("rewrite-read-card"));
    await user.type(await screen.findByLabelText("新住址房屋编码"), `${newAddress.houseCode}{Enter}`);
    await user.click(await screen.findByTestId("rewrite-confirm"));
    await user.click(await screen.findByRole("button", { name: "开始改写" }));
    await screen.findByTestId("rewrite-progress");
    expect(progressListeners()).toBe(1);
    view.unmount();
    expect(progressListeners()).toBe(0);
  });

  it("names the missing settings and keeps the lookup", async () => {
    const user = userEvent.setup();
    readiness = { ready: false, missing: ["devices.rewriter.port", "devices.psam.name"], detail: "" };
    renderScreen();
    const alert = await screen.findByTestId("rewrite-not-ready");
    expect(within(alert).getByText("devices.rewriter.port, devices.psam.name")).toBeInTheDocument();
    expect(screen.queryByTestId("rewrite-read-card")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("新住址房屋编码"), `${newAddress.houseCode}{Enter}`);
    expect(await screen.findByText(newAddress.line)).toBeInTheDocument();
  });

  it("asks a clerk for a technician", async () => {
    renderScreen("clerk");
    expect(await screen.findByText(/改写地址需要技术员或主管账号/)).toBeInTheDocument();
    expect(calls).not.toContain("RewriteReadiness");
  });
});

describe("rewrite progress merge", () => {
  const base = job("chip_writing", progress("chip_write", "chip_writing", 30, "02"));

  it("keeps the later of two events", () => {
    const early = progress("check", "chip_writing", 10, "01");
    const late = progress("record", "chip_updated", 60, "04");
    expect(laterProgress(early, late)).toBe(late);
    expect(laterProgress(late, early)).toBe(late);
    expect(laterProgress(undefined, early)).toBe(early);
  });

  it("applies only newer events of the same job", () => {
    const next = applyProgress(base, progress("record", "chip_updated", 60, "04"));
    expect(next.state).toBe("chip_updated");
    expect(next.progress?.step).toBe("record");
    expect(applyProgress(next, progress("chip_write", "chip_writing", 30, "02"))).toBe(next);
    expect(applyProgress(next, { ...progress("done", "done", 100, "09"), jobId: 8 })).toBe(next);
  });

  it("does not let an older read undo a newer event", () => {
    const shown = applyProgress(base, progress("done", "done", 100, "06"));
    const merged = mergeJob(shown, base);
    expect(merged.state).toBe("done");
    expect(merged.progress?.step).toBe("done");
    const fresh = job("done", progress("done", "done", 100, "06"), { choices: ["reprint"] });
    expect(mergeJob(shown, fresh).choices).toEqual(["reprint"]);
  });
});
