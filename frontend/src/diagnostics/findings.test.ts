import { describe, expect, it } from "vitest";
import type { ui } from "../bridge";
import { findingCodes, findingKeys, findingText, swMeaningZh } from "./findings";

function check(code: string, details: Record<string, string>, reason = "english reason", fix = ""): ui.DiagnosticCheck {
  const parts = code.split(".");
  return {
    id: `${parts[0]}.${parts[1]}`,
    code,
    device: parts[0],
    status: parts[2],
    reason,
    fix,
    details,
    durationMs: 0,
  } as ui.DiagnosticCheck;
}

describe("findingKeys", () => {
  it.each([
    ["printer.ribbon.warn.low", ["printer.ribbon.warn.low"]],
    ["encoder.card.skip.no_card", ["encoder.card.skip.no_card", "reader.card.skip.no_card", "skip.no_card"]],
    ["psam.atr.pass", ["psam.atr.pass", "reader.atr.pass"]],
    ["rewriter.port.fail.held", ["rewriter.port.fail.held", "serial.port.fail.held"]],
  ])("of %s", (code, want) => {
    expect(findingKeys(code)).toEqual(want);
  });
});

describe("findingText", () => {
  it("translates with the check's details", () => {
    const c = check(
      "printer.ribbon.warn.low",
      { ribbon_left: "20" },
      "20 panels left on the ribbon",
      "have a ribbon ready",
    );
    expect(findingText(c, "zh-CN")).toEqual({
      reason: "色带仅剩 20 面",
      fix: "准备一卷新的单色色带",
      translated: true,
    });
  });

  it("translates a reader role's check through the shared reader text", () => {
    const c = check("desk_reader.reader.pass", { reader: "Virtual PCD 00 00" });
    expect(findingText(c, "zh-CN").reason).toBe("已找到读卡器：Virtual PCD 00 00");
  });

  it("translates detail values Go writes in English", () => {
    const c = check("rewriter.sensors.pass", { card: "card at inlet" });
    expect(findingText(c, "zh-CN").reason).toBe("盖板已关闭，卡位：入口有卡");
  });

  it("keeps Go's fix where the table has none", () => {
    const c = check("printer.identity.fail", {}, "reading the printer status failed: timeout", "switch the printer on");
    expect(findingText(c, "zh-CN")).toEqual({
      reason: "读取打印机状态失败",
      fix: "switch the printer on",
      translated: true,
    });
  });

  it("falls back to English when a detail is missing", () => {
    const c = check("printer.ribbon.warn.low", {}, "20 panels left on the ribbon", "have a ribbon ready");
    expect(findingText(c, "zh-CN")).toEqual({
      reason: "20 panels left on the ribbon",
      fix: "have a ribbon ready",
      translated: false,
    });
  });

  it("falls back to English for an unknown code and in English", () => {
    expect(findingText(check("printer.laser.fail.melted", {}), "zh-CN").translated).toBe(false);
    expect(findingText(check("printer.ribbon.warn.low", { ribbon_left: "20" }), "en").translated).toBe(false);
  });
});

describe("finding table", () => {
  it("keys every entry by id, status and variant, or a shared prefix", () => {
    for (const code of findingCodes) {
      expect(code, code).toMatch(/^([a-z_]+\.[a-z_]+\.(pass|warn|fail|skip)(\.[a-z_]+)?|skip\.[a-z_]+)$/);
    }
  });
});

describe("swMeaningZh", () => {
  it.each([
    ["9000", "成功"],
    ["6a82", "文件或应用未找到"],
    ["6110", "还有 16 字节响应数据（GET RESPONSE）"],
    ["6C00", "Le 错误：请用 Le = 256 重发命令"],
    ["63C2", "校验失败，还可重试 2 次"],
  ])("of %s", (sw, want) => {
    expect(swMeaningZh(sw)).toBe(want);
  });

  it("is null for a status word it does not know", () => {
    expect(swMeaningZh("6FAA")).toBeNull();
  });
});
