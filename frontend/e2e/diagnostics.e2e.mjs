// End-to-end diagnostics on the emulated station through `wails dev` and the
// real Go bindings. A clerk issues one card through the bridge so the charts
// have a job, then a technician runs the diagnostics with a blank card in the
// encoder: every check shows under its device and none warns or fails. The
// chart draws today's job, an APDU sent from the console comes back with its
// decoded status word, and a printer read command returns the ribbon count.
// The application issued here is the station's last approved one, which the
// ID cards of the emulated reader (the first applications) do not cover, so
// issue.e2e.mjs still finds its own applications unissued.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { env, login, operators, shot, start } from "./lib.mjs";

const { page, step, finish } = await start();

/** Sends one control command to an emulator of the stack and returns its reply. */
function control(socket, ...args) {
  return execFileSync(env.bin, ["sim", "control", join(env.stack, socket), ...args], { encoding: "utf8" }).trim();
}

/** Returns the id of the station's approved application with the highest id. */
function lastApplication() {
  const db = join(env.stack, "station", "permitdesk.db");
  return execFileSync(
    "sqlite3",
    ["-readonly", db, "SELECT id FROM sync_applications WHERE status = 'approved' ORDER BY id DESC LIMIT 1"],
    { encoding: "utf8" },
  ).trim();
}

/** Polls the job's progress through the bridge until it reaches state. */
async function waitForState(jobId, state) {
  const deadline = Date.now() + 90_000;
  let last;
  while (Date.now() < deadline) {
    last = await page.evaluate((id) => window.go.ui.App.JobProgress(id), jobId);
    if (last.state === state) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`job ${jobId} did not reach ${state}; last progress ${JSON.stringify(last)}`);
}

let report;
let cardInEncoder = false;

try {
  await step("clerk issues a card through the window", async () => {
    const application = lastApplication();
    assert.ok(application, "the station has no approved application");
    await page.evaluate(({ login, password }) => window.go.ui.App.Login(login, password), operators.clerk);
    try {
      const job = await page.evaluate((id) => window.go.ui.App.IssueCard(id), application);
      await waitForState(job.id, "awaiting_handover");
      const done = await page.evaluate((id) => window.go.ui.App.HandoverJob(id), job.id);
      assert.equal(done.state, "issued");
    } finally {
      await page.evaluate(() => window.go.ui.App.Logout());
    }
  });

  await step("technician opens the diagnostics", async () => {
    await login(page, operators.technician);
    await page.keyboard.press("Alt+4");
    await page.getByRole("heading", { name: "设备诊断" }).waitFor();
  });

  await step("every device check passes on the healthy station", async () => {
    assert.match(control("card.sock", "insert", "blank"), /^ok/);
    cardInEncoder = true;
    await page.getByTestId("run-diagnostics").click();
    await page.getByTestId("diagnostics-summary").waitFor({ timeout: 120_000 });
    report = await page.evaluate(() => window.go.ui.App.RunDiagnostics([]));
    const bad = report.checks.filter((c) => c.status === "warn" || c.status === "fail");
    assert.deepEqual(
      bad.map((c) => `${c.id} ${c.status}: ${c.reason}`),
      [],
      "no check warns or fails",
    );
    // The chip checks ran on the blank card; only unconfigured or shared
    // devices are skipped.
    for (const id of ["encoder.card", "encoder.atr", "encoder.rtt", "psam.keys", "printer.ribbon", "idreader.sam"]) {
      assert.equal(report.checks.find((c) => c.id === id)?.status, "pass", `${id} passes`);
    }
    const allowedSkips = /\.skip\.(same_reader|not_configured|no_folder)$/;
    for (const c of report.checks.filter((c) => c.status === "skip")) {
      assert.match(c.code, allowedSkips, `${c.id} is skipped: ${c.reason}`);
    }
    await page
      .getByTestId("diagnostics-summary")
      .getByText(/警告 0，失败 0/)
      .waitFor();
  });

  await step("each check shows under its device", async () => {
    await page.getByTestId("expand-all").click();
    const devices = [...new Set(report.checks.map((c) => c.device))];
    for (const device of devices) {
      const row = page.getByTestId(`device-${device}`);
      await row.waitFor();
      const want = report.checks.filter((c) => c.device === device).some((c) => c.status === "pass") ? "pass" : "skip";
      assert.equal(await row.getAttribute("data-status"), want, `${device} badge`);
    }
    for (const c of report.checks) {
      const item = page.getByTestId(`check-${c.id}`);
      await item.waitFor();
      assert.equal(await item.getAttribute("data-status"), c.status, `${c.id} status`);
    }
    // Chinese findings keyed on the check codes.
    await page
      .getByTestId("check-printer.ribbon")
      .getByText(/色带剩余 \d+ 面/)
      .waitFor();
    await page.getByTestId("device-printer").getByText("证卡打印机").waitFor();
  });

  await step("chart shows today's job", async () => {
    const today = new Date().toLocaleDateString("sv-SE");
    const chart = page.getByTestId("chart-printer");
    await chart.waitFor();
    const bar = chart.locator(`[data-testid=chart-day][data-day="${today}"]`);
    assert.ok(Number(await bar.getAttribute("data-jobs")) >= 1, "today has the issued job");
    await bar.getByTestId("bar-jobs").waitFor();
    assert.equal(await chart.locator("[data-testid=chart-day]").count(), 30);
    await page.getByTestId("expand-all").click();
    await page.getByTestId("check-printer.ribbon").waitFor({ state: "hidden" });
    // Let the expand icons finish turning before the screenshot.
    await page.waitForTimeout(500);
    await shot(page, "diagnostics");
  });

  await step("APDU console decodes the status word", async () => {
    await page.getByRole("tab", { name: "APDU 控制台" }).click();
    await page.getByTestId("apdu-input").fill("00 A4 00 00 02 3F 00 00");
    await page.getByTestId("apdu-send").click();
    const entry = page.getByTestId("apdu-entry").first();
    await entry.waitFor();
    assert.equal(await entry.getAttribute("data-sw"), "9000");
    await entry.getByTestId("apdu-meaning").getByText("成功（success）").waitFor();
  });

  await step("APDU that changes the card asks first", async () => {
    await page.getByTestId("apdu-input").fill("00 D6 00 00 02 AA BB");
    await page.getByTestId("apdu-send").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("00 D6 00 00 02 AA BB").waitFor();
    await dialog.getByRole("button", { name: "取 消" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await page.getByTestId("apdu-entry").count(), 1, "the declined command was not sent");
  });

  await step("printer console reads the ribbon", async () => {
    await page.getByRole("tab", { name: "打印机指令" }).click();
    await page.getByTestId("printer-input").fill("Rco;l");
    await page.getByTestId("printer-send").click();
    await page.getByTestId("printer-entry").first().getByText(/< \d+/).waitFor();
  });
} finally {
  if (cardInEncoder) {
    control("card.sock", "remove");
  }
  // The session lives in the Go app, which the next test file shares.
  await page.evaluate(() => window.go.ui.App.Logout());
  await finish();
}
