// Shared pieces of the end-to-end tests: the headless browser, named steps
// with a pass/fail summary, and the operators scripts/e2e creates on the
// emulated station.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Environment set by scripts/e2e. */
export const env = {
  url: process.env.PERMITDESK_URL ?? "http://127.0.0.1:34115",
  version: process.env.PERMITDESK_VERSION,
  shots: process.env.PERMITDESK_E2E_SHOTS || "",
  bin: process.env.PERMITDESK_E2E_BIN,
  config: process.env.PERMITDESK_E2E_CONFIG,
  stack: process.env.PERMITDESK_E2E_STACK,
};

/** Operators of each role, as scripts/e2e adds them. */
export const operators = {
  supervisor: {
    login: process.env.PERMITDESK_E2E_SUPERVISOR,
    password: process.env.PERMITDESK_E2E_SUPERVISOR_PASSWORD,
    shown: "测试主管（主管）",
  },
  clerk: {
    login: process.env.PERMITDESK_E2E_CLERK,
    password: process.env.PERMITDESK_E2E_CLERK_PASSWORD,
    shown: "测试窗口（受理员）",
  },
  technician: {
    login: process.env.PERMITDESK_E2E_TECHNICIAN,
    password: process.env.PERMITDESK_E2E_TECHNICIAN_PASSWORD,
    shown: "测试技术员（技术员）",
  },
};

/**
 * Starts headless Chromium with a fresh profile and returns a page on the
 * app, the step runner and finish(), which closes the browser and exits
 * with 1 when a step failed or none ran.
 */
export async function start() {
  const profile = mkdtempSync(join(tmpdir(), "permitdesk-e2e-"));
  // launchPersistentContext passes --user-data-dir=profile to Chromium.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const results = [];

  async function step(name, fn) {
    try {
      await fn();
      results.push([name, null]);
      console.log(`ok   ${name}`);
    } catch (err) {
      results.push([name, err]);
      console.log(
        `FAIL ${name}\n     ${String(err?.message ?? err)
          .split("\n")
          .join("\n     ")}`,
      );
    }
  }

  // finish logs out first: the Go side keeps one operator session for the
  // whole app, and the next test file starts logged out.
  async function finish() {
    await page.evaluate(() => window.go.ui.App.Logout()).catch((err) => console.log(`logout failed: ${err}`));
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    const failed = results.filter(([, err]) => err).length;
    console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
    process.exit(failed === 0 && results.length > 0 ? 0 : 1);
  }

  await page.goto(env.url);
  return { page, step, finish };
}

/** Logs in through the login form, which Alt+3 opens while logged out. */
export async function login(page, operator) {
  // Wait for the first status from Go: the login form is drawn again when
  // it arrives, which would drop what was typed before.
  await page.getByTestId("status-operator").getByText("未登录").waitFor();
  await page.keyboard.press("Alt+3");
  await page.getByRole("heading", { name: "制证队列" }).or(page.getByText("操作员登录")).first().waitFor();
  await page.getByLabel("账号").fill(operator.login);
  await page.getByLabel("密码").fill(operator.password);
  await page.keyboard.press("Enter");
  await page.getByTestId("status-operator").getByText(operator.shown).waitFor();
}

/** Logs out with the header's button and waits for the login form. */
export async function logout(page) {
  await page.getByRole("button", { name: "退出登录" }).click();
  await page.getByTestId("status-operator").getByText("未登录").waitFor();
}

/**
 * Saves a screenshot as NAME.png when PERMITDESK_E2E_SHOTS is set. Earlier
 * notifications are closed and open drop-downs waited out first, so the
 * picture shows the screen itself.
 */
export async function shot(page, name) {
  if (!env.shots) return;
  // A notice may be sliding in or out, so a click may miss it: try again
  // for up to 10 seconds.
  const notices = page.locator(".ant-notification-notice-close");
  for (let tries = 0; tries < 50 && (await notices.count()) > 0; tries++) {
    await notices
      .first()
      .click({ timeout: 1000, force: true })
      .catch(() => {});
    await page.waitForTimeout(200);
  }
  await page
    .locator(".ant-notification-notice")
    .first()
    .waitFor({ state: "detached" })
    .catch(() => {});
  // Brief messages close by themselves within a few seconds.
  await page
    .locator(".ant-message-notice")
    .first()
    .waitFor({ state: "detached", timeout: 8000 })
    .catch(() => {});
  await page
    .locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    .first()
    .waitFor({ state: "hidden" })
    .catch(() => {});
  await page.screenshot({ path: join(env.shots, `${name}.png`) });
}
