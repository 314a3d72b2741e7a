import { cleanup, fireEvent, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useWedge } from "./useWedge";

function Probe({ onScan }: { onScan: (code: string) => void }) {
  useWedge(onScan);
  return <input aria-label="field" />;
}

function typeFast(target: Element, keys: string[]) {
  for (const key of keys) {
    fireEvent.keyDown(target, { key });
  }
}

describe("useWedge", () => {
  afterEach(cleanup);

  it("reports a fast burst ending in Enter", () => {
    const onScan = vi.fn();
    render(<Probe onScan={onScan} />);
    typeFast(document.body, [..."A20260001", "Enter"]);
    expect(onScan).toHaveBeenCalledExactlyOnceWith("A20260001");
  });

  it("ignores keys typed into a text field", () => {
    const onScan = vi.fn();
    const view = render(<Probe onScan={onScan} />);
    typeFast(view.getByLabelText("field"), [..."A20260001", "Enter"]);
    expect(onScan).not.toHaveBeenCalled();
  });

  it("ignores an Enter after too few keys", () => {
    const onScan = vi.fn();
    render(<Probe onScan={onScan} />);
    typeFast(document.body, ["A", "1", "Enter"]);
    expect(onScan).not.toHaveBeenCalled();
  });

  it("stops listening on unmount", () => {
    const onScan = vi.fn();
    const view = render(<Probe onScan={onScan} />);
    view.unmount();
    typeFast(document.body, [..."A20260001", "Enter"]);
    expect(onScan).not.toHaveBeenCalled();
  });
});
