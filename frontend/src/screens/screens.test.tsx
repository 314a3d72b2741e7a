import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import i18n from "../i18n";

// The bound Go methods and the Wails runtime are replaced by recorders. The
// Go side of each is tested in app/ui and end to end through wails dev.
const calls: string[] = [];
type Handler = (payload: unknown) => void;
const listeners = new Map<string, Set<Handler>>();

/** Sends an event to the screens as Go would. */
function emit(name: string, payload: unknown) {
  act(() => listeners.get(name)?.forEach((h) => h(payload)));
}

function progress(id: number, state: string, message = "", advice = ""): ui.JobProgress {
  const code = advice ? "printer.cover_open" : "";
  return { jobId: id, state, step: state, percent: 0, message, at: "2026-09-17T08:00:00Z", code, advice };
}

/** What JobProgress returns for job 7, as if the job moved before the screen subscribed. */
let snapshot: ui.JobProgress = progress(7, "queued");

/** The identity CheckIdentity is asked about and the mismatches it returns. */
let mismatches: ui.IdentityMismatch[] = [];

vi.mock("../../wailsjs/runtime/runtime", () => ({
  EventsOn: (name: string, handler: Handler) => {
    const set = listeners.get(name) ?? new Set<Handler>();
    set.add(handler);
    listeners.set(name, set);
    return () => set.delete(handler);
  },
}));

const application: ui.ApplicationView = {
  id: "JZ20260917000049",
  permitNumber: "SZ202600000049",
  name: "梁婷",
  sex: "2",
  ethnicity: "汉",
  birthDate: "1997-09-16",
  idNumber: "360102199709166720",
  address: "大鹏新区葵涌街道葵涌社区鹏飞路1782号",
  houseCode: "4403070101712452008",
  authority: "深圳市公安局大鹏分局",
  validFrom: "2026-09-17",
  validTo: "2027-09-16",
  approvedAt: "2026-09-17",
  photo: "",
};

function job(state: string, choices: string[]): ui.JobView {
  return {
    id: 7,
    applicationId: application.id,
    permitNumber: application.permitNumber,
    kind: "issue",
    state,
    percent: 0,
    attempt: 1,
    printer: "",
    attentionFrom: "",
    attention: "",
    advice: "",
    cardSerial: "",
    choices,
    createdAt: "2026-09-17T08:00:00Z",
    updatedAt: "2026-09-17T08:00:00Z",
  } as ui.JobView;
}

vi.mock("../../wailsjs/go/ui/App", () => ({
  FindApplications: (query: string) => {
    calls.push(`FindApplications ${query}`);
    return Promise.resolve([application]);
  },
  PreviewCard: (id: string) => {
    calls.push(`PreviewCard ${id}`);
    return Promise.resolve({ front: "data:image/png;base64,AA==", back: "data:image/png;base64,AA==" });
  },
  IssueCard: (id: string) => {
    calls.push(`IssueCard ${id}`);
    return Promise.resolve(job("queued", ["void"]));
  },
  JobProgress: (id: number) => {
    calls.push(`JobProgress ${id}`);
    return Promise.resolve(snapshot);
  },
  CheckIdentity: (id: string, identity: ui.IdentityView) => {
    calls.push(`CheckIdentity ${id} ${identity.name}`);
    return Promise.resolve(mismatches);
  },
  ReadIDCard: () => {
    if (readCard) {
      return Promise.resolve(readCard);
    }
    return Promise.reject({ code: "device_not_connected", message: "idreader: not connected" });
  },
  Jobs: () => {
    calls.push("Jobs");
    return Promise.resolve(jobList);
  },
  VoidJob: (id: number, reason: string, approval: ui.SupervisorApproval) => {
    calls.push(`VoidJob ${id} ${reason} ${approval.login} ${approval.password}`);
    return Promise.resolve(job("voided", []));
  },
  HandoverJob: (id: number) => {
    calls.push(`HandoverJob ${id}`);
    return Promise.resolve(job("issued", []));
  },
  StartJob: () => Promise.reject(new Error("unexpected")),
  ResolveJob: (id: number, choice: string, reason: string, approval: ui.SupervisorApproval) => {
    calls.push(`ResolveJob ${id} ${choice} ${reason} ${approval.login} ${approval.password}`);
    return Promise.resolve(job("awaiting_handover", []));
  },
}));

/** The ID card ReadIDCard returns; null makes the reader fail. */
let readCard: ui.IdentityView | null = null;

let jobList: ui.JobView[] = [];

const { IssueScreen, resetIssueDesk } = await import("./IssueScreen");
const { QueueScreen } = await import("./QueueScreen");

