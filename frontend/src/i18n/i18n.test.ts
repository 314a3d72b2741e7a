import { describe, expect, it } from "vitest";
import en from "./en";
import zhCN from "./zh-CN";

function keys(obj: object, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === "object" && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function values(obj: object): string[] {
  return Object.values(obj).flatMap((v) => (typeof v === "object" && v !== null ? values(v as object) : [String(v)]));
}

describe("translations", () => {
  it("have the same keys in zh-CN and en", () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort());
  });

  it("have no empty strings", () => {
    expect(values(zhCN).filter((v) => v.trim() === "")).toEqual([]);
    expect(values(en).filter((v) => v.trim() === "")).toEqual([]);
  });

  it("use the same placeholders in both languages", () => {
    const placeholders = (s: string) => (s.match(/\{\{\w+\}\}/g) ?? []).sort().join(",");
    const zhValues = keys(zhCN).map((k) =>
      k.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], zhCN),
    );
    const enValues = keys(zhCN).map((k) =>
      k.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], en),
    );
    expect(enValues.map((v) => placeholders(String(v)))).toEqual(zhValues.map((v) => placeholders(String(v))));
  });
});
