import { describe, expect, it } from "vitest";
import { toBridgeError } from "./errors";

describe("toBridgeError", () => {
  it.each([
    [
      "Go error object",
      { code: "invalid_argument", message: 'language "fr" is not supported' },
      "invalid_argument",
      'language "fr" is not supported',
    ],
    ["Error instance", new Error("socket closed"), "bridge", "socket closed"],
    ["plain string", "timeout", "bridge", "timeout"],
    ["object without code", { message: "x" }, "bridge", "[object Object]"],
  ])("%s", (_name, reason, code, message) => {
    expect(toBridgeError(reason)).toEqual({ code, message });
  });
});
