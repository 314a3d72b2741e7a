import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import i18n from "../i18n";

// The bound Go methods are replaced by a small fake station that records
// each call. The Go side is tested in app/ui, and both together end to end
// through wails dev in frontend/e2e/diagnostics.e2e.mjs.
const calls: string[] = [];

function check(
  id: string,
  status: string,
  reason: string,
  details: Record<string, string> = {},
  variant = "",
): ui.DiagnosticCheck {
  return {
    id,
    code: `${id}.${status}${variant ? `.${variant}` : ""}`,
    device: id.split(".")[0],
    status,
    reason,
    fix: status === "pass" || status === "skip" ? "" : "english fix",
    details,
    durationMs: 3,
  } as ui.DiagnosticCheck;
}

const station = {
  ribbonLeft: "20",
  fullRun: (): ui.DiagnosticsReport =>
    ({
      startedAt: `2026-12-04T10:00:0${calls.length % 10}Z`,
      status: "warn",
      pass: 2,
      warn: 1,
      fail: 0,
      skip: 1,
      checks: [
        check("encoder.card", "skip", "no card in Virtual PCD 00 00", {}, "no_card"),
        check("printer.port", "pass", "printer answers on /dev/ttyUSB0", { path: "/dev/ttyUSB0" }),
        check(
          "printer.ribbon",
          "warn",
          `${station.ribbonLeft} panels left on the ribbon`,
          {
            ribbon_left: station.ribbonLeft,
          },
          "low",
        ),
        check("storage.wal", "pass", "no write-ahead log", { wal_bytes: "0" }, "none"),
      ],
    }) as ui.DiagnosticsReport,
};

function day(i: number, jobs: number, errors: number): ui.ChartDay {
  return { day: `2026-11-${String(i + 5).padStart(2, "0")}`, jobs, errors };
}

const charts: ui.ChartData = {
  from: "2026-11-05",
  to: "2026-12-04",
  devices: [
    {
      device: "printer",
      days: Array.from({ length: 30 }, (_, i) => day(i, i === 29 ? 3 : 0, i === 29 ? 1 : 0)),
    },
  ],
} as ui.ChartData;

vi.mock("../../wailsjs/go/ui/App", () => ({
  RunDiagnostics: (devices: string[]) => {
    calls.push(`RunDiagnostics ${devices.join(",")}`);
    const full = station.fullRun();
    if (devices.length === 0) {
      return Promise.resolve(full);
    }
    return Promise.resolve({ ...full, checks: full.checks.filter((c) => devices.includes(c.device)) });
  },
  DiagnosticsCharts: () => {
    calls.push("DiagnosticsCharts");
    return Promise.resolve(charts);
  },
  DiagnosticActions: () => Promise.resolve(["printer.test_card", "scanner.test_scan"]),
  RunDiagnosticAction: (req: ui.DiagnosticActionRequest) => {
    calls.push(`RunDiagnosticAction ${req.action} ${req.confirm}`);
    if (!req.confirm) {
      return Promise.reject({ code: "confirmation_required", message: 'action "printer.test_card" may change a card' });
    }
    return Promise.resolve(check("printer.test_card", "pass", "test card printed"));
  },
  SendAPDU: (cmd: ui.APDUCommand) => {
    calls.push(`SendAPDU ${cmd.reader} ${cmd.hex} ${cmd.confirm}`);
    const update = cmd.hex.replace(/\s/g, "").startsWith("00D6");
    if (update && !cmd.confirm) {
      return Promise.reject({ code: "confirmation_required", message: 'apdu "00D60000 Lc=2" may change a card' });
    }
    return Promise.resolve({
      reader: "Virtual PCD 00 00",
      command: cmd.hex.replace(/\s/g, "").toUpperCase(),
      data: "",
      sw: update ? "6982" : "9000",
      meaning: update ? "security status not satisfied (authenticate first)" : "success",
      changes: update,
      durationMs: 2,
    });
  },
  SendPrinterCommand: (cmd: ui.PrinterCommand) => {
    calls.push(`SendPrinterCommand ${cmd.command} ${cmd.confirm}`);
    return Promise.resolve({ command: cmd.command, reply: "1000", error: "", code: "", changes: false, durationMs: 1 });
  },
  SaveSupportBundle: () => {
    calls.push("SaveSupportBundle");
    return Promise.resolve({
      path: "/data/bundles/permitdesk-support-20261204T100000Z.zip",
      bytes: 48_300,
      files: ["report.json", "manifest.json"],
      status: "warn",
    });
  },
}));

