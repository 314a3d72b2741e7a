import { App as AntApp, ConfigProvider } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import i18n from "./i18n";
import { Shell } from "./Shell";
import "./styles.css";

const fontFamily = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", system-ui, sans-serif';

/** Ant Design's locale follows the i18next language. */
function Root() {
  const [lang, setLang] = useState(i18n.language);
  useEffect(() => {
    const onChange = (l: string) => {
      setLang(l);
      dayjs.locale(l === "en" ? "en" : "zh-cn");
    };
    i18n.on("languageChanged", onChange);
    return () => i18n.off("languageChanged", onChange);
  }, []);
  return (
    <ConfigProvider locale={lang === "en" ? enUS : zhCN} theme={{ token: { fontFamily, colorPrimary: "#1d4ed8" } }}>
      <AntApp notification={{ top: 72 }}>
        <Shell />
      </AntApp>
    </ConfigProvider>
  );
}

dayjs.locale("zh-cn");
const container = document.getElementById("root");
if (container) {
  createRoot(container).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
}
