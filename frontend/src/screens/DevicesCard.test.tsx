import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import i18n from "../i18n";

// The bound Go methods are replaced by a small in-memory station: the
// override rules themselves are tested in Go (app/overrides, app/ui).
const calls: string[] = [];

function choice(fields: Partial<ui.DeviceChoice>): ui.DeviceChoice {
  return { transport: "", reader: "", port: "", usbSerial: "", vendorId: "", productId: "", serial: "", ...fields };
}

function slot(name: string, transports: string[], file: string, current: ui.DeviceChoice): ui.DeviceSlotView {
  return { slot: name, transports, file, override: "", setBy: "", setAt: "", current } as ui.DeviceSlotView;
}

let settings: ui.DeviceSettingsView;
let assignError: { code: string; message: string } | null = null;
let deviceState: ui.DeviceStatus = { id: "encoder", kind: "encoder", name: "", state: "ready", detail: "" };
let diagChecks: ui.DiagnosticCheck[] = [];

function check(code: string, status: string, reason: string, fix = ""): ui.DiagnosticCheck {
  const device = code.split(".")[0];
  return { id: code, code, device, status, reason, fix, details: {}, durationMs: 3 } as ui.DiagnosticCheck;
}

const found = {
  readers: ["Virtual PCD 00 00", "Virtual PCD 00 01"],
  serialPorts: [
    {
      path: "/dev/ttyUSB0",
      device: "",
      usb: true,
      vendorId: "0403",
      productId: "6001",
      serialNumber: "FT0001",
      product: "FT232R",
    },
    {
      path: "/tmp/station/printer.tty",
      device: "/dev/pts/4",
      usb: false,
      vendorId: "",
      productId: "",
      serialNumber: "",
      product: "",
    },
  ],
  hid: [],
  readersError: "",
  serialError: "",
  hidError: "HID is not supported in this build",
} as unknown as ui.FoundDevicesView;

vi.mock("../../wailsjs/go/ui/App", () => ({
  DeviceSettings: () => {
    calls.push("DeviceSettings");
    return Promise.resolve(settings);
  },
  FoundDevices: () => {
    calls.push("FoundDevices");
    return Promise.resolve(found);
  },
  AssignDevice: (name: string, c: ui.DeviceChoice) => {
    calls.push(`AssignDevice ${name} ${c.transport} ${c.reader}${c.port}`);
    if (assignError) {
      return Promise.reject(assignError);
    }
    settings = {
      ...settings,
      slots: settings.slots.map((s) =>
        s.slot === name
          ? { ...s, override: `reader ${c.reader}`, setBy: "tech1", setAt: "2026-12-04T09:00:00Z", current: c }
          : s,
      ),
    } as ui.DeviceSettingsView;
    return Promise.resolve(settings);
  },
  ClearDeviceOverride: (name: string) => {
    calls.push(`ClearDeviceOverride ${name}`);
    return Promise.resolve(settings);
  },
  RunDiagnostics: (devices: string[]) => {
    calls.push(`RunDiagnostics ${devices.join(",")}`);
    const count = (status: string) => diagChecks.filter((c) => c.status === status).length;
    return Promise.resolve({
      startedAt: "2026-12-04T09:00:00Z",
      status: count("fail") > 0 ? "fail" : "pass",
      pass: count("pass"),
      warn: count("warn"),
      fail: count("fail"),
      skip: count("skip"),
      checks: diagChecks,
    } as ui.DiagnosticsReport);
  },
  CheckDevices: () => {
    calls.push("CheckDevices");
    return Promise.resolve({ ...status("clerk"), devices: [deviceState] });
  },
}));

const { DevicesCard } = await import("./DevicesCard");

// Ant Design's Select and Table render slowly in jsdom on a busy machine.
vi.setConfig({ testTimeout: 20000 });

function status(role: string): ui.Status {
  return {
    station: "SZ-FT-001",
    devices: [
      { id: "encoder", kind: "encoder", name: "Virtual PCD 00 00", state: "ready", detail: "" },
      { id: "printer", kind: "printer", name: "usb:FT0001", state: "absent", detail: "no USB serial adapter" },
    ],
    central: { state: "offline_only", url: "", lastSync: "", pending: 0, detail: "" },
    stock: { tracked: false, onHand: 0, low: false },
    operator: { loggedIn: role !== "", login: "tech1", name: "王五", role },
  } as ui.Status;
}

function renderCard(role: string) {
  return render(
    <AntApp>
      <DevicesCard status={status(role)} />
    </AntApp>,
  );
}

