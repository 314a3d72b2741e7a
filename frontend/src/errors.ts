// One place that turns a rejected bound-method call into something to show.
// Go sends failures as {code, message} (app/ui/errors.go); anything else,
// such as a bridge failure, is shown under the code "bridge".
import { App } from "antd";
import { useCallback } from "react";
import i18n from "./i18n";

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
      notification.error({
        message: i18n.t("error.title", { action }),
        description: `${err.message} (${i18n.t("error.code")}: ${err.code})`,
        duration: 15,
        role: "alert",
      });
      return err;
    },
    [notification],
  );
}