const { DiagnosticsScreen } = await import("./DiagnosticsScreen");

function statusAs(role: string): ui.Status {
  return {
    station: "DEV-0001",
    devices: [],
    central: { state: "up", url: "", lastSync: "", pending: 0, detail: "" },
    operator: { loggedIn: true, login: "tech1", name: "王工", role },
  } as unknown as ui.Status;
}

function renderScreen(role: string) {
  return render(
    <AntApp>
      <DiagnosticsScreen status={statusAs(role)} />
    </AntApp>,
  );
}

describe("DiagnosticsScreen", () => {
  beforeEach(async () => {
    calls.length = 0;
    station.ribbonLeft = "20";
    await i18n.changeLanguage("zh-CN");
  });
  afterEach(cleanup);

  it("groups checks by device with badges and Chinese findings", async () => {
    const user = userEvent.setup();
    renderScreen("clerk");
    await user.click(screen.getByTestId("run-diagnostics"));
    const printer = await screen.findByTestId("device-printer");
    expect(printer).toHaveAttribute("data-status", "warn");
    expect(within(printer).getByText("证卡打印机")).toBeInTheDocument();
    expect(within(printer).getByText("警告")).toBeInTheDocument();
    expect(screen.getByTestId("device-storage")).toHaveAttribute("data-status", "pass");
    expect(within(screen.getByTestId("device-storage")).getByText("本机数据库")).toBeInTheDocument();

    // The device with a warning opens by itself; the others stay closed.
    const ribbon = screen.getByTestId("check-printer.ribbon");
    expect(within(ribbon).getByText("色带")).toBeInTheDocument();
    expect(within(ribbon).getByTestId("check-reason")).toHaveTextContent("色带仅剩 20 面");
    expect(within(ribbon).getByText("处理办法：准备一卷新的单色色带")).toBeInTheDocument();
    expect(within(ribbon).getByText(/英文原文：20 panels left on the ribbon/)).toBeInTheDocument();
    expect(screen.queryByTestId("check-storage.wal")).toBeNull();

    await user.click(screen.getByTestId("expand-all"));
    expect(await screen.findByTestId("check-storage.wal")).toHaveAttribute("data-status", "pass");
    expect(screen.getByTestId("check-encoder.card")).toHaveTextContent("读卡器上没有卡片");
    expect(screen.getByTestId("diagnostics-summary")).toHaveTextContent("通过 2，警告 1，失败 0，跳过 1");
  });

  it("checks one device again and merges the result", async () => {
    const user = userEvent.setup();
    renderScreen("clerk");
    await user.click(screen.getByTestId("run-diagnostics"));
    await screen.findByTestId("device-printer");
    station.ribbonLeft = "900";
    await user.click(screen.getByTestId("rerun-printer"));
    await waitFor(() => expect(calls).toContain("RunDiagnostics printer"));
    // The fake reports the ribbon as a warning still, now with 900 panels.
    await waitFor(() =>
      expect(within(screen.getByTestId("check-printer.ribbon")).getByTestId("check-reason")).toHaveTextContent(
        "色带仅剩 900 面",
      ),
    );
    expect(screen.getByTestId("device-storage")).toBeInTheDocument();
    expect(screen.getByTestId("device-encoder")).toBeInTheDocument();
  });

  it("draws the charts from Go", async () => {
    renderScreen("clerk");
    const chart = await screen.findByRole("img", { name: "证卡打印机：2026-11-05 至 2026-12-04 每日任务与错误" });
    expect(chart.querySelectorAll("[data-testid=chart-day]")).toHaveLength(30);
    expect(chart.querySelectorAll("[data-testid=bar-jobs]")).toHaveLength(1);
    expect(chart.querySelectorAll("[data-testid=bar-errors]")).toHaveLength(1);
    expect(screen.getByTestId("chart-totals")).toHaveTextContent("任务 3，错误 1");
  });

  it("shows the consoles to technicians only", async () => {
    renderScreen("clerk");
    expect(screen.queryByTestId("diagnostics-consoles")).toBeNull();
    expect(screen.getByText(/仅限技术员使用/)).toBeInTheDocument();
    cleanup();
    renderScreen("supervisor");
    expect(screen.queryByTestId("diagnostics-consoles")).toBeNull();
    cleanup();
    renderScreen("technician");
    expect(await screen.findByTestId("diagnostics-consoles")).toBeInTheDocument();
  });

  it("sends an APDU and decodes the status word", async () => {
    const user = userEvent.setup();
    renderScreen("technician");
    await user.click(await screen.findByRole("tab", { name: "APDU 控制台" }));
    await user.type(screen.getByTestId("apdu-input"), "00 A4 00 00 02 3F 00 00{Enter}");
    const entry = await screen.findByTestId("apdu-entry");
    expect(entry).toHaveAttribute("data-sw", "9000");
    expect(within(entry).getByTestId("apdu-meaning")).toHaveTextContent("成功（success）");
    expect(calls).toContain("SendAPDU encoder 00 A4 00 00 02 3F 00 00 false");
  });

  it("asks before a command that may change the card and resends it confirmed", async () => {
    const user = userEvent.setup();
    renderScreen("technician");
    await user.click(await screen.findByRole("tab", { name: "APDU 控制台" }));
    await user.type(screen.getByTestId("apdu-input"), "00 D6 00 00 02 AA BB{Enter}");
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByText("00 D6 00 00 02 AA BB")).toBeInTheDocument();
    expect(within(dialog).getByText(/may change a card/)).toBeInTheDocument();
    expect(screen.queryByTestId("apdu-entry")).toBeNull();
    await user.click(within(dialog).getByRole("button", { name: "确认发送" }));
    const entry = await screen.findByTestId("apdu-entry");
    expect(entry).toHaveAttribute("data-sw", "6982");
    expect(within(entry).getByText("可能改变卡片或设置")).toBeInTheDocument();
    expect(calls.filter((c) => c.startsWith("SendAPDU"))).toEqual([
      "SendAPDU encoder 00 D6 00 00 02 AA BB false",
      "SendAPDU encoder 00 D6 00 00 02 AA BB true",
    ]);
  });

  it("sends nothing when the technician declines", async () => {
    const user = userEvent.setup();
    renderScreen("technician");
    const row = await screen.findByTestId("action-printer.test_card");
    expect(within(row).getByText("打印测试卡")).toBeInTheDocument();
    await user.click(within(row).getByRole("button"));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "取 消" }));
    await waitFor(() => expect(within(row).getByRole("button")).toBeEnabled());
    expect(calls.filter((c) => c.startsWith("RunDiagnosticAction"))).toEqual([
      "RunDiagnosticAction printer.test_card false",
    ]);
  });

  it("saves the support bundle and shows its path and size", async () => {
    const user = userEvent.setup();
    renderScreen("clerk");
    await user.click(screen.getByTestId("save-bundle"));
    expect(await screen.findByTestId("bundle-saved")).toHaveTextContent(
      "支持包已保存：/data/bundles/permitdesk-support-20261204T100000Z.zip（48.3 kB，2 个文件）",
    );
  });
});