const loggedIn = {
  station: "DEV-0001",
  devices: [],
  central: { state: "up", url: "", lastSync: "", pending: 0, detail: "" },
  stock: { tracked: true, onHand: 120, low: false },
  operator: { loggedIn: true, login: "clerk1", name: "李四", role: "clerk" },
} as unknown as ui.Status;

describe("screens", () => {
  beforeEach(async () => {
    calls.length = 0;
    listeners.clear();
    snapshot = progress(7, "queued");
    mismatches = [];
    readCard = null;
    jobList = [job("queued", ["void"])];
    resetIssueDesk();
    await i18n.changeLanguage("zh-CN");
  });
  afterEach(cleanup);

  it("issue runs the job through hand-over", async () => {
    const user = userEvent.setup();
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    await user.type(screen.getByLabelText("身份证号或申请编号"), "360102199709166720{Enter}");
    expect(await screen.findByText("大鹏新区葵涌街道葵涌社区鹏飞路1782号")).toBeInTheDocument();
    expect(await screen.findByAltText("正面")).toBeInTheDocument();
    expect(calls).toContain("PreviewCard JZ20260917000049");

    await user.click(screen.getByTestId("issue-button"));
    await waitFor(() => expect(calls).toContain("JobProgress 7"));
    expect(calls).toContain("IssueCard JZ20260917000049");
    emit("job:progress", progress(7, "encoding"));
    expect(await screen.findByText("任务 7：写芯片中")).toBeInTheDocument();
    emit("job:progress", progress(8, "spoiled"));
    expect(screen.getByText("任务 7：写芯片中")).toBeInTheDocument();
    emit("job:progress", progress(7, "awaiting_handover"));
    await user.click(await screen.findByTestId("handover-button"));
    await waitFor(() => expect(calls).toContain("HandoverJob 7"));
    emit("job:progress", progress(7, "issued"));
    expect(await screen.findByTestId("issued")).toHaveTextContent("任务 7 已发证");
    await user.click(screen.getByTestId("next-applicant"));
    expect(screen.getByLabelText("身份证号或申请编号")).toHaveValue("");
  });

  it("issue shows a step sent before it subscribed", async () => {
    const user = userEvent.setup();
    const view = render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    await user.type(screen.getByLabelText("身份证号或申请编号"), "360102199709166720{Enter}");
    await user.click(await screen.findByTestId("issue-button"));
    await screen.findByText("任务 7：排队中");
    view.unmount();

    // The job reaches hand-over while the clerk looks at another screen:
    // no listener gets the event, only the snapshot has it.
    emit("job:progress", progress(7, "awaiting_handover"));
    snapshot = progress(7, "awaiting_handover");
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    expect(await screen.findByText("任务 7：待交付")).toBeInTheDocument();
    expect(screen.getByTestId("handover-button")).toBeInTheDocument();
  });

  it("issue stops on an ID card mismatch", async () => {
    const user = userEvent.setup();
    readCard = {
      name: "梁亭",
      idNumber: "360102199709166720",
      validTo: "2020-01-01",
      expired: true,
    } as ui.IdentityView;
    mismatches = [
      { field: "name", card: "梁亭", application: "梁婷" },
      { field: "validTo", card: "2020-01-01", application: "" },
    ];
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    await user.click(screen.getByTestId("read-id-card"));
    const alert = await screen.findByTestId("identity-mismatch");
    expect(alert).toHaveTextContent("姓名不同：身份证为“梁亭”，申请为“梁婷”。");
    expect(alert).toHaveTextContent("身份证已过有效期（至 2020-01-01）");
    expect(calls).toContain("CheckIdentity JZ20260917000049 梁亭");
    expect(screen.getByTestId("issue-button")).toBeDisabled();
  });

  it("issue checks a card read after a search", async () => {
    const user = userEvent.setup();
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    await user.type(screen.getByLabelText("身份证号或申请编号"), "JZ20260917000049{Enter}");
    await screen.findByTestId("issue-button");
    readCard = { name: "潘超", idNumber: "520102197607270376", validTo: "2040-01-01" } as ui.IdentityView;
    mismatches = [{ field: "idNumber", card: "520102197607270376", application: "360102199709166720" }];
    await user.click(screen.getByTestId("read-id-card"));

    expect(await screen.findByTestId("identity-mismatch")).toBeInTheDocument();
    expect(calls).toContain("CheckIdentity JZ20260917000049 潘超");
    expect(calls).not.toContain("FindApplications 520102197607270376");
    expect(screen.getByTestId("issue-button")).toBeDisabled();
  });

  it("issue takes Enter as a search only", async () => {
    const user = userEvent.setup();
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    const search = screen.getByLabelText("身份证号或申请编号");
    await user.type(search, "360102199709166720{Enter}");
    await user.click(await screen.findByTestId("issue-button"));
    await waitFor(() => expect(calls).toContain("JobProgress 7"));
    emit("job:progress", progress(7, "awaiting_handover"));
    await user.click(await screen.findByTestId("handover-button"));
    emit("job:progress", progress(7, "issued"));
    await screen.findByTestId("issued");

    // The clerk scans the next receipt without pressing Esc first.
    await user.clear(search);
    await user.type(search, "440106199212073612{Enter}");
    await waitFor(() => expect(calls).toContain("FindApplications 440106199212073612"));
    await user.keyboard("{Enter}");
    expect(calls.filter((c) => c.startsWith("IssueCard"))).toHaveLength(1);
  });

  it("issue shows a printer fault with its message", async () => {
    const user = userEvent.setup();
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    await user.type(screen.getByLabelText("身份证号或申请编号"), "360102199709166720{Enter}");
    await user.click(await screen.findByTestId("issue-button"));
    await waitFor(() => expect(calls).toContain("JobProgress 7"));
    emit("job:progress", progress(7, "printing"));
    emit(
      "job:progress",
      progress(
        7,
        "needs_attention",
        "printer: feed [printer.cover_open]: cover open",
        "打印机盖未关闭，请关好机盖后重试。",
      ),
    );
    const fault = await screen.findByTestId("job-fault");
    expect(fault).toHaveTextContent("制卡已停止：需人工处理");
    expect(fault).toHaveTextContent("printer: feed [printer.cover_open]: cover open");
    expect(screen.getByTestId("job-advice")).toHaveTextContent("打印机盖未关闭，请关好机盖后重试。");
  });

  it("issue shows a failed ID card read", async () => {
    const user = userEvent.setup();
    render(
      <AntApp>
        <IssueScreen status={loggedIn} />
      </AntApp>,
    );
    await user.click(screen.getByTestId("read-id-card"));
    expect(await screen.findByText("idreader: not connected (错误代码: device_not_connected)")).toBeInTheDocument();
  });

  it("queue retry of a spoiled card takes a new one", async () => {
    const user = userEvent.setup();
    jobList = [{ ...job("spoiled", ["retry", "void"]), attention: "print failed: ribbon out" }];
    render(
      <AntApp>
        <QueueScreen status={loggedIn} />
      </AntApp>,
    );
    const row = (await screen.findByText("JZ20260917000049")).closest("tr");
    await user.click(within(row as HTMLElement).getByRole("button", { name: "重 试" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("这张卡已记为废卡。重试会从进卡盒取一张新卡重新制作。");
    expect(dialog).not.toHaveTextContent("重试会把当前卡片送入废卡盒");
  });

  it("queue voids with the supervisor's approval", async () => {
    const user = userEvent.setup();
    render(
      <AntApp>
        <QueueScreen status={loggedIn} />
      </AntApp>,
    );
    const row = (await screen.findByText("JZ20260917000049")).closest("tr");
    expect(row).not.toBeNull();
    await user.click(within(row as HTMLElement).getByRole("button", { name: "作 废" }));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByLabelText("作废原因"), "申请人撤回");
    await user.type(within(dialog).getByLabelText("主管账号"), "boss");
    await user.type(within(dialog).getByLabelText("主管密码"), "supervisor-pw");
    await user.click(within(dialog).getByRole("button", { name: "确认作废" }));
    await waitFor(() => expect(calls).toContain("VoidJob 7 申请人撤回 boss supervisor-pw"));
    expect(await screen.findByText("任务 7 现为：已作废")).toBeInTheDocument();
  });

  it("queue retry asks for the supervisor", async () => {
    const user = userEvent.setup();
    jobList = [
      {
        ...job("needs_attention", ["continue", "retry", "void"]),
        attention: "printer: feed [printer.cover_open]: cover open",
        advice: "打印机盖未关闭，请关好机盖后重试。",
      },
    ];
    render(
      <AntApp>
        <QueueScreen status={loggedIn} />
      </AntApp>,
    );
    const row = (await screen.findByText("JZ20260917000049")).closest("tr");
    await user.click(within(row as HTMLElement).getByRole("button", { name: "重 试" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("printer: feed [printer.cover_open]: cover open");
    expect(dialog).toHaveTextContent("打印机盖未关闭，请关好机盖后重试。");
    await user.click(within(dialog).getByRole("button", { name: "确认重试" }));
    expect(await within(dialog).findByText("请填写主管账号")).toBeInTheDocument();
    expect(calls.some((c) => c.startsWith("ResolveJob"))).toBe(false);
    await user.type(within(dialog).getByLabelText("主管账号"), "boss");
    await user.type(within(dialog).getByLabelText("主管密码"), "supervisor-pw{Enter}");
    await waitFor(() => expect(calls).toContain("ResolveJob 7 retry  boss supervisor-pw"));
  });
});
