// One place that turns a rejected bound-method call into something to show.
// Go sends failures as {code, message} (app/ui/errors.go); anything else,
// such as a bridge failure, is shown under the code "bridge".
import { App } from "antd";
import { useCallback } from "react";
import i18n from "./i18n";
import { errorCodeLabel } from "./labels";

export interface BridgeError {
  code: string;
  message: string;
}

function isBridgeError(value: unknown): value is BridgeError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/** Returns the {code, message} inside any rejection reason. */
export function toBridgeError(reason: unknown): BridgeError {
  if (isBridgeError(reason)) {
    return reason;
  }
  if (reason instanceof Error) {
    return { code: "bridge", message: reason.message };
  }
  return { code: "bridge", message: String(reason) };
}

/**
 * Returns a function that shows a failed call to the operator: a title from
 * the action, the message from Go, and the code for support. The notice
 * stays 15 s, below the header (main.tsx sets the offset) so it never covers
 * the logout button or the language choice.
 */
export function useShowError(): (action: string, reason: unknown) => BridgeError {
  // i18n.t, not useTranslation's t: the latter changes on every language
  // change, which would re-run every effect that depends on this function.
  const { notification } = App.useApp();
  return useCallback(
    (action: string, reason: unknown) => {
      const err = toBridgeError(reason);
      const summary = codeSummary(err.code);
      const detail = `${shorten(err.message)} (${i18n.t("error.code")}: ${err.code})`;
      notification.error({
        message: i18n.t("error.title", { action }),
        description: summary ? (
          <>
            <div>{summary}</div>
            <div>{detail}</div>
          </>
        ) : (
          detail
        ),
        duration: 15,
        role: "alert",
      });
      return err;
    },
    [notification],
  );
}

/** Maximum length of a shown message, because Go may echo a long input in it. */
const maxMessage = 300;

/** Returns message cut to maxMessage characters, marked with an ellipsis. */
export function shorten(message: string): string {
  const chars = Array.from(message);
  return chars.length <= maxMessage ? message : `${chars.slice(0, maxMessage).join("")}…`;
}

/**
 * Returns the translated meaning of an error code in the Chinese window, or
 * "" where Go's English message already states it (English, or no text).
 */
export function codeSummary(code: string): string {
  return i18n.language === "en" ? "" : errorCodeLabel(i18n.t, code);
}