describe("DevicesCard", () => {
  beforeEach(async () => {
    calls.length = 0;
    assignError = null;
    diagChecks = [];
    deviceState = { id: "encoder", kind: "encoder", name: "", state: "ready", detail: "" };
    settings = {
      slots: [
        slot(
          "encoder",
          ["pcsc"],
          "reader Virtual PCD 00 00",
          choice({ transport: "pcsc", reader: "Virtual PCD 00 00" }),
        ),
        slot("printer", ["serial"], "USB serial number FT0001", choice({ transport: "serial", usbSerial: "FT0001" })),
      ],
      assignable: true,
      restartNeeded: [],
      problem: "",
    } as unknown as ui.DeviceSettingsView;
    await i18n.changeLanguage("zh-CN");
  });
  afterEach(cleanup);

  it("assigns a found reader", async () => {
    const user = userEvent.setup();
    renderCard("technician");
    const select = await screen.findByRole("combobox", { name: "为制卡读写器选择设备" });
    await waitFor(() => expect(calls).toContain("FoundDevices"));
    const encoderRow = select.closest("tr") as HTMLElement;
    expect(await within(encoderRow).findByTitle("Virtual PCD 00 00")).toBeInTheDocument();
    expect(within(encoderRow).getByText("reader Virtual PCD 00 00")).toBeInTheDocument();
    const apply = screen.getByRole("button", { name: "为制卡读写器应用所选设备" });
    expect(apply).toBeDisabled();

    await user.click(select);
    await user.click(await screen.findByTitle("Virtual PCD 00 01"));
    expect(apply).toBeEnabled();
    await user.click(apply);

    await waitFor(() => expect(calls).toContain("AssignDevice encoder pcsc Virtual PCD 00 01"));
    expect(await screen.findByText("制卡读写器已改用 reader Virtual PCD 00 01。")).toBeInTheDocument();
    expect(screen.getByTestId("device-override-encoder")).toHaveTextContent("reader Virtual PCD 00 01");
    expect(screen.getByRole("button", { name: "制卡读写器恢复使用配置文件中的设备" })).toBeInTheDocument();
  });

  it("offers only the slot's transport with details", async () => {
    const user = userEvent.setup();
    renderCard("supervisor");
    const select = await screen.findByRole("combobox", { name: "为证卡打印机选择设备" });
    await waitFor(() => expect(calls).toContain("FoundDevices"));
    // The printer is pinned by USB serial number, which matches the port.
    const row = select.closest("tr") as HTMLElement;
    expect(await within(row).findByTitle("/dev/ttyUSB0 · USB 0403:6001 · 序列号 FT0001 · FT232R")).toBeInTheDocument();
    await user.click(select);
    expect(await screen.findByTitle("/tmp/station/printer.tty · → /dev/pts/4")).toBeInTheDocument();
    expect(screen.queryByTitle("Virtual PCD 00 01")).not.toBeInTheDocument();
    expect(screen.getByText("HID 设备未能列出：HID is not supported in this build")).toBeInTheDocument();
  });

  it("shows a rejected assignment", async () => {
    const user = userEvent.setup();
    assignError = {
      code: "not_found",
      message: 'PC/SC reader "Virtual PCD 00 01" is not among the readers found now',
    };
    renderCard("technician");
    const select = await screen.findByRole("combobox", { name: "为制卡读写器选择设备" });
    await within(select.closest("tr") as HTMLElement).findByTitle("Virtual PCD 00 00");
    // Keyboard only: tab to the list, open it, move to the other reader,
    // pick it and go on to the Apply button. user-event sends no keyCode
    // for the arrow keys, which rc-select reads, so those go by fireEvent.
    for (let i = 0; i < 10 && document.activeElement !== select; i++) {
      await user.tab();
    }
    expect(select).toHaveFocus();
    await user.keyboard("{Enter}");
    await screen.findByTitle("Virtual PCD 00 01");
    fireEvent.keyDown(select, { key: "ArrowDown", keyCode: 40, which: 40 });
    fireEvent.keyDown(select, { key: "Enter", keyCode: 13, which: 13 });
    expect(await within(select.closest("tr") as HTMLElement).findByTitle("Virtual PCD 00 01")).toBeInTheDocument();
    await user.tab();
    expect(screen.getByRole("button", { name: "为制卡读写器应用所选设备" })).toHaveFocus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(calls).toContain("AssignDevice encoder pcsc Virtual PCD 00 01"));

    expect(await screen.findByText("指定设备失败")).toBeInTheDocument();
    expect(
      screen.getByText('PC/SC reader "Virtual PCD 00 01" is not among the readers found now (错误代码: not_found)'),
    ).toBeInTheDocument();
    expect(screen.queryByTestId("device-override-encoder")).not.toBeInTheDocument();
  });

  it("lets a clerk test but not choose", async () => {
    const user = userEvent.setup();
    deviceState = { id: "printer", kind: "printer", name: "", state: "absent", detail: "no USB serial adapter" };
    diagChecks = [
      check("printer.port.pass", "pass", "printer answers"),
      check("printer.sensors.fail", "fail", "cover open", "close the cover"),
    ];
    renderCard("clerk");
    await waitFor(() => expect(calls).toContain("DeviceSettings"));
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(calls).not.toContain("FoundDevices");

    await user.click(screen.getByRole("button", { name: "测试证卡打印机" }));
    expect(
      await screen.findByText("证卡打印机：通过 1 项，警告 0 项，失败 1 项。打印机盖板打开 处理方法：关上打印机盖板"),
    ).toBeInTheDocument();
    expect(calls).toContain("RunDiagnostics printer");
    // The states are read again after the run, for the table and status bar.
    await waitFor(() => expect(calls.indexOf("CheckDevices")).toBeGreaterThan(calls.indexOf("RunDiagnostics printer")));
  });

  it("reports every check passed", async () => {
    const user = userEvent.setup();
    diagChecks = [check("encoder.reader.pass", "pass", "reader present"), check("encoder.card.pass", "pass", "ok")];
    renderCard("clerk");
    await waitFor(() => expect(calls).toContain("DeviceSettings"));
    await user.click(screen.getByRole("button", { name: "测试制卡读写器" }));
    expect(await screen.findByText("制卡读写器：2 项检查全部通过。")).toBeInTheDocument();
    expect(calls).toContain("RunDiagnostics encoder");
  });

  it("says which changes wait for a restart", async () => {
    settings = { ...settings, restartNeeded: ["printer"] } as ui.DeviceSettingsView;
    renderCard("technician");
    expect(await screen.findByTestId("device-restart-needed")).toHaveTextContent(
      "以下设备的更改需重新打开窗口才能全部生效：证卡打印机。",
    );
  });
});
