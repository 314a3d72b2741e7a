import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import i18n from "../i18n";

// The bound Go methods are replaced by recorders; the Go side of each is
// tested in app/ui and end to end through wails dev.
const calls: string[] = [];

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
  QueueIssue: (id: string) => {
    calls.push(`QueueIssue ${id}`);
    return Promise.resolve(job("queued", ["void"]));
  },
  ReadIDCard: () => Promise.reject({ code: "device_not_connected", message: "idreader: not connected" }),
  Jobs: () => {
    calls.push("Jobs");
    return Promise.resolve([job("queued", ["void"])]);
  },
  VoidJob: (id: number, reason: string, approval: ui.SupervisorApproval) => {
    calls.push(`VoidJob ${id} ${reason} ${approval.login} ${approval.password}`);
    return Promise.resolve(job("voided", []));
  },
  HandoverJob: () => Promise.reject(new Error("unexpected")),
  RequeueJob: () => Promise.reject(new Error("unexpected")),
}));

const { IssueScreen } = await import("./IssueScreen");
const { QueueScreen } = await import("./QueueScreen");

const loggedIn = {
  station: "DEV-0001",
  devices: [],
  central: { state: "up", url: "", lastSync: "", pending: 0, detail: "" },
  operator: { loggedIn: true, login: "clerk1", name: "李四", role: "clerk" },
} as unknown as ui.Status;

describe("screens", () => {
  beforeEach(async () => {
    calls.length = 0;
    await i18n.changeLanguage("zh-CN");
  });
  afterEach(cleanup);

  it("issue searches, previews and queues", async () => {
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
    expect(await screen.findByText("任务 7 已进入制证队列。")).toBeInTheDocument();
    expect(calls).toContain("QueueIssue JZ20260917000049");
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
});
