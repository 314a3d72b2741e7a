// i18next set-up: zh-CN is the default and the fallback, English the other
// choice. The stored choice comes from Go (App.Language) after start-up.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import zhCN from "./zh-CN";
import en from "./en";

type Widen<T> = { -readonly [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };

/** Shape of a translation: the zh-CN keys with string values. */
export type Messages = Widen<typeof zhCN>;

export const languages = ["zh-CN", "en"] as const;
export type LanguageCode = (typeof languages)[number];

export function isLanguage(value: string): value is LanguageCode {
  return (languages as readonly string[]).includes(value);
}

export const resources = {
  "zh-CN": { translation: zhCN },
  en: { translation: en },
} as const;

declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "translation";
    resources: { translation: typeof zhCN };
  }
}

void i18n.use(initReactI18next).init({
  resources,
  lng: "zh-CN",
  fallbackLng: "zh-CN",
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
