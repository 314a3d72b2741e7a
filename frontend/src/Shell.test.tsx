import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "./bridge";
import i18n from "./i18n";

// The Wails runtime and bindings exist only inside the window, so this test
// replaces both with recorders; the e2e test covers the real bridge.
type Handler = (payload: unknown) => void;
const listeners = new Map<string, Set<Handler>>();
const calls: string[] = [];

vi.mock("../wailsjs/runtime/runtime", () => ({
  EventsOn: (name: string, handler: Handler) => {
    calls.push(`on ${name}`);
    const set = listeners.get(name) ?? new Set<Handler>();
    set.add(handler);
    listeners.set(name, set);
    return () => set.delete(handler);
  },
}));

const unconfigured: ui.Status = {
  station: "SZ-FT-001",
  devices: ["encoder", "printer"].map((id) => ({ id, kind: id, name: "", state: "not_configured", detail: "" })),
  central: { state: "offline_only", url: "", lastSync: "", pending: 0 },
  stock: { tracked: false, onHand: 0, low: false },
  operator: { loggedIn: false, name: "", role: "" },
} as ui.Status;

let storedLanguage = "zh-CN";

vi.mock("../wailsjs/go/ui/App", () => ({
  StatusSnapshot: () => {
    calls.push("StatusSnapshot");
    return Promise.resolve(unconfigured);
  },
  Version: () => Promise.resolve({ version: "1.2.3", commit: "abc", date: "2026-01-01" }),
  DeviceSettings: () => Promise.resolve({ slots: [], assignable: false, restartNeeded: [], problem: "" }),
  Language: () => {
    calls.push("Language");
    return Promise.resolve(storedLanguage);
  },
  Login: (login: string, password: string) => {
    calls.push(`Login ${login}`);
    if (password !== "clerk-password") {
      return Promise.reject({ code: "bad_credentials", message: "wrong login or password" });
    }
    return Promise.resolve({ loggedIn: true, login, name: "李四", role: "clerk" });
  },
  SetLanguage: (lang: string) => {
    if (lang !== "zh-CN" && lang !== "en") {
      return Promise.reject({ code: "invalid_argument", message: `language "${lang}" is not supported` });
    }
    storedLanguage = lang;
    return Promise.resolve();
  },
}));

const { Shell } = await import("./Shell");

function renderShell() {
  return render(
    <AntApp>
      <Shell />
    </AntApp>,
  );
}

describe("Shell", () => {
  beforeEach(async () => {
    listeners.clear();
    calls.length = 0;
    storedLanguage = "zh-CN";
    window.location.hash = "";
    await i18n.changeLanguage("zh-CN");
  });
  afterEach(cleanup);

  it("subscribes before asking for the snapshot", async () => {
    renderShell();
    await screen.findByText("未配置设备", { selector: ".ant-tag" });
    expect(calls.indexOf("on status:changed")).toBeLessThan(calls.indexOf("StatusSnapshot"));
    expect(calls.indexOf("on language:changed")).toBeLessThan(calls.indexOf("Language"));
  });

  it("shows the status bar from Go", async () => {
    renderShell();
    const bar = await screen.findByRole("status", { name: "设备与连接状态" });
    await within(bar).findByText("未配置设备");
    expect(within(bar).getByText("仅离线（未配置中心地址）")).toBeInTheDocument();
    expect(within(bar).getByText("未登录")).toBeInTheDocument();
  });

  it("updates the status bar on status events", async () => {
    renderShell();
    await screen.findByText("未配置设备", { selector: ".ant-tag" });
    const ready = {
      ...unconfigured,
      devices: [{ id: "printer", kind: "printer", name: "/dev/ttyS0", state: "ready", detail: "" }],
    };
    act(() => listeners.get("status:changed")?.forEach((h) => h(ready)));
    const tag = await screen.findByLabelText("证卡打印机: 就绪");
    expect(tag).toHaveTextContent(/^证卡打印机$/);
  });

  it("removes its listeners on unmount", async () => {
    const view = renderShell();
    await screen.findByText("未配置设备", { selector: ".ant-tag" });
    expect(listeners.get("status:changed")?.size).toBeGreaterThan(0);
    view.unmount();
    expect(listeners.get("status:changed")?.size).toBe(0);
    expect(listeners.get("language:changed")?.size).toBe(0);
  });

  it("switches screens with Alt+number", async () => {
    const user = userEvent.setup();
    renderShell();
    await screen.findByText("未配置设备", { selector: ".ant-tag" });
    await user.keyboard("{Alt>}5{/Alt}");
    expect(await screen.findByRole("heading", { name: "设置" })).toBeInTheDocument();
    await user.keyboard("{Alt>}2{/Alt}");
    await waitFor(() => expect(screen.getByTestId("screen-rewrite")).toBeInTheDocument());
  });

  it("starts in the language stored in Go", async () => {
    storedLanguage = "en";
    renderShell();
    expect(await screen.findByText("No devices configured", { selector: ".ant-tag" })).toBeInTheDocument();
    expect(screen.getByRole("navigation", { name: "Main navigation" })).toBeInTheDocument();
  });

  it("shows the code and message of a failed login", async () => {
    const user = userEvent.setup();
    renderShell();
    await user.type(await screen.findByLabelText("账号"), "clerk1");
    await user.type(screen.getByLabelText("密码"), "wrong-password");
    await user.keyboard("{Enter}");
    expect(await screen.findByText("wrong login or password (错误代码: bad_credentials)")).toBeInTheDocument();
    expect(screen.getByText("登录失败")).toBeInTheDocument();
    expect(calls).toContain("Login clerk1");
    expect(screen.getByLabelText("密码")).toHaveValue("");
  });
});
