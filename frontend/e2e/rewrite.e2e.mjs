// End-to-end address rewrite on the emulated station through `wails dev` and
// the real Go bindings. A clerk issues a card through the window's issuance
// bindings. A technician then reads it at the desk reader (the encoder's
// reader in the stack), enters a new house code, checks both strip previews,
// confirms and follows the steps to the end. The chip, read with `permitdesk
// card dump`, and the rewriter emulator's strip images must show the change.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { env, login, logout, operators, shot, start } from "./lib.mjs";

const { page, step, finish } = await start();
const identities = JSON.parse(readFileSync(join(env.stack, "identities.json"), "utf8"));
// issue.e2e.mjs issues the cards of the first two identities.
const applicant = identities[2];

/** Runs the permitdesk binary on the stack's configuration and returns its output. */
function permitdesk(...args) {
  return execFileSync(env.bin, ["--config", env.config, ...args], { encoding: "utf8" });
}

/** Sends one control command to the card emulator and returns its reply. */
function cardControl(...args) {
  return execFileSync(env.bin, ["sim", "control", join(env.stack, "card.sock"), ...args], {
    encoding: "utf8",
  }).trim();
}

/** Returns an active house code of the station's register other than those given. */
function otherHouseCode(...exclude) {
  const db = join(env.stack, "station", "permitdesk.db");
  const codes = execFileSync(
    "sqlite3",
    ["-readonly", db, "SELECT code FROM sync_house_codes WHERE status = 'active' ORDER BY code DESC LIMIT 20"],
    { encoding: "utf8" },
  )
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const code = codes.find((c) => !exclude.includes(c));
  assert.ok(code, `no active house code outside ${exclude.join(", ")}`);
  return code;
}

function stripImages() {
  return readdirSync(join(env.stack, "strips")).filter((f) => f.endsWith(".png"));
}

/** Polls an issuance job through the bridge until it reaches state. */
async function waitForIssuance(jobId, state) {
  const deadline = Date.now() + 90_000;
  let last;
  while (Date.now() < deadline) {
    last = await page.evaluate((id) => window.go.ui.App.JobProgress(id), jobId);
    if (last.state === state) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`issuance job ${jobId} did not reach ${state}; last progress ${JSON.stringify(last)}`);
}

let application;
let serial;
let newCode;
let stripsBefore;

try {
  await step("clerk issues a card through the window", async () => {
    await login(page, operators.clerk);
    const found = await page.evaluate((idNumber) => window.go.ui.App.FindApplications(idNumber), applicant.idNumber);
    assert.equal(found.length, 1, `applications of ${applicant.idNumber}`);
    application = found[0];
    const job = await page.evaluate((id) => window.go.ui.App.IssueCard(id), application.id);
    await waitForIssuance(job.id, "awaiting_handover");
    const issued = await page.evaluate((id) => window.go.ui.App.HandoverJob(id), job.id);
    assert.equal(issued.state, "issued");
    serial = issued.cardSerial;
    assert.match(serial, /^[0-9A-F]{16}$/, `card serial of job ${job.id}`);
  });

  await step("clerk is sent to a technician", async () => {
    await page.keyboard.press("Alt+2");
    await page.getByText("改写地址需要技术员或主管账号", { exact: false }).waitFor();
    await logout(page);
  });

  await step("technician reads the issued card at the desk reader", async () => {
    assert.match(cardControl("insert", serial), /^ok/);
    await login(page, operators.technician);
    await page.keyboard.press("Alt+2");
    await page.getByRole("heading", { name: "改写地址" }).waitFor();
    await page.getByTestId("rewrite-read-card").waitFor();
    await page.keyboard.press("F2");
    const details = page.getByTestId("rewrite-card");
    await details.getByText(application.name, { exact: true }).waitFor();
    await details.getByText(serial, { exact: true }).waitFor();
    assert.equal(await page.getByTestId("rewrite-current-address").innerText(), application.address);
    await details.getByText("这张卡还没有变更过地址。").waitFor();
    await details.getByText("有效", { exact: true }).waitFor();
  });

  await step("house code shows the new address and both strips", async () => {
    newCode = otherHouseCode(application.houseCode);
    const input = page.getByLabel("新住址房屋编码");
    await input.fill(newCode);
    await input.press("Enter");
    const preview = page.getByTestId("rewrite-preview");
    await preview.getByText(newCode, { exact: false }).first().waitFor();
    for (const alt of ["原改写条", "新改写条"]) {
      const img = preview.getByAltText(alt);
      await img.waitFor();
      const width = await img.evaluate((el) => el.naturalWidth);
      assert.ok(width > 0, `${alt} image did not load`);
    }
    const oldSrc = await preview.getByAltText("原改写条").getAttribute("src");
    const newSrc = await preview.getByAltText("新改写条").getAttribute("src");
    assert.notEqual(oldSrc, newSrc, "old and new strips are the same image");
    await shot(page, "rewrite");
  });

  await step("same address is rejected with its code", async () => {
    const err = await page.evaluate(
      (code) =>
        window.go.ui.App.PreviewRewrite(code).then(
          () => null,
          (e) => e,
        ),
      application.houseCode,
    );
    assert.equal(err?.code, "invalid_argument");
    assert.match(err.message, /already the card's address/);
  });

  await step("confirmed change runs to done", async () => {
    stripsBefore = stripImages();
    await page.keyboard.press("F4");
    await page.getByRole("button", { name: "开始改写" }).click();
    const progress = page.getByTestId("rewrite-progress");
    await progress.waitFor();
    await progress.getByText(`卡片 ${serial} 的芯片和改写条已更新为新地址。`).waitFor({ timeout: 90_000 });
    await progress.getByText("认证并写入芯片").waitFor();
    await progress.getByText("擦除并打印改写条").waitFor();
    const jobs = await page.evaluate(() => window.go.ui.App.RewriteJobs());
    const done = jobs.find((j) => j.cardSerial === serial);
    assert.equal(done?.state, "done");
    assert.equal(done.newAddress.houseCode, newCode);
    assert.equal(done.progress?.percent, 100);
  });

  await step("chip and strip carry the new address", async () => {
    const dump = JSON.parse(permitdesk("card", "dump", "--json", "--no-photo"));
    assert.equal(dump.serial, serial);
    assert.equal(dump.sequence, 2);
    assert.equal(dump.data.address.houseCode, newCode);
    assert.equal(dump.history.length, 1);
    assert.equal(dump.history[0].address.houseCode, application.houseCode);
    const added = stripImages().filter((f) => !stripsBefore.includes(f));
    assert.equal(added.length, 1, `new strip images: ${added.join(", ")}`);
  });

  await step("card read again shows the new address and the history", async () => {
    await page.keyboard.press("F2");
    const details = page.getByTestId("rewrite-card");
    await details.getByText(application.houseCode, { exact: true }).waitFor();
    const shown = await page.getByTestId("rewrite-current-address").innerText();
    assert.notEqual(shown, application.address);
  });
} finally {
  try {
    cardControl("remove");
  } catch (err) {
    console.log(`card emulator: ${err.message}`);
  }
  await finish();
}
