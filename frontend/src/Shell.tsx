import { EditOutlined, IdcardOutlined, SettingOutlined, ToolOutlined, UnorderedListOutlined } from "@ant-design/icons";
import { Layout, Menu, Select, Space, Typography } from "antd";
import { useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { OperatorMenu } from "./components/OperatorMenu";
import { StatusBar } from "./components/StatusBar";
import { useLanguage, useStatus } from "./hooks";
import { languages, type LanguageCode } from "./i18n";
import { DiagnosticsScreen } from "./screens/DiagnosticsScreen";
import { IssueScreen } from "./screens/IssueScreen";
import { QueueScreen } from "./screens/QueueScreen";
import { RewriteScreen } from "./screens/RewriteScreen";
import { SettingsScreen } from "./screens/SettingsScreen";

export const screens = ["issue", "rewrite", "queue", "diagnostics", "settings"] as const;
export type ScreenKey = (typeof screens)[number];

const icons: Record<ScreenKey, ReactNode> = {
  issue: <IdcardOutlined />,
  rewrite: <EditOutlined />,
  queue: <UnorderedListOutlined />,
  diagnostics: <ToolOutlined />,
  settings: <SettingOutlined />,
};

const languageNames: Record<LanguageCode, string> = { "zh-CN": "简体中文", en: "English" };

function screenFromHash(): ScreenKey {
  const key = window.location.hash.replace(/^#\/?/, "");
  return (screens as readonly string[]).includes(key) ? (key as ScreenKey) : "issue";
}

/**
 * Switches screens with Alt+1 to Alt+5, in menu order, and keeps the choice
 * in the URL hash so a reload shows the same screen.
 */
function useScreen(): [ScreenKey, (key: ScreenKey) => void] {
  const [screen, setScreen] = useState<ScreenKey>(screenFromHash);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const n = Number(e.key);
      if (e.altKey && !e.ctrlKey && n >= 1 && n <= screens.length) {
        e.preventDefault();
        window.location.hash = `/${screens[n - 1]}`;
      }
    };
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener("keydown", onKey);
    window.addEventListener("hashchange", onHash);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("hashchange", onHash);
    };
  }, []);
  const go = (key: ScreenKey) => {
    window.location.hash = `/${key}`;
  };
  return [screen, go];
}

/** Lays out the window: header, navigation, the current screen and the status bar. */
export function Shell() {
  const { t } = useTranslation();
  const status = useStatus();
  const [language, setLanguage] = useLanguage();
  const [screen, go] = useScreen();
  return (
    <Layout className="shell">
      <a className="skip-link" href="#main">
        {t("app.skipToContent")}
      </a>
      <Layout.Header className="shell-header">
        <Space size="middle" align="center">
          <Typography.Title level={4} style={{ color: "#fff", margin: 0 }}>
            {t("app.title")}
          </Typography.Title>
          {status && (
            <Typography.Text style={{ color: "#cbd5e1" }}>{t("app.station", { id: status.station })}</Typography.Text>
          )}
        </Space>
        <Space size="middle">
          {status?.operator.loggedIn && <OperatorMenu operator={status.operator} />}
          <Select<LanguageCode>
            data-testid="header-language"
            aria-label={t("app.language")}
            value={language}
            onChange={setLanguage}
            style={{ width: 130 }}
            options={languages.map((l) => ({ value: l, label: languageNames[l] }))}
          />
        </Space>
      </Layout.Header>
      <Layout className="shell-body">
        <Layout.Sider width={224} theme="light" className="shell-sider">
          <nav aria-label={t("nav.label")}>
            <Menu
              mode="inline"
              selectedKeys={[screen]}
              onClick={(info) => go(info.key as ScreenKey)}
              items={screens.map((key, i) => ({
                key,
                icon: icons[key],
                "data-testid": `nav-${key}`,
                label: (
                  <span className="nav-item">
                    <span>{t(`nav.${key}`)}</span>
                    <span className="nav-shortcut" aria-hidden="true">
                      {t("nav.shortcut", { key: i + 1 })}
                    </span>
                  </span>
                ),
                title: `${t(`nav.${key}`)} (${t("nav.shortcut", { key: i + 1 })})`,
              }))}
            />
          </nav>
        </Layout.Sider>
        <Layout.Content id="main" className="shell-content" tabIndex={-1} data-testid={`screen-${screen}`}>
          {screen === "issue" && <IssueScreen status={status} />}
          {screen === "rewrite" && <RewriteScreen status={status} />}
          {screen === "queue" && <QueueScreen status={status} />}
          {screen === "diagnostics" && <DiagnosticsScreen status={status} />}
          {screen === "settings" && <SettingsScreen status={status} language={language} onLanguage={setLanguage} />}
        </Layout.Content>
      </Layout>
      <StatusBar status={status} />
    </Layout>
  );
}
