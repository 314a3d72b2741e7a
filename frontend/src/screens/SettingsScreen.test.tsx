import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App as AntApp } from "antd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ui } from "../bridge";
import i18n from "../i18n";

// The bound Go methods are replaced by recorders, and app/ui tests the Go side.
const calls: string[] = [];

// DevicesCard.test.tsx covers the device card, which needs many more bindings.
vi.mock("./DevicesCard", () => ({ DevicesCard: () => null }));

vi.mock("../../wailsjs/runtime/runtime", () => ({ EventsOn: () => () => undefined }));

vi.mock("../../wailsjs/go/ui/App", () => ({
  CardStock: () => Promise.resolve([]),
  ReceiveCardLot: (number: string, count: number) => {
    calls.push(`ReceiveCardLot ${number} ${count}`);
    return Promise.resolve({ number, received: count, receivedAt: "", adjusted: 0, taken: 0, onHand: count });
  },
  SyncNow: () => Promise.resolve({ pulled: 0, pushed: 0 }),
  Version: () => Promise.resolve({ version: "dev", commit: "" }),
}));

const { SettingsScreen } = await import("./SettingsScreen");

const supervisor = {
  station: "DEV-0001",
  devices: [],
  central: { state: "up", url: "", lastSync: "", pending: 0, detail: "" },
  stock: { tracked: true, onHand: 0, low: true },
  operator: { loggedIn: true, login: "boss", name: "王五", role: "supervisor" },
} as unknown as ui.Status;

function renderSettings() {
  render(
    <AntApp>
      <SettingsScreen status={supervisor} language="en" onLanguage={() => undefined} />
    </AntApp>,
  );
}

describe("stock card", () => {
  beforeEach(async () => {
    calls.length = 0;
    await i18n.changeLanguage("en");
  });
  afterEach(cleanup);

  it("rejects a lot number with a space before the call", async () => {
    const user = userEvent.setup();
    renderSettings();
    await user.type(await screen.findByLabelText("Lot"), "LOT 7");
    await user.type(screen.getByLabelText("Cards"), "10");
    await user.click(screen.getByRole("button", { name: "Receive lot" }));
    expect(await screen.findByText("Use up to 40 letters (A-Z, a-z), digits, '-', '_' and '.'.")).toBeInTheDocument();
    expect(calls).toEqual([]);
  });

  it("caps the lot number at 40 characters", async () => {
    const user = userEvent.setup();
    renderSettings();
    const lot = await screen.findByLabelText("Lot");
    await user.type(lot, "L".repeat(50));
    expect(lot).toHaveValue("L".repeat(40));
  });

  it("keeps the count within 1 to 10000", async () => {
    const user = userEvent.setup();
    renderSettings();
    await user.type(await screen.findByLabelText("Lot"), "LOT-7");
    const count = screen.getByLabelText("Cards");
    await user.type(count, "99999999999999999999");
    await user.click(screen.getByRole("button", { name: "Receive lot" }));
    await waitFor(() => expect(calls.length).toBe(1));
    expect(calls[0]).toBe("ReceiveCardLot LOT-7 10000");
  });
});
