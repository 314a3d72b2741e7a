// End-to-end test of the shell against `wails dev` (scripts/e2e starts it):
// the page at PERMITDESK_URL talks to the real Go bindings over the dev
// server's bridge. It reads the version from Go, switches the language to
// English and back and checks that Go stored each choice, then logs in as
// PERMITDESK_E2E_LOGIN, opens the queue and logs out.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const url = process.env.PERMITDESK_URL ?? "http://127.0.0.1:34115";
const wantVersion = process.env.PERMITDESK_VERSION;
const shots = process.env.PERMITDESK_E2E_SHOTS;
const login = process.env.PERMITDESK_E2E_LOGIN;
const password = process.env.PERMITDESK_E2E_PASSWORD;

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

const page = await context.newPage();

// chooseLanguage opens the header's language list from the keyboard, as an
// operator would, and picks the option shown with the given title.
async function chooseLanguage(label, option) {
  await page.getByRole("combobox", { name: label }).first().focus();
  await page.keyboard.press("ArrowDown");
  await page.locator(`.ant-select-item-option[title="${option}"]`).click();
}

try {
  page.setDefaultTimeout(30_000);
  await page.goto(url);

  await step("status bar shows the state from Go", async () => {
    const devices = page.getByTestId("status-devices");
    await devices.getByText("未配置设备").waitFor();
    await page.getByTestId("status-operator").getByText("未登录").waitFor();
  });

  await step("version is read from Go", async () => {
    const fromGo = await page.evaluate(() => window.go.ui.App.Version());
    if (wantVersion) {
      assert.equal(fromGo.version, wantVersion, "Version() from the bridge");
    }
    await page.keyboard.press("Alt+5");
    await page.getByRole("heading", { name: "设置" }).waitFor();
    const shown = page.getByTestId("app-version");
    await shown.getByText(fromGo.version, { exact: true }).waitFor();
  });

  await step("language switches to English and Go stores it", async () => {
    await chooseLanguage("界面语言", "English");
    await page.getByRole("heading", { name: "Settings" }).waitFor();
    await page.getByTestId("status-devices").getByText("No devices configured").waitFor();
    assert.equal(await page.evaluate(() => window.go.ui.App.Language()), "en");
    if (shots) {
      await page.screenshot({ path: join(shots, "e2e-settings-en.png") });
    }
  });

  await step("stored language survives a reload", async () => {
    await page.reload();
    await page.getByRole("navigation", { name: "Main navigation" }).waitFor();
  });

  await step("unsupported language is rejected with a code", async () => {
    const err = await page.evaluate(() =>
      window.go.ui.App.SetLanguage("fr").then(
        () => null,
        (e) => e,
      ),
    );
    assert.deepEqual(err, { code: "invalid_argument", message: 'language "fr" is not supported: use zh-CN or en' });
  });

  await step("language switches back to Chinese", async () => {
    await chooseLanguage("Language", "简体中文");
    await page.getByRole("navigation", { name: "主导航" }).waitFor();
    assert.equal(await page.evaluate(() => window.go.ui.App.Language()), "zh-CN");
  });

  if (login && password) {
    await step("wrong password shows the code from Go", async () => {
      await page.keyboard.press("Alt+3");
      await page.getByLabel("账号").fill(login);
      await page.getByLabel("密码").fill("not-the-password");
      await page.keyboard.press("Enter");
      await page.getByText("(错误代码: bad_credentials)", { exact: false }).waitFor();
      await page.getByTestId("status-operator").getByText("未登录").waitFor();
    });

    await step("login shows the operator and the queue", async () => {
      await page.getByLabel("账号").fill(login);
      await page.getByLabel("密码").fill(password);
      await page.keyboard.press("Enter");
      await page.getByTestId("status-operator").getByText("测试主管（主管）").waitFor();
      await page.getByRole("heading", { name: "制证队列" }).waitFor();
      await page.getByText("没有符合条件的任务。").waitFor();
    });

    await step("logout returns to the login form", async () => {
      await page.getByRole("button", { name: "退出登录" }).click();
      await page.getByTestId("status-operator").getByText("未登录").waitFor();
      await page.getByLabel("账号").waitFor();
    });
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

const failed = results.filter(([, err]) => err).length;
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
