// Hooks that keep React state in step with Go. Each subscribes to its event
// first and then requests a snapshot, so no change between the two is lost.
import { useCallback, useEffect, useState } from "react";
import { Language, SetLanguage, StatusSnapshot, Version, type ui } from "./bridge";
import { Events, onEvent } from "./events";
import { useShowError } from "./errors";
import i18n, { isLanguage, type LanguageCode } from "./i18n";

/** Returns the latest Status from Go, or null until the first snapshot. */
export function useStatus(): ui.Status | null {
  const [status, setStatus] = useState<ui.Status | null>(null);
  const showError = useShowError();
  useEffect(() => {
    let live = true;
    const off = onEvent(Events.EventStatusChanged, (s) => setStatus(s));
    StatusSnapshot()
      .then((s) => live && setStatus(s))
      .catch((reason: unknown) => live && showError(i18n.t("error.loadStatus"), reason));
    return () => {
      live = false;
      off();
    };
  }, [showError]);
  return status;
}

/** Returns the build information of the Go binary, or null while loading. */
export function useVersion(): ui.BuildInfo | null {
  const [info, setInfo] = useState<ui.BuildInfo | null>(null);
  const showError = useShowError();
  useEffect(() => {
    let live = true;
    Version()
      .then((v) => live && setInfo(v))
      .catch((reason: unknown) => live && showError(i18n.t("error.loadVersion"), reason));
    return () => {
      live = false;
    };
  }, [showError]);
  return info;
}

/**
 * Returns the UI language stored in Go and a function that changes it. The
 * i18next language follows, whichever window changed it.
 */
export function useLanguage(): [LanguageCode, (lang: LanguageCode) => void] {
  const [lang, setLang] = useState<LanguageCode>("zh-CN");
  const showError = useShowError();
  const apply = useCallback((value: string) => {
    if (isLanguage(value)) {
      setLang(value);
      document.documentElement.lang = value;
      if (i18n.language !== value) {
        void i18n.changeLanguage(value);
      }
    }
  }, []);
  useEffect(() => {
    let live = true;
    const off = onEvent(Events.EventLanguageChanged, apply);
    Language()
      .then((value) => live && apply(value))
      .catch((reason: unknown) => live && showError(i18n.t("error.loadLanguage"), reason));
    return () => {
      live = false;
      off();
    };
  }, [apply, showError]);
  const change = useCallback(
    (value: LanguageCode) => {
      SetLanguage(value)
        .then(() => apply(value))
        .catch((reason: unknown) => showError(i18n.t("error.setLanguage"), reason));
    },
    [apply, showError],
  );
  return [lang, change];
}
