// End-to-end issuance on the emulated station through `wails dev` and the
// real Go bindings. A clerk reads an ID card from the emulated reader, issues
// the card on the emulated printer and encoder, hands it over and finds it in
// the queue. Then the printer's ribbon runs out in the middle of a second
// card: the Issue screen shows the fault, and the retry on the Queue screen
// goes through only with a supervisor's approval. The first card also proves
// that a step sent while another screen was open shows on return.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { env, login, operators, shot, start } from "./lib.mjs";

const { page, step, finish } = await start();
const identities = JSON.parse(readFileSync(join(env.stack, "identities.json"), "utf8"));

/** Sends one control command to an emulator of the stack and returns its reply. */
function control(socket, ...args) {
  return execFileSync(env.bin, ["sim", "control", join(env.stack, socket), ...args], { encoding: "utf8" }).trim();
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

/** Reads the applicant's ID card with F2 and waits for the identity check. */
async function readIdCard(index) {
  control("idreader.sock", "place", String(index));
  await page.keyboard.press("Alt+1");
  await page.getByRole("heading", { name: "发证", exact: true }).waitFor();
  await page.getByTestId("read-id-card").click();
  await page.getByText("身份证与申请一致。").waitFor();
  await page.getByAltText("正面").waitFor();
}

let firstJob;

try {
  await step("clerk logs in", async () => {
    await login(page, operators.clerk);
  });

  await step("ID card read fills the form and finds the application", async () => {
    await readIdCard(0);
    const search = page.getByTestId("issue-search");
    assert.equal(await search.inputValue(), identities[0].idNumber);
    await page.getByText(identities[0].name, { exact: false }).first().waitFor();
  });

  await step("issue runs while the clerk looks at the queue", async () => {
    const jobs = await page.evaluate(() => window.go.ui.App.Jobs({ states: [], limit: 500 }));
    await page.keyboard.press("F9");
    await page.getByTestId("job-steps").waitFor();
    const after = await page.evaluate(() => window.go.ui.App.Jobs({ states: [], limit: 500 }));
    const known = new Set(jobs.map((j) => j.id));
    firstJob = after.find((j) => !known.has(j.id));
    assert.ok(firstJob, "IssueCard created no job");
    // Leave the Issue screen at once: the job's later steps go out while it
    // is not subscribed.
    await page.keyboard.press("Alt+3");
    await page.getByRole("heading", { name: "制证队列" }).waitFor();
    await waitForState(firstJob.id, "awaiting_handover");
  });

  await step("step sent before the screen subscribed shows", async () => {
    await page.keyboard.press("Alt+1");
    await page.getByTestId("job-state").getByText(`任务 ${firstJob.id}：待交付`).waitFor();
    await page.getByTestId("handover-button").waitFor();
    // The screen requests the check and the preview again on return.
    await page.getByText("身份证与申请一致。").waitFor();
    await page.getByAltText("正面").waitFor();
    await shot(page, "issue");
  });

  await step("hand-over issues the card", async () => {
    await page.keyboard.press("F10");
    await page.getByTestId("issued").getByText(`任务 ${firstJob.id} 已发证`, { exact: false }).waitFor();
    await shot(page, "issue-issued");
    const job = await page.evaluate((id) => window.go.ui.App.JobProgress(id), firstJob.id);
    assert.equal(job.state, "issued");
  });

  await step("issued card is in the queue", async () => {
    await page.keyboard.press("Escape");
    assert.equal(await page.getByTestId("issue-search").inputValue(), "");
    await page.keyboard.press("Alt+3");
    const row = page.getByRole("row").filter({ hasText: firstJob.applicationId });
    await row.getByText("已发证").waitFor();
  });

  let faulty;
  await step("ribbon out mid-card shows the printer's message", async () => {
    const status = control("printer.sock", "status");
    const inserted = Number(/inserted=(\d+)/.exec(status)?.[1]);
    assert.ok(Number.isInteger(inserted), `printer status: ${status}`);
    assert.match(control("printer.sock", "ribbon-out", String(inserted + 1)), /^ok/);
    await readIdCard(1);
    await page.getByTestId("issue-button").click();
    const fault = page.getByTestId("job-fault");
    await fault.waitFor({ timeout: 90_000 });
    const text = await fault.innerText();
    assert.match(text, /制卡已停止/);
    assert.match(text, /卡片已作为废卡登记/, "a spoiled job says the card was recorded as spoiled");
    assert.match(text, /ribbon/i, "the printer's message is shown");
    assert.match(text, /色带已用完，请更换色带。/, "the printer code's advice is shown in Chinese");
    faulty = (
      await page.evaluate(() => window.go.ui.App.Jobs({ states: ["spoiled", "needs_attention"], limit: 5 }))
    )[0];
    assert.ok(faulty, "no spoiled job after the ribbon ran out");
    await shot(page, "issue-fault");
  });

  await step("retry needs a supervisor", async () => {
    assert.match(control("printer.sock", "replace-ribbon", "500"), /^ok/);
    await page.keyboard.press("Alt+3");
    const row = page.getByRole("row").filter({ hasText: faulty.applicationId });
    await row.getByRole("button", { name: "重 试" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("主管账号").fill(operators.clerk.login);
    await dialog.getByLabel("主管密码").fill(operators.clerk.password);
    await dialog.getByRole("button", { name: "确认重试" }).click();
    await page.getByText("(错误代码: forbidden)", { exact: false }).waitFor();
    const still = await page.evaluate((id) => window.go.ui.App.JobProgress(id), faulty.id);
    assert.notEqual(still.state, "awaiting_handover", "a clerk's approval retried the job");

    await dialog.getByLabel("主管账号").fill(operators.supervisor.login);
    await dialog.getByLabel("主管密码").fill(operators.supervisor.password);
    await dialog.getByRole("button", { name: "确认重试" }).click();
    await row.getByText("待交付").waitFor({ timeout: 90_000 });
    const jobs = await page.evaluate(() => window.go.ui.App.Jobs({ states: ["awaiting_handover"], limit: 5 }));
    const retried = jobs.find((j) => j.id === faulty.id);
    assert.ok(retried, "the retried job is not awaiting hand-over");
    assert.equal(retried.attempt, 2);
    await shot(page, "queue");
  });
} finally {
  await finish();
}
