// End-to-end test of the shell against `wails dev` (scripts/e2e starts it)
// on the emulated station: the page talks to the real Go bindings over the
// dev server's bridge. It reads the version from Go, switches the language to
// English and back and checks that Go stored each choice, then logs in as
// the supervisor, opens the queue and logs out.
import assert from "node:assert/strict";
import { env, operators, start, shot } from "./lib.mjs";

const { page, step, finish } = await start();
const boss = operators.supervisor;

// chooseLanguage opens the header's language list from the keyboard, as an
// operator would, and picks the option shown with the given title.
async function chooseLanguage(label, option) {
  await page.getByRole("combobox", { name: label }).first().focus();
  await page.keyboard.press("ArrowDown");
  await page.locator(`.ant-select-item-option[title="${option}"]`).click();
}

try {
  await step("status bar shows the state from Go", async () => {
    const devices = page.getByTestId("status-devices");
    // Every emulated device is configured, and the registry reports each.
    await devices.getByText(/^\d+\/\d+ 就绪/).waitFor();
    await devices.getByLabel("证卡打印机: 就绪").waitFor();
    await page.getByTestId("status-operator").getByText("未登录").waitFor();
  });

  await step("version is read from Go", async () => {
    const fromGo = await page.evaluate(() => window.go.ui.App.Version());
    if (env.version) {
      assert.equal(fromGo.version, env.version, "Version() from the bridge");
    }
    await page.keyboard.press("Alt+5");
    await page.getByRole("heading", { name: "设置" }).waitFor();
    const shown = page.getByTestId("app-version");
    await shown.getByText(fromGo.version, { exact: true }).waitFor();
  });

  await step("language switches to English and Go stores it", async () => {
    await chooseLanguage("界面语言", "English");
    await page.getByRole("heading", { name: "Settings" }).waitFor();
    await page
      .getByTestId("status-devices")
      .getByText(/^\d+\/\d+ ready/)
      .waitFor();
    assert.equal(await page.evaluate(() => window.go.ui.App.Language()), "en");
    await shot(page, "settings-en");
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

  await step("wrong password shows the code from Go", async () => {
    await page.keyboard.press("Alt+3");
    await page.getByLabel("账号").waitFor();
    await shot(page, "login");
    await page.getByLabel("账号").fill(boss.login);
    await page.getByLabel("密码").fill("not-the-password");
    await page.keyboard.press("Enter");
    await page.getByText("(错误代码: bad_credentials)", { exact: false }).waitFor();
    await page.getByTestId("status-operator").getByText("未登录").waitFor();
  });

  await step("login shows the operator and the queue", async () => {
    await page.getByLabel("账号").fill(boss.login);
    await page.getByLabel("密码").fill(boss.password);
    await page.keyboard.press("Enter");
    await page.getByTestId("status-operator").getByText("测试主管（主管）").waitFor();
    await page.getByRole("heading", { name: "制证队列" }).waitFor();
  });

  await step("supervisor sees the card stock in settings", async () => {
    await page.keyboard.press("Alt+5");
    const stock = page.getByRole("heading", { name: "设置", exact: true });
    await stock.waitFor();
    await page.getByText("LOT-E2E-01").waitFor();
    await page
      .getByTestId("status-stock")
      .getByText(/剩余 \d+ 张/)
      .waitFor();
    await shot(page, "settings");
    await page.getByText("LOT-E2E-01").scrollIntoViewIfNeeded();
    await shot(page, "settings-stock");
  });

  await step("logout returns to the login form", async () => {
    await page.getByRole("button", { name: "退出登录" }).click();
    await page.getByTestId("status-operator").getByText("未登录").waitFor();
    await page.keyboard.press("Alt+3");
    await page.getByLabel("账号").waitFor();
  });
} finally {
  await finish();
}
